#include "policy/approval.h"

#include "base/encoding.h"
#include "policy/json.h"

namespace sr::policy {
namespace pb = google::protobuf;

ApprovalInput ParseApprovalInput(std::string_view text) {
  Checked<Envelope> env = text.empty()
                              ? Checked<Envelope>(MakeFailure(Reason::kInputMissing, "approval",
                                                              "no approval presented"))
                              : ParseEnvelope(text, "approval");
  Checked<Approval> approval =
      env.ok() ? ParseApproval(env.value(), "approval") : Checked<Approval>(env.failure());
  return ApprovalInput{std::move(env), std::move(approval)};
}

Checked<Approval> ParseApproval(const Envelope& env, std::string_view input) {
  auto st = ParseStatement(env, input, {kReleaseApprovalPredicate});
  if (!st.ok()) return st.failure();
  Approval a;
  a.statement = std::move(st).value();
  // The payload already passed the strict check; the predicate is mapped
  // into its schema from the parsed document.
  auto ok = StructToMessage(a.statement.predicate, &a.predicate, input);
  if (!ok.ok()) return ok.failure();
  const auto& p = a.predicate;
  if (p.product().empty())
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.product");
  if (p.version().empty())
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.version");
  if (!p.has_approved_at())
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.approvedAt");
  if (!p.has_expires())
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.expires");
  for (int i = 0; i < p.documents_size(); ++i) {
    const auto& d = p.documents(i);
    if (d.kind().empty() || d.name().empty() || !IsSha256Hex(d.sha256()))
      return MakeFailure(Reason::kInputBadField, input,
                         "predicate.documents[" + std::to_string(i) +
                             "] needs a kind, a name and a sha256 of 64 lower-case hex digits");
  }
  return a;
}

std::string ApprovalStatementJson(const std::vector<Artifact>& artifacts,
                                  const strongroom::v1::ReleaseApproval& predicate) {
  return StatementJson(artifacts, kReleaseApprovalPredicate, MessageToJson(predicate));
}

namespace {

Checked<std::vector<std::string>> StringList(const pb::Struct& obj, std::string_view key,
                                             std::string_view input) {
  std::vector<std::string> out;
  const pb::Value* v = FindField(obj, key);
  if (v == nullptr) return out;
  std::string where = "predicate." + std::string(key);
  if (v->kind_case() != pb::Value::kListValue)
    return MakeFailure(Reason::kInputBadField, input, where + " must be an array of strings");
  for (const pb::Value& e : v->list_value().values()) {
    if (e.kind_case() != pb::Value::kStringValue)
      return MakeFailure(Reason::kInputBadField, input, where + " must be an array of strings");
    out.push_back(e.string_value());
  }
  return out;
}

}  // namespace

Checked<TestEvidence> ParseTestEvidence(const Envelope& env, std::string_view input) {
  auto st = ParseStatement(env, input, {kTestResultPredicate});
  if (!st.ok()) return st.failure();
  TestEvidence t;
  t.statement = std::move(st).value();
  const pb::Struct& pred = t.statement.predicate;
  auto result = RequiredString(pred, "result", input, "predicate");
  if (!result.ok()) return result.failure();
  t.result = result.value();
  if (t.result != "PASSED" && t.result != "WARNED" && t.result != "FAILED")
    return MakeFailure(Reason::kInputBadField, input,
                       "predicate.result must be PASSED, WARNED or FAILED");
  auto url = OptionalString(pred, "url", input, "predicate");
  if (!url.ok()) return url.failure();
  t.url = url.value();
  const pb::Value* conf = FindField(pred, "configuration");
  if (conf == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field predicate.configuration");
  if (conf->kind_case() != pb::Value::kListValue)
    return MakeFailure(Reason::kInputBadField, input, "predicate.configuration must be an array");
  for (const pb::Value& d : conf->list_value().values()) {
    if (d.kind_case() != pb::Value::kStructValue)
      return MakeFailure(Reason::kInputBadField, input,
                         "predicate.configuration[] must be objects");
    auto name = OptionalString(d.struct_value(), "name", input, "predicate.configuration[]");
    if (!name.ok()) return name.failure();
    if (!name.value().empty()) t.configurations.push_back(name.value());
  }
  auto passed = StringList(pred, "passedTests", input);
  if (!passed.ok()) return passed.failure();
  t.passed_tests = std::move(passed).value();
  auto failed = StringList(pred, "failedTests", input);
  if (!failed.ok()) return failed.failure();
  t.failed_tests = std::move(failed).value();
  auto warned = StringList(pred, "warnedTests", input);
  if (!warned.ok()) return warned.failure();
  return t;
}

}  // namespace sr::policy
