// audit replay's memo of signature verifications (policy/signature_memo.h):
// each distinct (envelope, trusted key set) is verified once per replay,
// however many events present it again. Bounded: at most `max_entries`
// results in two generations; when the newer is full the older is dropped,
// so what the replay saw recently stays and memory does not grow with the
// log (a result dropped is only verified again). A result is found only for
// the very same payload type, payload, signatures and trusted keys
// (policy::SignatureMemoKey), so an altered or substituted envelope is
// always verified afresh.
// Thread-safe: shared by the replay's worker threads.
#ifndef STRONGROOM_AUDIT_SIGNATURE_CACHE_H_
#define STRONGROOM_AUDIT_SIGNATURE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "policy/signature_memo.h"

namespace sr::audit {

class SignatureCache final : public policy::SignatureMemo {
 public:
  // About 0.5 KiB an entry: the default holds the envelopes of the last
  // thousands of releases in a few MiB.
  static constexpr std::size_t kDefaultMaxEntries = 8192;
  explicit SignatureCache(std::size_t max_entries = kDefaultMaxEntries)
      : half_(max_entries / 2 > 0 ? max_entries / 2 : 1) {}

  bool Find(std::string_view key, policy::ThresholdResult* result) override;
  void Insert(std::string_view key, const policy::ThresholdResult& result) override;

  // Results given from the memo, and verifications done and remembered.
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::size_t size() const;

 private:
  using Map = std::unordered_map<std::string, policy::ThresholdResult>;
  const std::size_t half_;
  mutable std::mutex mu_;
  Map newer_, older_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_SIGNATURE_CACHE_H_
