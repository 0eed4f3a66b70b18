// Reads evidence objects ahead of audit replay's workers, many at a time.
//
// Why: on a disk, replay reads each of hundreds of thousands of small files
// (the store names one object a file) for the first time, and one file at a
// time costs ~40 us of kernel time and a wait for the device per file (on
// the benchmark's VM: 100,000 cold files in 5.3 s, 4.1 s of it kernel
// time). Submitted 64 at a time through io_uring (liburing), the block layer
// sees the batch at once: the same files in 1.4 s, 1.9 s of kernel time,
// and the workers no longer wait (docs/performance.md, "Audit replay").
// Nothing in the store's format changes.
//
// What it reads is only a hint: a worker Takes the bytes staged for a name
// and still checks them against the name (audit/evidence.cc). Only regular
// files (fstat of the opened descriptor) of at most kMaxObject bytes are
// read, opened O_NOFOLLOW | O_NONBLOCK, so a FIFO, a device, a link or a
// large object is never read here: the worker reads it itself, under
// base/file.h ReadFile's rules, and reports it as before. Staged bytes are
// bounded (oldest dropped first); names waiting to be read are bounded
// (oldest dropped: by then a worker has read them).
//
// Where io_uring is unavailable (an old kernel, kernel.io_uring_disabled, a
// seccomp filter), running() is false and Want does nothing.
// Thread-safe: Want from the replay's reader thread, Take from its workers.
#ifndef STRONGROOM_AUDIT_EVIDENCE_PREFETCH_H_
#define STRONGROOM_AUDIT_EVIDENCE_PREFETCH_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sr::audit {

class EvidencePrefetcher {
 public:
  // Objects larger than this are left to the worker (a release's documents
  // are a few KiB; the benchmark's are 4-11 KiB).
  static constexpr std::size_t kMaxObject = 64u << 10;
  // Names read per io_uring submission.
  static constexpr std::size_t kBatch = 64;

  // dir_fd: the store's directory, borrowed (it outlives this object).
  // budget: bytes staged at most.
  EvidencePrefetcher(int dir_fd, std::size_t budget);
  ~EvidencePrefetcher();
  EvidencePrefetcher(const EvidencePrefetcher&) = delete;
  EvidencePrefetcher& operator=(const EvidencePrefetcher&) = delete;

  bool running() const { return thread_.joinable(); }
  // Queues names (SHA-256 hex, checked by the caller) to be read.
  void Want(const std::vector<std::string>& names);
  // The bytes read for this name, if they were read and not yet taken; they
  // leave the stage. Unchecked: the caller hashes them.
  std::optional<std::string> Take(std::string_view name);

  // Objects read into the stage, and taken from it.
  std::uint64_t staged() const { return staged_count_; }
  std::uint64_t taken() const { return taken_count_; }

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameSet = std::unordered_set<std::string, NameHash, std::equal_to<>>;

  void Run(std::stop_token stop);
  // Opens and reads names through the ring; the bytes of each name read
  // whole, "" for the others. False: the ring failed (prefetch stops).
  bool ReadBatch(const std::vector<std::string>& names, std::vector<std::string>* bytes);

  const int dir_fd_;
  const std::size_t budget_;
  // kBatch slots of kMaxObject bytes, left uninitialised: only the pages
  // the reads fill are ever touched.
  std::unique_ptr<char[]> buffers_;
  // After buffers_, so torn down first: no read can land in freed buffers.
  struct Ring;
  std::unique_ptr<Ring> ring_;

  std::mutex mu_;
  std::condition_variable_any wake_;
  std::deque<std::string> wanted_;
  NameSet known_;  // wanted, being read, or staged
  struct Staged {
    std::string bytes;
    std::list<std::string>::iterator order;
  };
  std::unordered_map<std::string, Staged, NameHash, std::equal_to<>> stage_;
  std::list<std::string> stage_order_;  // the staged names, oldest first
  std::size_t stage_bytes_ = 0;
  std::atomic<std::uint64_t> staged_count_{0}, taken_count_{0};  // read without mu_
  std::jthread thread_;                                          // last: stopped and joined first
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_EVIDENCE_PREFETCH_H_
