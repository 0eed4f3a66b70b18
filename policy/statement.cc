#include "policy/statement.h"

#include <algorithm>
#include <unordered_set>

#include "base/encoding.h"
#include "policy/json.h"

namespace sr::policy {
namespace pb = google::protobuf;

namespace {

// Takes its strings out of v (the statement's parsed document, not used
// again).
Checked<Subject> ParseSubject(pb::Value& v, std::string_view input, std::size_t index) {
  // Where a problem is, built only when there is one (a release may list a
  // thousand subjects).
  auto fail = [&](std::string_view field, std::string_view problem) {
    return MakeFailure(Reason::kInputBadField, input,
                       "statement.subject[" + std::to_string(index) + "]" + std::string(field) +
                           std::string(problem));
  };
  if (v.kind_case() != pb::Value::kStructValue) return fail("", " must be an object");
  Subject s;
  auto& fields = *v.mutable_struct_value()->mutable_fields();
  auto name = fields.find("name");
  if (name != fields.end()) {
    if (name->second.kind_case() != pb::Value::kStringValue)
      return fail(".name", " must be a string");
    s.name = std::move(*name->second.mutable_string_value());
  }
  auto digest = fields.find("digest");
  if (digest != fields.end() && digest->second.kind_case() != pb::Value::kStructValue)
    return fail(".digest", " must be an object");
  if (digest == fields.end() || digest->second.struct_value().fields().empty())
    return MakeFailure(Reason::kInputMissingField, input,
                       "statement.subject[" + std::to_string(index) +
                           "].digest is missing or empty");
  for (auto& [alg, value] : *digest->second.mutable_struct_value()->mutable_fields()) {
    if (value.kind_case() != pb::Value::kStringValue || value.string_value().size() > 256)
      return fail(".digest." + alg, " must be a string");
    std::string hex = std::move(*value.mutable_string_value());
    if (alg == "sha256" || alg == "sha512" || alg == "sha1" || alg == "sha384" ||
        alg == "gitCommit") {
      for (char& c : hex) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      if (!IsLowerHex(hex)) return fail(".digest." + alg, " is not hex");
    }
    if (alg == "sha256" && hex.size() != 64) return fail(".digest.sha256", " is not 64 hex digits");
    s.digest.emplace(alg, std::move(hex));
  }
  return s;
}

}  // namespace

Checked<Statement> ParseStatement(const Envelope& env, std::string_view input,
                                  const std::vector<std::string_view>& predicate_types) {
  if (env.payload_type != kInTotoPayloadType) {
    return MakeFailure(Reason::kInputUnknownPayloadType, input,
                       "payloadType \"" + env.payload_type.substr(0, 80) + "\" is not " +
                           std::string(kInTotoPayloadType));
  }
  pb::Arena arena;  // the parsed document, freed at once when this returns
  auto parsed = ParseJsonObjectOnArena(env.payload, input, &arena);
  if (!parsed.ok()) return parsed.failure();
  pb::Struct& doc = *parsed.value();
  Statement st;
  auto type = RequiredString(doc, "_type", input, "statement");
  if (!type.ok()) return type.failure();
  st.type = type.value();
  if (st.type != kStatementV1 && st.type != kStatementV01) {
    return MakeFailure(
        Reason::kStatementWrongType, input,
        "_type \"" + st.type.substr(0, 80) + "\" is not an in-toto Statement v1 or v0.1");
  }
  auto ptype = RequiredString(doc, "predicateType", input, "statement");
  if (!ptype.ok()) return ptype.failure();
  st.predicate_type = ptype.value();
  if (std::find(predicate_types.begin(), predicate_types.end(), st.predicate_type) ==
      predicate_types.end()) {
    std::string want;
    for (auto t : predicate_types) want += (want.empty() ? "" : " or ") + std::string(t);
    return MakeFailure(Reason::kStatementWrongPredicateType, input,
                       "predicateType \"" + st.predicate_type.substr(0, 80) + "\" is not " + want);
  }
  auto subj_it = doc.mutable_fields()->find("subject");
  pb::Value* subj = subj_it == doc.mutable_fields()->end() ? nullptr : &subj_it->second;
  if (subj == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field statement.subject");
  if (subj->kind_case() != pb::Value::kListValue || subj->list_value().values_size() == 0)
    return MakeFailure(Reason::kInputBadField, input,
                       "statement.subject must be a non-empty array");
  if (static_cast<std::size_t>(subj->list_value().values_size()) > kMaxSubjects)
    return MakeFailure(Reason::kInputTooLarge, input, "statement.subject has too many entries");
  std::size_t i = 0;
  st.subjects.reserve(static_cast<std::size_t>(subj->list_value().values_size()));
  for (pb::Value& v : *subj->mutable_list_value()->mutable_values()) {
    auto s = ParseSubject(v, input, i++);
    if (!s.ok()) return s.failure();
    st.subjects.push_back(std::move(s).value());
  }
  auto pred = OptionalObject(doc, "predicate", input, "statement");
  if (!pred.ok()) return pred.failure();
  if (pred.value() == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field statement.predicate");
  st.predicate = *pred.value();
  return st;
}

std::string StatementJson(const std::vector<Artifact>& subjects, std::string_view predicate_type,
                          std::string_view predicate_json) {
  // Written directly rather than through google.protobuf.Struct: a release of
  // a thousand artifacts would spend milliseconds building and printing a
  // Struct. One subject per line, so a reviewer can read it.
  std::string out = "{\n \"_type\": \"" + std::string(kStatementV1) + "\",\n \"subject\": [";
  out.reserve(out.size() + subjects.size() * 120 + predicate_json.size() + 128);
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    out += i ? ",\n  " : "\n  ";
    out += "{\"name\": \"" + JsonEscape(subjects[i].name) + "\", \"digest\": {\"sha256\": \"" +
           JsonEscape(subjects[i].sha256) + "\"}}";
  }
  out += "\n ],\n \"predicateType\": \"" + JsonEscape(predicate_type) + "\",\n \"predicate\": ";
  out += predicate_json.empty() ? std::string_view("{}") : predicate_json;
  out += "\n}\n";
  return out;
}

std::string SubjectDifference(const std::vector<Subject>& subjects,
                              const std::vector<Artifact>& artifacts) {
  std::string diff;
  auto add = [&](const std::string& s) { diff += (diff.empty() ? "" : "; ") + s; };
  std::unordered_set<std::string_view> subject_digests, artifact_digests;
  for (const Artifact& a : artifacts) artifact_digests.insert(a.sha256);
  for (const Subject& s : subjects) {
    auto it = s.digest.find("sha256");
    if (it == s.digest.end()) {
      add("subject \"" + s.name + "\" has no sha256 digest");
      continue;
    }
    subject_digests.insert(it->second);
    if (!artifact_digests.count(it->second))
      add("subject \"" + s.name + "\" (sha256 " + it->second +
          ") is not among the artifacts presented");
  }
  for (const Artifact& a : artifacts) {
    if (!subject_digests.count(a.sha256))
      add("artifact \"" + a.name + "\" (sha256 " + a.sha256 + ") is not a subject");
  }
  return diff;
}

std::string SubjectNotWithin(const std::vector<Subject>& subjects,
                             const std::vector<Artifact>& artifacts) {
  std::string diff;
  std::unordered_set<std::string_view> artifact_digests;
  for (const Artifact& a : artifacts) artifact_digests.insert(a.sha256);
  for (const Subject& s : subjects) {
    auto it = s.digest.find("sha256");
    bool ok = it != s.digest.end() && artifact_digests.count(it->second) > 0;
    if (!ok)
      diff +=
          (diff.empty() ? "" : "; ") + ("subject \"" + s.name + "\" is not an artifact presented");
  }
  return diff;
}

}  // namespace sr::policy
