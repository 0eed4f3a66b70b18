#include "policy/lifecycle_record.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>

#include "base/encoding.h"
#include "policy/json.h"

namespace sr::policy {
namespace v1 = strongroom::v1;

namespace {

// Bounds on the free-text fields: they are copied into the logged event.
constexpr std::size_t kMaxShortField = 256;  // names, cohorts, dates
constexpr std::size_t kMaxSummary = 4096;
constexpr std::size_t kMaxDetail = 65536;
constexpr int kMaxEvidenceDigests = 64;

bool IsRfc3339(std::string_view s) {
  google::protobuf::Timestamp ts;
  return !s.empty() && s.size() <= 64 &&
         google::protobuf::util::TimeUtil::FromString(std::string(s), &ts);
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s.substr(0, 80)) + "\""; }

}  // namespace

const std::vector<RecordTypeInfo>& RecordTypes() {
  static const std::vector<RecordTypeInfo> kTypes = {
      {"deployment-result", {"succeeded", "failed", "partial"}},
      {"rollback", {"performed", "failed"}},
      {"recovery", {"performed", "failed"}},
      {"exclusion-decision", {"extend", "include", "drop"}},
      {"risk-acceptance", {"accepted"}},
      {"withdrawal", {"withdrawn"}},
      {"customer-notification", {"sent"}},
  };
  return kTypes;
}

const RecordTypeInfo* FindRecordType(std::string_view name) {
  for (const RecordTypeInfo& t : RecordTypes())
    if (t.name == name) return &t;
  return nullptr;
}

std::string RecordTypeList() {
  std::string out;
  for (const RecordTypeInfo& t : RecordTypes())
    out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

bool IsCalendarDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return false;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::chrono::year_month_day d{std::chrono::year(num(0, 4)),
                                std::chrono::month(static_cast<unsigned>(num(5, 2))),
                                std::chrono::day(static_cast<unsigned>(num(8, 2)))};
  return d.ok();
}

std::string RecordSignerProblem(const v1::RecordSigner& s) {
  if (s.record_types_size() == 0)
    return "recordTypes is empty (list the record types this key may sign: " + RecordTypeList() +
           ")";
  for (const std::string& t : s.record_types())
    if (FindRecordType(t) == nullptr)
      return "recordTypes names " + Quoted(t) + ", not a record type (" + RecordTypeList() + ")";
  return "";
}

Checked<RecordSignerMatch> TrustRecordSigner(const Envelope& env, const LoadedPolicy& lp,
                                             const v1::ProductPolicy& product,
                                             std::string_view record_type, std::string_view input) {
  std::vector<PublicKey> keys;
  for (const v1::RecordSigner& s : product.record_signers())
    if (const PublicKey* k = lp.Key(s.key())) keys.push_back(*k);
  ThresholdResult r = VerifySignatures(env, keys);
  std::string others;  // record signers that signed, but not for this type
  for (const v1::RecordSigner& s : product.record_signers()) {
    const PublicKey* k = lp.Key(s.key());
    if (k == nullptr || !r.accepted.count(k->fingerprint())) continue;
    if (std::find(s.record_types().begin(), s.record_types().end(), record_type) !=
        s.record_types().end())
      return RecordSignerMatch{k->fingerprint(), s.key().name()};
    std::string types;
    for (const auto& t : s.record_types()) types += (types.empty() ? "" : ", ") + t;
    others += (others.empty() ? "" : "; ") + s.key().name() + " (" +
              k->fingerprint().substr(0, 16) + "...) may sign " + types;
  }
  if (!others.empty())
    return MakeFailure(Reason::kRecordSignerNotForType, input,
                       "the record is signed by a record signer of " + product.name() +
                           " that the policy does not trust for " + Quoted(record_type) +
                           " records: " + others +
                           "; have it signed by a key listed for this type in recordSigners");
  if (r.invalid > 0)
    return MakeFailure(Reason::kRecordSignatureInvalid, input,
                       "a signature names a record signer of " + product.name() +
                           " but does not verify: the record was altered after signing");
  std::string ids;
  for (const auto& id : r.unknown_keyids) ids += (ids.empty() ? "" : ", ") + id.substr(0, 16);
  return MakeFailure(
      Reason::kRecordUntrustedSigner, input,
      "no signature by a key the policy trusts for " + Quoted(record_type) + " records of " +
          product.name() + " (" + std::to_string(env.signatures.size()) + " signature(s)" +
          (ids.empty() ? "" : ", keyid " + ids) +
          "); add the signer to the product's recordSigners in the next policy, or have the "
          "record signed by a trusted key");
}

std::vector<Failure> CheckRecordFields(const v1::LifecycleRecord& r,
                                       const v1::ProductPolicy& product, std::string_view input) {
  std::vector<Failure> out;
  auto bad = [&](std::string m) {
    out.push_back(MakeFailure(Reason::kRecordFieldInvalid, input, std::move(m)));
  };
  const RecordTypeInfo* type = FindRecordType(r.record_type());
  if (type == nullptr) {
    out.push_back(MakeFailure(
        Reason::kRecordTypeUnknown, input,
        "recordType " + Quoted(r.record_type()) + " is not one of " + RecordTypeList()));
    return out;
  }
  const std::string t(type->name);
  const std::pair<const char*, const std::string*> short_fields[] = {
      {"cohort", &r.cohort()},
      {"configuration", &r.configuration()},
      {"outcome", &r.outcome()},
      {"decidedAt", &r.decided_at()},
      {"owner", &r.owner()},
      {"expires", &r.expires()},
      {"followUpDate", &r.follow_up_date()}};
  for (const auto& [name, value] : short_fields)
    if (value->size() > kMaxShortField)
      bad(std::string(name) + " is " + std::to_string(value->size()) + " bytes, above " +
          std::to_string(kMaxShortField));
  if (r.summary().size() > kMaxSummary)
    bad("summary is above " + std::to_string(kMaxSummary) + " bytes");
  if (r.detail().size() > kMaxDetail)
    bad("detail is above " + std::to_string(kMaxDetail) + " bytes");
  if (std::find(type->outcomes.begin(), type->outcomes.end(), r.outcome()) ==
      type->outcomes.end()) {
    std::string allowed;
    for (auto o : type->outcomes) allowed += (allowed.empty() ? "" : " | ") + std::string(o);
    bad("outcome " + Quoted(r.outcome()) + " is not one a " + t + " record states (" + allowed +
        ")");
  }
  if (!IsRfc3339(r.decided_at()))
    bad("decidedAt " + Quoted(r.decided_at()) +
        " is not an RFC 3339 time (e.g. 2026-12-06T10:00:00Z): say when it happened");
  bool needs_configuration =
      t == "deployment-result" || t == "rollback" || t == "recovery" || t == "exclusion-decision";
  if (needs_configuration && r.configuration().empty())
    bad("a " + t + " record names its configuration (one of the product's configurations)");
  if (!r.configuration().empty() &&
      std::find(product.configurations().begin(), product.configurations().end(),
                r.configuration()) == product.configurations().end()) {
    std::string known;
    for (const auto& c : product.configurations()) known += (known.empty() ? "" : ", ") + c;
    out.push_back(MakeFailure(
        Reason::kRecordConfigurationUnknown, input,
        "configuration " + Quoted(r.configuration()) + " is not a configuration of " +
            product.name() + " in the policy (" + (known.empty() ? "none listed" : known) + ")"));
  }
  if (t == "deployment-result" && r.cohort().empty())
    bad("a deployment-result record names its cohort (e.g. \"A\")");
  if (t == "risk-acceptance" && r.owner().empty())
    bad("a risk-acceptance record names its owner (who owns the risk)");
  if (t == "risk-acceptance" && r.expires().empty())
    bad("a risk-acceptance record says when it expires (YYYY-MM-DD)");
  if (!r.expires().empty() && !IsCalendarDate(r.expires()) && !IsRfc3339(r.expires()))
    bad("expires " + Quoted(r.expires()) + " is not a date (YYYY-MM-DD) or RFC 3339 time");
  if (t == "exclusion-decision" && r.outcome() == "extend" && r.follow_up_date().empty())
    bad("an exclusion-decision that extends the exclusion gives the new followUpDate "
        "(YYYY-MM-DD)");
  if (!r.follow_up_date().empty() && !IsCalendarDate(r.follow_up_date()))
    bad("followUpDate " + Quoted(r.follow_up_date()) + " is not a date (YYYY-MM-DD)");
  if (t == "exclusion-decision" && r.outcome() == "include" && r.evidence_sha256_size() == 0)
    bad("an exclusion-decision that includes the configuration names the passing test "
        "evidence by digest (evidenceSha256)");
  if (r.evidence_sha256_size() > kMaxEvidenceDigests)
    bad("evidenceSha256 lists more than " + std::to_string(kMaxEvidenceDigests) + " digests");
  for (const std::string& d : r.evidence_sha256())
    if (!IsSha256Hex(d)) bad("evidenceSha256 " + Quoted(d) + " is not a lower-case hex SHA-256");
  return out;
}

}  // namespace sr::policy
