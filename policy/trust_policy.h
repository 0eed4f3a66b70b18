// The trust policy: parsing from its DSSE envelope, validation of its
// contents, self-verification (governance threshold of its own keys, expiry)
// and the rotation rule used to install a new policy over the current one
// (TUF root rotation: version strictly higher, signed by a threshold of the
// current governance keys AND a threshold of its own). Pure, thread-safe.
#ifndef STRONGROOM_POLICY_TRUST_POLICY_H_
#define STRONGROOM_POLICY_TRUST_POLICY_H_

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"
#include "policy/keys.h"
#include "policy/reason.h"
#include "proto/policy.pb.h"

namespace sr::policy {

inline constexpr std::string_view kPolicyPayloadType = "application/vnd.strongroom.policy+json";
using Clock = std::chrono::system_clock;

struct LoadedPolicy {
  Envelope envelope;
  strongroom::v1::TrustPolicy policy;
  std::string digest;  // SHA-256 hex of the payload (the policy JSON bytes)
  std::vector<PublicKey> governance;
  // Every key of the policy, parsed once (by its PEM text).
  std::map<std::string, PublicKey> keys;
  // The parsed keys of a key set of this policy / one key (nullptr if absent).
  std::vector<PublicKey> KeysOf(const strongroom::v1::KeySet& set) const;
  const PublicKey* Key(const strongroom::v1::TrustedKey& key) const;
};

// Parses and validates (every key parses; thresholds 1..number of keys;
// fingerprints are 64 hex digits; versions in authorizations parse; product
// names unique). Failures are input failures naming the field.
Checked<LoadedPolicy> ParsePolicy(std::string_view envelope_text,
                                  std::string_view input = "policy");
// The same checks on an unsigned policy JSON document (for `policy sign`).
Checked<strongroom::v1::TrustPolicy> ParsePolicyJson(std::string_view json,
                                                     std::string_view input = "policy");

// POLICY_UNSIGNED, POLICY_SIGNATURE_INVALID, POLICY_GOVERNANCE_THRESHOLD_NOT_MET,
// POLICY_EXPIRED. Signatures by keys the policy does not list are ignored
// (a rotated policy carries its predecessor's signatures).
std::vector<Failure> VerifyPolicySelf(const LoadedPolicy& p, Clock::time_point now);

// Self checks plus, when current != nullptr: POLICY_VERSION_NOT_HIGHER and
// POLICY_ROTATION_THRESHOLD_NOT_MET (threshold of current governance keys).
std::vector<Failure> VerifyPolicyInstall(const LoadedPolicy* current, const LoadedPolicy& candidate,
                                         Clock::time_point now);

// Who signed an envelope among the keys of one key set of a policy (the
// governance keys, or a product's approvers), for people: `policy sign|show`
// and `approve show` name the keys that signed and those still needed.
struct KeySetSignature {
  enum class Kind { kValid, kInvalid, kUnknown };
  Kind kind = Kind::kUnknown;
  std::string keyid;        // the signature's unauthenticated hint
  std::string name;         // the key's name in the policy (kValid, kInvalid)
  std::string fingerprint;  // of the key (kValid; kInvalid: the key its keyid names)
};
struct KeySetKey {
  std::string name, fingerprint;
  bool signed_ = false;  // a valid signature by this key is on the envelope
};
struct KeySetStatus {
  unsigned threshold = 0;
  std::vector<KeySetKey> keys;               // the set's keys, in its order
  std::vector<KeySetSignature> signatures;   // one per signature, in the envelope's order
  unsigned signed_count() const;             // distinct keys of the set that signed
  unsigned more_needed() const;              // 0 when the threshold is met
  std::vector<const KeySetKey*> missing() const;  // keys of the set that have not signed
};
KeySetStatus CheckKeySet(const Envelope& env, const LoadedPolicy& p,
                         const strongroom::v1::KeySet& set);

Clock::time_point ToTimePoint(const google::protobuf::Timestamp& ts);
std::string FormatTime(const google::protobuf::Timestamp& ts);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_TRUST_POLICY_H_
