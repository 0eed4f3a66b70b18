// The signing gate: Evaluate() decides whether a release may be signed. It
// reads only what it is given (policy, approval, provenance, evidence, facts
// from the signing-event log, the time) and lists EVERY failed check with a
// stable reason code; on allow it returns the bindings the signing event must
// record. Pure: no disk, no HSM, no clock of its own. Thread-safe.
#ifndef STRONGROOM_POLICY_GATE_H_
#define STRONGROOM_POLICY_GATE_H_

#include <optional>
#include <string>
#include <vector>

#include "policy/approval.h"
#include "policy/reason.h"
#include "policy/statement.h"
#include "policy/trust_policy.h"
#include "proto/decision.pb.h"
#include "proto/event.pb.h"

namespace sr::policy {

inline constexpr std::string_view kDefaultPurpose = "release-signing";
inline constexpr std::size_t kMaxEvidence = 64;
// Documents presented with one release (`sign --document`, repeat).
inline constexpr std::size_t kMaxDocuments = 64;

struct SigningRequest {
  std::string product;
  std::string version;
  std::vector<Artifact> artifacts;  // name + sha256 hex of each file to sign
  std::string key_fingerprint;      // signing key's SPKI SHA-256 hex
  std::string purpose = std::string(kDefaultPurpose);
};

// Raw bytes of each input file, exactly as presented.
struct GateInputs {
  std::string policy;  // installed policy envelope
  // The same policy already parsed (ParsePolicy of `policy`), so a session
  // that judges many releases parses it and its keys once. Optional.
  const LoadedPolicy* parsed_policy = nullptr;
  std::string approval;               // release approval envelope
  // The same approval already parsed (ParseApprovalInput of `approval`), so
  // a caller that read it first does not pay for a second parse. Optional.
  const ApprovalInput* parsed_approval = nullptr;
  std::string provenance;             // provenance envelope or Sigstore bundle
  std::vector<std::string> evidence;  // test-result envelopes
  // The OpenVEX envelope (DSSE, in-toto Statement with an OpenVEX
  // predicate: policy/vex.h); "" when none was presented.
  std::string vex;
  // The documents presented (`sign --document FILE`): each file's base name
  // and the SHA-256 hex of its bytes. Each must be one the approval binds,
  // and every document the approval binds must be among them.
  std::vector<Artifact> documents;
  // The Sigstore trusted root (trusted_root.json bytes) installed with the
  // policy; "" when none is. Needed only for builders trusted by identity:
  // its SHA-256 must be the policy's sigstore_trusted_root_sha256.
  std::string trusted_root;
};

struct SignedRelease {
  std::string version;
  std::vector<std::string> artifact_sha256;
  // Its SIGNING event, when known (not for a release pending in this session).
  std::optional<std::uint64_t> event_index = std::nullopt;
};

// A key the log records as taken out of service (`key revoke`, `key retire`).
struct EndedKey {
  bool revoked = false;  // KEY_REVOKED; else KEY_RETIRED
  std::uint64_t event_index = 0;
  std::string label, reason, effective_time;
};

// Facts the signer reads from the signing-event log before asking.
struct LogFacts {
  std::uint64_t installed_policy_version = 0;  // 0: none recorded
  // SHA-256 hex of the payload of the policy the log last recorded as
  // installed; when set, the policy presented must be exactly that one.
  std::string installed_policy_digest;
  std::optional<std::string> last_signed_version;  // for this product
  // For this product; only releases of the requested version matter (a
  // caller may leave out the others).
  std::vector<SignedRelease> signed_releases;
  // The requested key's KEY_REVOKED (else KEY_RETIRED) event, if the log has
  // one: the gate refuses the key whatever the policy says.
  std::optional<EndedKey> key_ended;
  // The time of the last event in the log (its index and RFC 3339 text), so
  // the gate never judges expiry with a clock that went back: a station
  // whose clock is behind it by more than kClockTolerance is refused
  // (CLOCK_BEHIND_LOG) whatever else the inputs say.
  std::optional<Clock::time_point> last_event_time;
  std::uint64_t last_event_index = 0;
  std::string last_event_time_text;
};

// How far the station clock may be behind the last logged event before
// every logged action is refused: room for an RTC corrected by hand by a
// minute or two, never enough to revive an approval or authorization
// (their windows are days). docs/threat-model.md explains the rule.
inline constexpr std::chrono::seconds kClockTolerance{300};

// The CLOCK_BEHIND_LOG failure (input "station") when now is behind the last
// logged event by more than kClockTolerance, naming both times and what to
// do; nullopt otherwise or when the log is empty.
std::optional<Failure> CheckClockAgainstLog(Clock::time_point now,
                                            std::optional<Clock::time_point> last_event_time,
                                            std::uint64_t last_event_index,
                                            std::string_view last_event_time_text);

struct Decision {
  std::vector<Failure> failures;
  strongroom::v1::SigningBindings bindings;  // meaningful only when allowed()
  bool allowed() const { return failures.empty(); }
  bool Has(Reason r) const;
  // Distinct reason codes in order of first appearance.
  std::vector<std::string> ReasonNames() const;
  strongroom::v1::GateDecision ToProto() const;
};

// The key-authorization checks of the gate, also used by verifiers: on
// success the id of the authorization that covers the key, else every
// failure (KEY_REVOKED, KEY_NOT_AUTHORIZED, KEY_AUTHORIZATION_NOT_YET_VALID,
// KEY_AUTHORIZATION_EXPIRED), judged at time `at`.
struct KeyAuthorizationCheck {
  std::string authorization_id;
  std::vector<Failure> failures;
};
KeyAuthorizationCheck CheckKeyAuthorization(const strongroom::v1::TrustPolicy& policy,
                                            const SigningRequest& request, Clock::time_point at);

Decision Evaluate(const SigningRequest& request, const GateInputs& inputs, const LogFacts& facts,
                  Clock::time_point now);

// The checks of Evaluate that read no document, in the same code: the
// station clock against the log, the request, the key's revocation or
// retirement, the policy's own checks, the key's authorization and the log's
// facts (CheckClockAgainstLog, CheckRequest, CheckKeyEnded, CheckPolicy,
// CheckKeyAuthorization, CheckLogFacts). Every failure it returns, Evaluate
// returns too for the same request, policy, facts and time, whatever
// documents it is given. `audit replay` judges with it a refusal recorded
// only for such reasons (an "already signed" retry) without parsing the
// documents again. policy: the parsed policy (null: none, reported as
// Evaluate reports a missing policy).
Decision EvaluateWithoutDocuments(const SigningRequest& request, const LoadedPolicy* policy,
                                  const LogFacts& facts, Clock::time_point now);

// A gate failure as a refusal event records it (code, input, message).
strongroom::v1::RefusalReason RefusalReasonOf(const Failure& f);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_GATE_H_
