// A lifecycle record is a statement about a release after it was signed
// (`strongroom record`; docs/formats.md, "Lifecycle records"): a DSSE
// envelope (application/vnd.in-toto+json) of an in-toto Statement v1 whose
// predicateType is policy::kLifecycleRecordPredicateType and whose predicate
// is proto/record.proto's LifecycleRecord in protobuf's JSON mapping.
//
// Parsing, and judging a record against the policy (policy/lifecycle_record.h
// decides the trust) and the release it names, as the station does when it
// accepts one and as `audit replay` does again from the evidence store. Pure
// (the caller reads the file and the log), thread-safe.
#ifndef STRONGROOM_RELEASE_LIFECYCLE_RECORD_H_
#define STRONGROOM_RELEASE_LIFECYCLE_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"
#include "policy/lifecycle_record.h"
#include "policy/reason.h"
#include "policy/statement.h"
#include "policy/trust_policy.h"
#include "proto/event.pb.h"
#include "proto/record.pb.h"

namespace sr::release {

// A record is a few hundred bytes; the envelope may not exceed this.
inline constexpr std::uint64_t kMaxRecordBytes = 1u << 20;
// The input name refusals carry (RefusalReason.input).
inline constexpr std::string_view kRecordInput = "record";

struct LifecycleRecordInput {
  policy::Envelope envelope;
  std::vector<policy::Subject> subjects;
  strongroom::v1::LifecycleRecord record;
  std::string envelope_sha256;  // of the envelope file's bytes
};

// Parses an envelope file's bytes. Failures name input "record":
// RECORD_MALFORMED (not a DSSE envelope, another payloadType, not an in-toto
// Statement, another predicateType, a predicate that does not map onto
// LifecycleRecord, no product or an invalid version), INPUT_TOO_LARGE.
policy::Checked<LifecycleRecordInput> ParseLifecycleRecord(std::string_view envelope_text);

// The signed release a record names, as the log has it.
struct SignedReleaseFacts {
  std::uint64_t signing_index = 0;           // its SIGNING event
  std::vector<std::string> artifact_sha256;  // its artifacts' digests
};

struct RecordJudgement {
  std::vector<policy::Failure> failures;  // every failed check; empty: accepted
  policy::RecordSignerMatch signer;       // set when the signature is trusted
  bool accepted() const { return failures.empty(); }
};

// Judges a parsed record against the policy in force (nullptr: none
// installed, POLICY_NOT_INSTALLED) and the release product@version as the
// log has it (nullopt: never signed, RECORD_RELEASE_NOT_SIGNED): the product
// is in the policy (POLICY_PRODUCT_UNKNOWN), the signer is trusted for the
// record type (policy::TrustRecordSigner), the fields are valid
// (policy::CheckRecordFields), and the subjects, when there are any, are
// artifacts of the release (RECORD_SUBJECT_MISMATCH). Every failure is
// listed, not only the first.
RecordJudgement JudgeLifecycleRecord(const LifecycleRecordInput& in,
                                     const policy::LoadedPolicy* in_force,
                                     const std::optional<SignedReleaseFacts>& release);

// The LIFECYCLE_RECORDED payload for an accepted record.
strongroom::v1::LifecycleRecordedEvent RecordedEventOf(const LifecycleRecordInput& in,
                                                       const RecordJudgement& j);
// "" when the logged payload says what `expected` says; else the first field
// that differs, e.g. "outcome is \"failed\" in the event, \"succeeded\" in the
// record".
std::string RecordedEventMismatch(const strongroom::v1::LifecycleRecordedEvent& logged,
                                  const strongroom::v1::LifecycleRecordedEvent& expected);

}  // namespace sr::release

#endif  // STRONGROOM_RELEASE_LIFECYCLE_RECORD_H_
