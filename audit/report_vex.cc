#include "audit/report_vex.h"

#include <algorithm>
#include <map>

namespace sr::audit::internal {
namespace v1 = strongroom::v1;

namespace {

bool Lists(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string Idx(std::uint64_t i) { return "event " + std::to_string(i); }

}  // namespace

std::optional<LaterVex> LaterVexOf(std::uint64_t index, const v1::Event& e,
                                   const std::string& version) {
  const v1::SigningEvent& s = e.signing();
  LaterVex out{index, e.time(), s.version(), s.vex_sha256(), {}};
  for (const auto& st : s.vex_statements())
    if (Lists(st.affected_versions(), version) || Lists(st.fixed_versions(), version))
      out.statements.push_back(st);
  if (out.statements.empty()) return std::nullopt;
  return out;
}

std::string StateAbout(const v1::VexStatementRecord& r, const std::string& version, bool own) {
  if (own && !r.status().empty()) return r.status();
  const bool affected = Lists(r.affected_versions(), version);
  const bool fixed = Lists(r.fixed_versions(), version);
  // Both: the document holds statements that disagree; "affected" is what
  // an operator must act on.
  if (affected) return "affected";
  if (fixed) return "fixed";
  return "";
}

std::vector<Finding> VexChangeFindings(const v1::SigningEvent& release, std::uint64_t si,
                                       const std::vector<LifecycleRecordView>& records,
                                       const std::vector<LaterVex>& later,
                                       const std::function<std::string(std::uint64_t)>& failed_at) {
  std::vector<Finding> out;
  if (release.vex_sha256().empty() && release.vex_statements_size() == 0) return out;
  // Deployed: a deployment-result that succeeded (or partly) and no
  // withdrawal record, as the report's lifecycle section reads them.
  std::vector<std::uint64_t> deployed;
  std::optional<std::uint64_t> withdrawn;
  for (const LifecycleRecordView& r : records) {
    if (r.record_type == "deployment-result" &&
        (r.outcome == "succeeded" || r.outcome == "partial"))
      deployed.push_back(r.index);
    if (r.record_type == "withdrawal") withdrawn = r.index;
  }
  if (deployed.empty() || withdrawn) return out;

  const std::string& version = release.version();
  const std::string who = release.product() + " " + version;
  std::map<std::string, std::string> own;  // vulnerability -> what its own VEX states
  for (const auto& st : release.vex_statements())
    own[st.vulnerability()] = StateAbout(st, version, true);
  // The latest later statement per vulnerability (log order).
  std::map<std::string, std::pair<const LaterVex*, const v1::VexStatementRecord*>> latest;
  for (const LaterVex& l : later)
    for (const auto& st : l.statements) latest[st.vulnerability()] = {&l, &st};

  std::string deployed_text;
  for (std::uint64_t d : deployed) deployed_text += (deployed_text.empty() ? "" : ", ") + Idx(d);
  for (const auto& [vuln, at] : latest) {
    const auto& [l, st] = at;
    const std::string now = StateAbout(*st, version, false);
    auto it = own.find(vuln);
    const std::string then = it == own.end() ? "" : it->second;
    if (now.empty() || now == then) continue;
    std::string old_text = then.empty()
                               ? "its own OpenVEX (" + release.vex_sha256() + ", bound in " +
                                     Idx(si) + ") states nothing about " + vuln + " for " + version
                               : "its own OpenVEX (" + release.vex_sha256() + ", bound in " +
                                     Idx(si) + ") states " + vuln + " " + then + " in " + version;
    std::string fix;
    for (const std::string& f : st->fixed_versions())
      if (f != version) fix += (fix.empty() ? "" : ", ") + f;
    std::string todo =
        now == "affected"
            ? "re-assess the deployed release: deploy a version that fixes it" +
                  (fix.empty() ? std::string() : " (" + fix + ")") +
                  ", record a risk acceptance with an owner and an expiry, or withdraw " + who +
                  " (`strongroom record`)"
            : "re-assess the deployed release against the new statement and record the "
              "decision (`strongroom record`)";
    std::string failed = failed_at ? failed_at(l->index) : "";
    out.push_back({"vulnerability-record-changed", who + ", " + vuln, l->time,
                   who + " is deployed (" + deployed_text +
                       ") and not withdrawn, and its vulnerability " +
                       "record changed: " + old_text + "; the OpenVEX bound when " +
                       release.product() + " " + l->version + " was signed (" + l->vex_sha256 +
                       ", " + Idx(l->index) + ") states " + vuln + " " + now + " in " + version +
                       (failed.empty() ? "" : " (that event fails audit replay: " + failed + ")") +
                       "; " + todo,
                   l->index});
  }
  return out;
}

}  // namespace sr::audit::internal
