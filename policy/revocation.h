// Whether a signature by a key the trust policy revokes still stands, for a
// verifier long after the signing (docs/policy.md, "Revocation"). A
// revocation stops new signatures; it does not unsign shipped releases: a
// signature stays valid when the log proves its SIGNING event came before
// the revocation, unless the key is known compromised from a time at or
// before the signing. The signing gate refuses every revoked key outright
// (CheckKeyAuthorization); this is the verifier's rule. Pure; thread-safe.
#ifndef STRONGROOM_POLICY_REVOCATION_H_
#define STRONGROOM_POLICY_REVOCATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/reason.h"
#include "policy/trust_policy.h"
#include "proto/policy.pb.h"

namespace sr::policy {

// Where and when a signature was logged, as a verified inclusion proof of
// its SIGNING event shows it (never as an unverifiable file claims it).
struct ProvenSigning {
  std::uint64_t log_index = 0;
  Clock::time_point time;
};

// The policy's revocations of key_fingerprint as they bear on one signature.
// `revoked`: the policy lists the key; `failures`: KEY_REVOKED for each
// revocation the signature does not survive (empty: it stands). With
// signing == nullopt (no verified proof) a revoked key's signature never
// stands, and the message says to pass the release's .tlog-proof.
struct RevocationJudgement {
  bool revoked = false;
  std::vector<Failure> failures;
  std::string summary;  // why it stands, when revoked and it does
};
RevocationJudgement JudgeRevocation(const strongroom::v1::TrustPolicy& policy,
                                    std::string_view key_fingerprint,
                                    const std::optional<ProvenSigning>& signing);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_REVOCATION_H_
