#include "signer/artifact_prehash.h"

#include <sched.h>
#include <sys/stat.h>

#include <utility>

namespace sr::signer {

ArtifactPrehash::ArtifactPrehash(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (index_.count(p)) continue;
    index_.emplace(p, slots_.size());
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->path = p;
  }
  if (slots_.empty()) return;
  const int here = ::sched_getcpu();
  thread_ = std::jthread([this, here](std::stop_token stop) {
    // Off the CPU the session runs on, when there is another: beside it,
    // the two would only take turns.
    cpu_set_t allowed;
    if (here >= 0 && ::sched_getaffinity(0, sizeof allowed, &allowed) == 0 &&
        CPU_COUNT(&allowed) > 1 && CPU_ISSET(here, &allowed)) {
      CPU_CLR(here, &allowed);
      ::sched_setaffinity(0, sizeof allowed, &allowed);
    }
    for (std::size_t i = 0; i < slots_.size() && !stop.stop_requested(); ++i) Claim(i);
  });
}

void ArtifactPrehash::Claim(std::size_t i) {
  Slot& s = *slots_[i];
  int expected = kPending;
  if (!s.state.compare_exchange_strong(expected, kHashing)) return;
  std::optional<Result<FileDigests>> r;
  // lstat, as HashFile opens with O_NOFOLLOW: a link is hashed (and refused)
  // there, whatever it points to.
  struct stat st;
  bool large = ::lstat(s.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               static_cast<std::uint64_t>(st.st_size) >= kMaxBytes;
  if (!large) r = HashFile(s.path, /*with_sha384=*/false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.result = std::move(r);
    s.state.store(kDone);
  }
  done_.notify_all();
}

std::optional<Result<FileDigests>> ArtifactPrehash::Take(const std::string& path) {
  auto it = index_.find(path);
  if (it == index_.end()) return std::nullopt;
  Claim(it->second);  // hashed here if the thread has not started on it
  Slot& s = *slots_[it->second];
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return s.state.load() == kDone; });
  return s.result;  // a copy: the same path may be taken twice
}

}  // namespace sr::signer
