// Read-only access to a station's evidence store (STATION/evidence/, written
// by the signing session: docs/formats.md "Evidence store"): objects named by
// the lower-case hex SHA-256 of their bytes. The auditor's reader: it never
// writes, and every object read is checked against its name.
//
// With a cache budget (audit replay), each object read and checked is kept,
// with the outcome of its check, so the many events that present the same
// object again (a release's approval, provenance and test evidence, presented
// again by every refused retry of that version) cost a look-up, not a read
// and a hash. The store is content-addressed: a name stands for one content,
// so the object found again is the object checked; an object that was
// missing or altered stays a failure, with the same message, at every event
// that presents it. Bounded: two generations of at most half the budget
// each; when the newer is full the older is dropped, so what the replay saw
// recently stays and memory does not grow with the log (an object dropped is
// only read and checked again).
// Thread-safe (shared by the replay's worker threads).
#ifndef STRONGROOM_AUDIT_EVIDENCE_H_
#define STRONGROOM_AUDIT_EVIDENCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/evidence_prefetch.h"
#include "base/file.h"
#include "base/status.h"

namespace sr::audit {

class EvidenceDir {
 public:
  using Bytes = std::shared_ptr<const std::string>;
  // What audit replay keeps by default: the documents of the last hundreds
  // of releases.
  static constexpr std::size_t kReplayCacheBytes = 32u << 20;

  // Opens the directory once, so each object is read relative to it; if it
  // cannot be opened, each Get says why. cache_bytes 0: nothing is kept.
  // prefetch: objects named to Prefetch are read ahead on a thread of their
  // own (audit/evidence_prefetch.h), where io_uring is available.
  explicit EvidenceDir(std::string dir, std::size_t cache_bytes = 0, bool prefetch = false);
  ~EvidenceDir();
  // The object named sha256_hex: kNotFound when absent, kDataLoss when its
  // bytes no longer hash to its name (altered), kInvalidArgument for a name
  // that is not a SHA-256 hex digest, or an object that is not a regular
  // file, is a symbolic link, is above kMaxInputFileBytes or grows while
  // read (base/file.h ReadFile's rules).
  Result<std::string> Get(std::string_view sha256_hex) const;
  // The same, shared, from the cache when this object was read and checked
  // before; *read (if given) says whether it was read and hashed now.
  Result<Bytes> GetShared(std::string_view sha256_hex, bool* read = nullptr) const;
  const std::string& dir() const { return dir_; }

  // Reads these objects ahead, those not already kept (names that are not
  // SHA-256 hex are skipped: Get reports them). A hint: Get checks what was
  // read ahead as it checks what it reads. No-op without prefetch.
  void Prefetch(const std::vector<std::string>& names) const;
  // Whether objects are read ahead, and how many Get found read ahead.
  bool prefetching() const;
  std::uint64_t prefetched() const { return prefetched_; }
  // Objects the read-ahead has read so far (used or not).
  std::uint64_t prefetch_staged() const { return prefetch_ ? prefetch_->staged() : 0; }

  // Objects read and hashed, and look-ups answered from the cache.
  std::uint64_t reads() const { return reads_; }
  std::uint64_t reused() const { return reused_; }

 private:
  struct Entry {
    Bytes bytes;    // null: the check failed, with
    Status status;  // this status
    std::size_t cost = 0;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, NameHash, std::equal_to<>>;

  Result<Bytes> ReadAndCheck(std::string_view sha256_hex) const;

  std::string dir_;
  UniqueFd fd_;  // the directory; -1 when it could not be opened
  // Declared after fd_, so destroyed (its thread stopped) before fd_ closes.
  std::unique_ptr<EvidencePrefetcher> prefetch_;  // null: no prefetch
  const std::size_t half_;                        // bytes per generation; 0: no cache
  mutable std::mutex mu_;
  mutable Map newer_, older_;
  mutable std::size_t newer_bytes_ = 0;
  mutable std::atomic<std::uint64_t> reads_{0}, reused_{0}, prefetched_{0};
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_EVIDENCE_H_
