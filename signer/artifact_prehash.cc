#include "signer/artifact_prehash.h"

#include <sched.h>
#include <sys/stat.h>

#include <utility>

#include "base/file.h"

namespace sr::signer {

ArtifactPrehash::ArtifactPrehash(const std::vector<std::string>& paths) {
  index_.reserve(paths.size());
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
    while (!stop.stop_requested() && HashNext()) {
    }
  });
}

bool ArtifactPrehash::HashNext() {
  const std::size_t i = next_.fetch_add(1);
  if (i >= slots_.size()) return false;
  Slot& s = *slots_[i];
  std::optional<Result<FileDigests>> r;
  // Opened once, as HashFile opens it (O_NOFOLLOW, refused unless a regular
  // file, same errors), and its size read from that open file: a large one
  // is left to the session.
  struct stat st;
  auto fd = OpenReadOnlyNonBlocking(s.path, &st);
  if (!fd.ok()) {
    r = fd.status();
  } else if (static_cast<std::uint64_t>(st.st_size) < kMaxBytes) {
    r = HashOpenFile(fd->get(), static_cast<std::uint64_t>(st.st_size), s.path,
                     /*with_sha384=*/false);
  }
  s.result = std::move(r);
  // seq_cst store, then seq_cst load of waiters_: a taker either sees done
  // or is counted in waiters_ (it counts itself before it looks, under mu_).
  s.done.store(true);
  if (waiters_.load() > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }
    done_.notify_all();
  }
  return true;
}

std::optional<Result<FileDigests>> ArtifactPrehash::Take(const std::string& path) {
  auto it = index_.find(path);
  if (it == index_.end()) return std::nullopt;
  Slot& s = *slots_[it->second];
  // Not ready: start the next files ourselves (path among them, if nobody
  // has started it) rather than wait.
  while (!s.done.load() && HashNext()) {
  }
  if (!s.done.load()) {
    std::unique_lock<std::mutex> lock(mu_);
    waiters_.fetch_add(1);
    done_.wait(lock, [&] { return s.done.load(); });
    waiters_.fetch_sub(1);
  }
  return s.result;  // a copy: the same path may be taken twice
}

}  // namespace sr::signer
