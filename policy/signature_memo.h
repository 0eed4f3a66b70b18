// A memo of VerifySignatures results (policy/dsse.h), for a caller that
// judges the same envelopes under the same keys many times. Implemented in
// dsse.cc, next to VerifySignatures, which consults it.
#ifndef STRONGROOM_POLICY_SIGNATURE_MEMO_H_
#define STRONGROOM_POLICY_SIGNATURE_MEMO_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"

namespace sr::policy {

// A memo of VerifySignatures results for a caller that judges the same
// envelopes under the same keys many times (`audit replay`: every refusal of
// a version presents again the approval, provenance and test evidence it was
// signed with, and the gate it re-runs verifies them all). The key is
// SignatureMemoKey: a SHA-256 over everything the result depends on, so an
// envelope that differs in one byte of its payload type, payload or any
// signature, or another set of trusted keys, is verified afresh. The
// implementation decides the bound and must be thread-safe if shared
// between threads (audit/signature_cache.h).
class SignatureMemo {
 public:
  virtual ~SignatureMemo() = default;
  virtual bool Find(std::string_view key, ThresholdResult* result) = 0;
  virtual void Insert(std::string_view key, const ThresholdResult& result) = 0;
  // An optional first look, before the key is computed (hashing a large
  // policy or approval costs more than comparing it): a result remembered
  // for exactly this envelope and these keys, compared byte for byte, such
  // as the last few one thread verified. By default there is none.
  virtual bool FindExact(const Envelope& env, const std::vector<PublicKey>& trusted,
                         ThresholdResult* result) {
    (void)env, (void)trusted, (void)result;
    return false;
  }
  virtual void RememberExact(const Envelope& env, const std::vector<PublicKey>& trusted,
                             const ThresholdResult& result) {
    (void)env, (void)trusted, (void)result;
  }
};

// The memo key (32 raw bytes) of verifying `env`, whose pre-authentication
// encoding is `pae`, under `trusted`, in this order.
std::string SignatureMemoKey(std::string_view pae, const Envelope& env,
                             const std::vector<PublicKey>& trusted);

// While alive, VerifySignatures on the constructing thread consults `memo`
// (the gate and the policy checks call it with no memo parameter). Scopes
// nest; the memo must outlive the scope.
class ScopedSignatureMemo {
 public:
  explicit ScopedSignatureMemo(SignatureMemo* memo);
  ~ScopedSignatureMemo();
  ScopedSignatureMemo(const ScopedSignatureMemo&) = delete;
  ScopedSignatureMemo& operator=(const ScopedSignatureMemo&) = delete;

 private:
  SignatureMemo* previous_;
};

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_SIGNATURE_MEMO_H_
