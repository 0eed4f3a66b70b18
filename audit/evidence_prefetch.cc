#include "audit/evidence_prefetch.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

namespace sr::audit {

struct EvidencePrefetcher::Ring {
  io_uring ring{};
  ~Ring() { io_uring_queue_exit(&ring); }
};

EvidencePrefetcher::EvidencePrefetcher(int dir_fd, std::size_t budget)
    : dir_fd_(dir_fd), budget_(budget) {
  if (dir_fd_ < 0) return;
  auto ring = std::make_unique<Ring>();
  if (io_uring_queue_init(static_cast<unsigned>(2 * kBatch), &ring->ring, 0) != 0) return;
  ring_ = std::move(ring);
  buffers_ = std::make_unique_for_overwrite<char[]>(kBatch * kMaxObject);
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

// thread_, declared last, is destroyed first: std::jthread requests the
// stop and joins before the ring, the buffers and the stage go.
EvidencePrefetcher::~EvidencePrefetcher() = default;

void EvidencePrefetcher::Want(const std::vector<std::string>& names) {
  if (!running()) return;
  {
    std::lock_guard lock(mu_);
    for (const std::string& n : names) {
      if (!known_.insert(n).second) continue;
      wanted_.push_back(n);
    }
    // Far behind the workers: the oldest names were read by them already.
    while (wanted_.size() > 64 * kBatch) {
      known_.erase(wanted_.front());
      wanted_.pop_front();
    }
  }
  wake_.notify_one();
}

std::optional<std::string> EvidencePrefetcher::Take(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = stage_.find(name);
  if (it == stage_.end()) return std::nullopt;
  std::string bytes = std::move(it->second.bytes);
  stage_bytes_ -= bytes.size();
  stage_order_.erase(it->second.order);
  known_.erase(it->first);
  stage_.erase(it);
  ++taken_count_;
  return bytes;
}

void EvidencePrefetcher::Run(std::stop_token stop) {
  std::vector<std::string> names, bytes;
  while (true) {
    names.clear();
    {
      std::unique_lock lock(mu_);
      // Stopping: the names still wanted are left (the workers are done).
      if (!wake_.wait(lock, stop, [&] { return !wanted_.empty(); }) || stop.stop_requested())
        return;
      while (!wanted_.empty() && names.size() < kBatch) {
        names.push_back(std::move(wanted_.front()));
        wanted_.pop_front();
      }
    }
    const bool ok = ReadBatch(names, &bytes);
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (bytes[i].empty()) {
        known_.erase(names[i]);  // not staged: the worker reads it
        continue;
      }
      if (stage_.count(names[i])) continue;  // cannot happen: names are known once
      stage_bytes_ += bytes[i].size();
      stage_order_.push_back(names[i]);
      stage_.emplace(std::move(names[i]),
                     Staged{std::move(bytes[i]), std::prev(stage_order_.end())});
      ++staged_count_;
    }
    // Over budget: the oldest staged first (a worker read them itself, or
    // has yet to reach them: then it reads them itself).
    while (stage_bytes_ > budget_ && !stage_order_.empty()) {
      auto it = stage_.find(stage_order_.front());
      stage_bytes_ -= it->second.bytes.size();
      known_.erase(it->first);
      stage_.erase(it);
      stage_order_.pop_front();
    }
    if (!ok) {  // the ring failed: the workers read everything from here on
      for (const std::string& n : wanted_) known_.erase(n);
      wanted_.clear();
      return;
    }
  }
}

namespace {

// Waits for n completions; res[user_data] = each result. False when the
// ring itself fails.
bool Reap(io_uring* ring, std::size_t n, std::vector<int>* res) {
  for (std::size_t got = 0; got < n; ++got) {
    io_uring_cqe* cqe = nullptr;
    int r;
    do r = io_uring_wait_cqe(ring, &cqe);
    while (r == -EINTR);
    if (r < 0) return false;
    (*res)[cqe->user_data] = cqe->res;
    io_uring_cqe_seen(ring, cqe);
  }
  return true;
}

bool Submit(io_uring* ring, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    int r = io_uring_submit(ring);
    if (r == -EINTR || r == -EAGAIN) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

bool EvidencePrefetcher::ReadBatch(const std::vector<std::string>& names,
                                   std::vector<std::string>* bytes) {
  const std::size_t n = names.size();
  bytes->assign(n, std::string());
  io_uring* ring = &ring_->ring;
  std::vector<int> fds(n, -1), lens(n, -1);
  // Opened as base/file.h opens inputs: never following a link, never
  // blocking on a FIFO, never becoming the controlling terminal.
  for (std::size_t i = 0; i < n; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) return false;
    io_uring_prep_openat(sqe, dir_fd_, names[i].c_str(),
                         O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
    io_uring_sqe_set_data64(sqe, i);
  }
  if (!Submit(ring, n) || !Reap(ring, n, &fds)) {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
    return false;
  }
  // Regular files that fit only: a read of anything else could wait.
  std::vector<std::size_t> sizes(n, 0);
  std::size_t reads = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (fds[i] < 0) continue;
    struct stat st {};
    if (::fstat(fds[i], &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        static_cast<std::uint64_t>(st.st_size) > kMaxObject)
      continue;
    sizes[i] = static_cast<std::size_t>(st.st_size);
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) break;
    io_uring_prep_read(sqe, fds[i], buffers_.get() + i * kMaxObject,
                       static_cast<unsigned>(sizes[i]), 0);
    io_uring_sqe_set_data64(sqe, i);
    ++reads;
  }
  const bool ok = Submit(ring, reads) && Reap(ring, reads, &lens);
  for (std::size_t i = 0; i < n; ++i) {
    if (ok && sizes[i] > 0 && lens[i] == static_cast<int>(sizes[i]))
      (*bytes)[i].assign(buffers_.get() + i * kMaxObject, sizes[i]);
  }
  // The ring failed with reads perhaps still in flight (never seen): their
  // buffers and descriptors are left to the process rather than reused.
  if (!ok) {
    (void)buffers_.release();
    return false;
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  return true;
}

}  // namespace sr::audit
