// The trust decision on a lifecycle record (`strongroom record`,
// proto/record.proto): which record types exist and what each may say
// (outcomes, required fields), and whether the envelope is signed by a key
// the product's policy trusts for that record type
// (ProductPolicy.record_signers). Parsing the envelope and binding the record
// to a signed release is release/lifecycle_record.h's. Pure, thread-safe.
#ifndef STRONGROOM_POLICY_LIFECYCLE_RECORD_H_
#define STRONGROOM_POLICY_LIFECYCLE_RECORD_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"
#include "policy/reason.h"
#include "policy/trust_policy.h"
#include "proto/policy.pb.h"
#include "proto/record.pb.h"

namespace sr::policy {

inline constexpr std::string_view kLifecycleRecordPredicateType =
    "https://strongroom.dev/attestations/lifecycle-record/v1";

// A record type and the outcomes it may state.
struct RecordTypeInfo {
  std::string_view name;
  std::vector<std::string_view> outcomes;
};

// Every record type, in documentation order (docs/formats.md, "Lifecycle
// records"): deployment-result, rollback, recovery, exclusion-decision,
// risk-acceptance, withdrawal, customer-notification.
const std::vector<RecordTypeInfo>& RecordTypes();
// The type named name, or nullptr.
const RecordTypeInfo* FindRecordType(std::string_view name);
// "deployment-result, rollback, ..." (for messages).
std::string RecordTypeList();

// The policy's rules for one record signer entry: a parsable key (checked by
// the policy's own key checks) and at least one record type, each known.
// "" when valid, else what is wrong (for ParsePolicy's messages).
std::string RecordSignerProblem(const strongroom::v1::RecordSigner& s);

// The record signer whose signature made the record trusted.
struct RecordSignerMatch {
  std::string fingerprint;
  std::string name;  // TrustedKey.name in the policy
};

// Checks env's signatures against product's record signers: the first key
// that signed validly and is trusted for record_type. Failures, naming
// `input`: RECORD_SIGNER_NOT_FOR_TYPE (a record signer of the product signed,
// but its record types do not include record_type), RECORD_SIGNATURE_INVALID
// (a signature names a record signer's key but does not verify: altered),
// RECORD_UNTRUSTED_SIGNER (no signature by any record signer).
Checked<RecordSignerMatch> TrustRecordSigner(const Envelope& env, const LoadedPolicy& lp,
                                             const strongroom::v1::ProductPolicy& product,
                                             std::string_view record_type, std::string_view input);

// Every problem with the record's fields for its type (empty when none):
// RECORD_TYPE_UNKNOWN, RECORD_FIELD_INVALID (an outcome the type does not
// have; a missing or unparsable date; risk-acceptance without owner or
// expires; extend without followUpDate; include without evidenceSha256;
// deployment-result without cohort; rollback, recovery, exclusion-decision
// and deployment-result without configuration; a field above its size
// limit), RECORD_CONFIGURATION_UNKNOWN (a configuration product does not
// list).
std::vector<Failure> CheckRecordFields(const strongroom::v1::LifecycleRecord& r,
                                       const strongroom::v1::ProductPolicy& product,
                                       std::string_view input);

// True for a calendar date YYYY-MM-DD.
bool IsCalendarDate(std::string_view s);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_LIFECYCLE_RECORD_H_
