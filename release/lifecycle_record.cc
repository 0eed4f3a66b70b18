#include "release/lifecycle_record.h"

#include "base/hash.h"
#include "policy/json.h"
#include "policy/lifecycle_record.h"
#include "policy/version.h"

namespace sr::release {
namespace v1 = strongroom::v1;
using policy::Failure;
using policy::MakeFailure;
using policy::Reason;

namespace {

const std::string kInput(kRecordInput);

Failure Malformed(std::string m) {
  return MakeFailure(Reason::kRecordMalformed, kInput, std::move(m));
}

// A parse failure of the envelope or statement, as RECORD_MALFORMED with the
// original code in its message (it says exactly what was wrong).
Failure MalformedFrom(const Failure& f, std::string_view what) {
  return Malformed(std::string(what) + ": " + std::string(policy::ReasonName(f.reason)) + ": " +
                   f.message);
}

}  // namespace

policy::Checked<LifecycleRecordInput> ParseLifecycleRecord(std::string_view text) {
  if (text.size() > kMaxRecordBytes)
    return MakeFailure(Reason::kInputTooLarge, kInput,
                       "the record is " + std::to_string(text.size()) +
                           " bytes, above the limit of " + std::to_string(kMaxRecordBytes) +
                           " bytes; check it is the right file");
  if (text.empty()) return Malformed("the file is empty: expected a DSSE envelope (JSON)");
  LifecycleRecordInput in;
  in.envelope_sha256 = Sha256Hex(text);
  auto env = policy::ParseEnvelope(text, kInput);
  if (!env.ok()) return MalformedFrom(env.failure(), "not a DSSE envelope");
  in.envelope = std::move(env).value();
  auto doc = policy::ParseJsonObject(in.envelope.payload, kInput);
  if (!doc.ok()) return MalformedFrom(doc.failure(), "the payload is not a JSON statement");
  google::protobuf::Struct predicate;
  const google::protobuf::Value* subject = policy::FindField(*doc, "subject");
  if (subject != nullptr && subject->kind_case() == google::protobuf::Value::kListValue &&
      subject->list_value().values_size() == 0) {
    // in-toto wants subjects; a record may name its release by product and
    // version alone, so an empty list is taken here, with the same checks.
    if (in.envelope.payload_type != policy::kInTotoPayloadType)
      return Malformed("payloadType \"" + in.envelope.payload_type.substr(0, 80) + "\" is not " +
                       std::string(policy::kInTotoPayloadType));
    auto type = policy::OptionalString(*doc, "_type", kInput, "statement");
    auto ptype = policy::OptionalString(*doc, "predicateType", kInput, "statement");
    if (!type.ok() || *type != policy::kStatementV1)
      return Malformed("_type is not https://in-toto.io/Statement/v1");
    if (!ptype.ok() || *ptype != policy::kLifecycleRecordPredicateType)
      return Malformed("predicateType is not " +
                       std::string(policy::kLifecycleRecordPredicateType));
    auto pred = policy::OptionalObject(*doc, "predicate", kInput, "statement");
    if (!pred.ok() || *pred == nullptr) return Malformed("the statement has no predicate object");
    predicate = **pred;
  } else {
    auto st = policy::ParseStatement(in.envelope, kInput, {policy::kLifecycleRecordPredicateType});
    if (!st.ok()) return MalformedFrom(st.failure(), "not a lifecycle-record statement");
    in.subjects = std::move(st->subjects);
    predicate = std::move(st->predicate);
  }
  auto mapped = policy::StructToMessage(predicate, &in.record, kInput);
  if (!mapped.ok())
    return MalformedFrom(mapped.failure(),
                         "the predicate is not a LifecycleRecord (proto/record.proto, JSON names "
                         "recordType, product, version, ...)");
  const v1::LifecycleRecord& r = in.record;
  if (r.record_type().empty()) return Malformed("the predicate has no recordType");
  if (r.product().empty()) return Malformed("the predicate has no product");
  if (!policy::IsValidVersion(r.version()))
    return Malformed("the predicate's version \"" + r.version().substr(0, 80) +
                     "\" is not a dotted release version (e.g. 5.4.3)");
  return in;
}

RecordJudgement JudgeLifecycleRecord(const LifecycleRecordInput& in,
                                     const policy::LoadedPolicy* in_force,
                                     const std::optional<SignedReleaseFacts>& release) {
  RecordJudgement j;
  const v1::LifecycleRecord& r = in.record;
  if (in_force == nullptr) {
    j.failures.push_back(MakeFailure(Reason::kPolicyNotInstalled, "policy",
                                     "the station has no installed policy, so no key is trusted "
                                     "to sign lifecycle records: install one first"));
    return j;
  }
  const v1::ProductPolicy* product = nullptr;
  for (const auto& p : in_force->policy.products())
    if (p.name() == r.product()) product = &p;
  if (product == nullptr) {
    j.failures.push_back(MakeFailure(Reason::kPolicyProductUnknown, kInput,
                                     "product \"" + r.product().substr(0, 80) +
                                         "\" is not in the installed policy (version " +
                                         std::to_string(in_force->policy.version()) + ")"));
    return j;
  }
  auto signer =
      policy::TrustRecordSigner(in.envelope, *in_force, *product, r.record_type(), kInput);
  if (signer.ok())
    j.signer = std::move(signer).value();
  else if (policy::FindRecordType(r.record_type()) != nullptr)  // else: the type is the problem
    j.failures.push_back(signer.failure());
  for (Failure& f : policy::CheckRecordFields(r, *product, kInput))
    j.failures.push_back(std::move(f));
  if (!release) {
    j.failures.push_back(MakeFailure(Reason::kRecordReleaseNotSigned, kInput,
                                     r.product() + " " + r.version() +
                                         " was not signed on this station (the log has no SIGNING "
                                         "event for it): a record is about a signed release"));
  } else if (!in.subjects.empty()) {
    std::vector<policy::Artifact> arts;
    for (const std::string& d : release->artifact_sha256) arts.push_back({"", d});
    if (std::string diff = policy::SubjectNotWithin(in.subjects, arts); !diff.empty())
      j.failures.push_back(MakeFailure(Reason::kRecordSubjectMismatch, kInput,
                                       "the record's subjects are not artifacts of " + r.product() +
                                           " " + r.version() + " as signed (event " +
                                           std::to_string(release->signing_index) + "): " + diff));
  }
  return j;
}

v1::LifecycleRecordedEvent RecordedEventOf(const LifecycleRecordInput& in,
                                           const RecordJudgement& j) {
  const v1::LifecycleRecord& r = in.record;
  v1::LifecycleRecordedEvent e;
  e.set_record_type(r.record_type());
  e.set_product(r.product());
  e.set_version(r.version());
  e.set_envelope_sha256(in.envelope_sha256);
  e.set_signer_fingerprint(j.signer.fingerprint);
  e.set_signer_name(j.signer.name);
  e.set_cohort(r.cohort());
  e.set_configuration(r.configuration());
  e.set_outcome(r.outcome());
  e.set_owner(r.owner());
  e.set_expires(r.expires());
  e.set_follow_up_date(r.follow_up_date());
  e.set_summary(r.summary());
  e.set_decided_at(r.decided_at());
  return e;
}

std::string RecordedEventMismatch(const v1::LifecycleRecordedEvent& logged,
                                  const v1::LifecycleRecordedEvent& expected) {
  const struct {
    const char* name;
    const std::string& (v1::LifecycleRecordedEvent::*get)() const;
  } kFields[] = {
      {"recordType", &v1::LifecycleRecordedEvent::record_type},
      {"product", &v1::LifecycleRecordedEvent::product},
      {"version", &v1::LifecycleRecordedEvent::version},
      {"envelopeSha256", &v1::LifecycleRecordedEvent::envelope_sha256},
      {"signerFingerprint", &v1::LifecycleRecordedEvent::signer_fingerprint},
      {"signerName", &v1::LifecycleRecordedEvent::signer_name},
      {"cohort", &v1::LifecycleRecordedEvent::cohort},
      {"configuration", &v1::LifecycleRecordedEvent::configuration},
      {"outcome", &v1::LifecycleRecordedEvent::outcome},
      {"owner", &v1::LifecycleRecordedEvent::owner},
      {"expires", &v1::LifecycleRecordedEvent::expires},
      {"followUpDate", &v1::LifecycleRecordedEvent::follow_up_date},
      {"summary", &v1::LifecycleRecordedEvent::summary},
      {"decidedAt", &v1::LifecycleRecordedEvent::decided_at},
  };
  for (const auto& f : kFields) {
    const std::string& a = (logged.*f.get)();
    const std::string& b = (expected.*f.get)();
    if (a != b)
      return std::string(f.name) + " is \"" + a.substr(0, 80) + "\" in the event, \"" +
             b.substr(0, 80) + "\" in the stored record";
  }
  return "";
}

}  // namespace sr::release
