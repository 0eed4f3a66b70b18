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
#include <vector>

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
  void CountHit() { ++hits_; }
  std::uint64_t misses() const { return misses_; }
  std::size_t size() const;

 private:
  using Map = std::unordered_map<std::string, policy::ThresholdResult>;
  const std::size_t half_;
  mutable std::mutex mu_;
  Map newer_, older_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

// One worker thread's memo: the shared cache, looked at after the last few
// envelopes this thread verified or found, which are compared byte for byte
// before any key is hashed (a refused retry presents the same policy, and
// its policy signatures are checked at every gate run). Not thread-safe:
// one per thread.
class WorkerSignatureMemo final : public policy::SignatureMemo {
 public:
  explicit WorkerSignatureMemo(SignatureCache& shared) : shared_(shared) {}
  bool Find(std::string_view key, policy::ThresholdResult* result) override {
    return shared_.Find(key, result);
  }
  void Insert(std::string_view key, const policy::ThresholdResult& result) override {
    shared_.Insert(key, result);
  }
  bool FindExact(const policy::Envelope& env, const std::vector<policy::PublicKey>& trusted,
                 policy::ThresholdResult* result) override;
  void RememberExact(const policy::Envelope& env, const std::vector<policy::PublicKey>& trusted,
                     const policy::ThresholdResult& result) override;

 private:
  struct Recent {
    policy::Envelope env;
    std::vector<std::string> trusted;  // fingerprints, in order
    policy::ThresholdResult result;
  };
  static constexpr std::size_t kRecent = 8;
  SignatureCache& shared_;
  std::vector<Recent> recent_;  // at most kRecent; the oldest is replaced
  std::size_t next_ = 0;
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_SIGNATURE_CACHE_H_
