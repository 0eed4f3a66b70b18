// The audit report as Markdown, printable HTML (base/render.h: escaped,
// self-contained, A4 print CSS) and JSON (docs/formats.md, "Audit report").
#include <nlohmann/json.hpp>

#include "audit/report.h"
#include "base/render.h"
#include "log/proof.h"

namespace sr::audit {
namespace {

using Json = nlohmann::ordered_json;

std::string Join(const std::vector<std::string>& v, std::string_view sep = "; ") {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

std::string ProofPath(std::string_view dir, std::uint64_t i) {
  if (dir.empty()) return "";
  return std::string(dir) + "/" + log::InclusionProofFileName(i);
}

std::string Events(const std::vector<std::uint64_t>& idx) {
  std::vector<std::string> v;
  for (auto i : idx) v.push_back(std::to_string(i));
  return v.empty() ? "-" : Join(v, ", ");
}

std::string Scope(const ReleaseReport& r) {
  std::string s = "product " + r.product + ", " +
                  (r.previous_version.empty() ? "" : r.previous_version + " -> ") + r.version +
                  "; cohorts: " + (r.cohorts.empty() ? "not recorded" : Join(r.cohorts, ", ")) +
                  "; configurations in scope: " +
                  (r.configurations.empty() ? "not recorded" : Join(r.configurations, ", "));
  for (const auto& x : r.exclusions)
    s += "; excluded: " + x.configuration + " (reason: " + x.reason +
         "; mitigation: " + (x.mitigation.empty() ? "not recorded" : x.mitigation) +
         "; follow-up " + x.follow_up + ", " + x.status + ")";
  s += "; vulnerabilities: " +
       (r.vulnerabilities.empty() ? "none named" : Join(r.vulnerabilities, ", "));
  return s;
}

std::string EvidenceSummary(const ReleaseReport& r) {
  std::vector<std::string> v;
  for (const auto& e : r.evidence)
    v.push_back(e.kind + (e.name.empty() ? "" : " (" + e.name + ")") +
                (e.log_index ? ", event " + std::to_string(*e.log_index) : ""));
  return Join(v);
}

std::string ChecksSummary(const ReleaseReport& r) {
  std::vector<std::string> v;
  for (const auto& c : r.checks) v.push_back(c.name + ": " + c.result);
  return Join(v, ", ");
}

sr::Document Build(const ReleaseReport& r, std::string_view proofs) {
  sr::Document d("Audit report: " + r.product + " " + r.version);
  d.Section("Summary");
  d.Paragraph(
      "Built from the signing-event log, the policy history and the evidence store alone, "
      "as of " +
      r.as_of + ". The log verified against its signed checkpoint (" + r.origin + ", " +
      std::to_string(r.checkpoint_size) + " events, root " + r.root_base64 +
      ") with the verifier key " + r.vkey + ".");
  d.Paragraph("Decision: " + r.decision + ".");
  d.Paragraph("Evidence maturity: " + r.maturity_summary + ".");
  d.Paragraph(r.findings.empty()
                  ? "Stale or missing as of " + r.as_of + ": nothing."
                  : "Stale or missing as of " + r.as_of + ": " + std::to_string(r.findings.size()) +
                        (r.findings.size() == 1 ? " finding" : " findings") +
                        " (section 'Stale or missing').");

  d.Section("Evidence package");
  d.Table({"Field", "Content"},
          {{"Decision supported", r.decision},
           {"Threat/failure mode addressed", r.threat},
           {"Practice/control supported", r.practice},
           {"Scope", Scope(r)},
           {"Evidence included", EvidenceSummary(r)},
           {"Producer/source", Join(r.producers)},
           {"Consumer/recipient", Join(r.consumers)},
           {"Verification method", ChecksSummary(r)},
           {"Known gaps", r.gaps.empty() ? "none found" : Join(r.gaps)},
           {"Exceptions/risk acceptance", r.exceptions.empty() ? "none" : Join(r.exceptions)},
           {"Retention owner",
            r.retention_owners.empty() ? "not recorded" : Join(r.retention_owners)}});
  d.Subheading("Evidence included");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : r.evidence)
    rows.push_back({e.kind, e.name, e.sha256.empty() ? "(the event itself)" : e.sha256,
                    e.log_index ? std::to_string(*e.log_index) : "-", e.producer, e.status});
  d.Table({"Kind", "About", "SHA-256", "Log index", "Produced by", "Status"}, rows);
  if (!r.exclusions.empty()) {
    d.Subheading("Excluded configurations");
    rows.clear();
    for (const auto& x : r.exclusions)
      rows.push_back({x.configuration, x.reason, x.mitigation, x.follow_up, x.status,
                      x.decided_at ? std::to_string(*x.decided_at) : "-"});
    d.Table({"Configuration", "Reason", "Mitigation", "Follow-up date", "Status", "Decision event"},
            rows);
  }
  d.Subheading("Verification method (each check run now)");
  rows.clear();
  for (const auto& c : r.checks)
    rows.push_back({c.name, c.title, c.result, c.detail, Events(c.indexes)});
  d.Table({"Check", "What", "Result", "Detail", "Events"}, rows);

  d.Section("Verification questions");
  rows.clear();
  for (const auto& a : r.answers) {
    std::vector<std::string> files;
    for (auto i : a.indexes) files.push_back(ProofPath(proofs, i));
    rows.push_back({std::to_string(a.number), a.question, a.answer, a.explanation,
                    Events(a.indexes) + (proofs.empty() ? "" : " (" + Join(files, ", ") + ")")});
  }
  d.Table({"#", "Question", "Answer", "Why", "Events (proofs)"}, rows);

  d.Section("Evidence maturity");
  d.Paragraph(r.maturity_summary + ".");
  rows.clear();
  for (const auto& m : r.maturity)
    rows.push_back({m.configuration, std::to_string(m.level),
                    m.excluded   ? "excluded"
                    : m.in_scope ? "in scope"
                                 : "not addressed",
                    m.reason});
  d.Table({"Configuration", "Level", "Scope", "Reason"}, rows);
  d.Paragraph(
      "Levels: 1 assertion (only the policy names it); 2 documented process (the approval names "
      "it, no test evidence); 3 produced artifact (test evidence, not verified, or excluded: an "
      "excluded configuration is at most 3); 4 verified (in scope, signed, every check passed, "
      "every required test passed for it); 5 verified and retained (4 and a deployment-result "
      "record for it in the log).");

  d.Section("Stale or missing as of " + r.as_of);
  if (r.findings.empty()) {
    d.Paragraph("Nothing is stale or missing.");
  } else {
    rows.clear();
    for (const auto& f : r.findings)
      rows.push_back(
          {f.kind, f.subject, f.date, f.message, f.index ? std::to_string(*f.index) : "-"});
    d.Table({"Finding", "Subject", "Date", "What", "Event"}, rows);
  }

  d.Section("Lifecycle records");
  if (r.records.empty()) {
    d.Paragraph("No lifecycle record of this release is in the log.");
  } else {
    rows.clear();
    for (const auto& l : r.records)
      rows.push_back({std::to_string(l.index), l.record_type, l.cohort, l.configuration, l.outcome,
                      l.owner, l.decided_at, l.summary,
                      l.signer_name.empty() ? l.signer_fingerprint : l.signer_name});
    d.Table({"Event", "Type", "Cohort", "Configuration", "Outcome", "Owner", "Decided", "Summary",
             "Signed by"},
            rows);
  }

  d.Section("Inclusion proofs");
  std::vector<std::string> cmds;
  if (proofs.empty()) {
    d.Paragraph(
        "Written to standard output without proofs: give --out FILE to write FILE.proofs/ "
        "with one inclusion proof per cited event.");
  } else {
    d.Paragraph("Every event cited above has an inclusion proof against the checkpoint below in " +
                std::string(proofs) +
                "/ (C2SP tlog-proof@v1, the event in its extra line). Check "
                "each with the log's verifier key:");
    for (const auto& [i, p] : r.proofs)
      cmds.push_back("strongroom log verify-proof " + ProofPath(proofs, i) + " --vkey VKEY");
    d.Code(Join(cmds, "\n"));
  }
  d.Subheading("The checkpoint");
  d.Code(r.checkpoint_note);
  return d;
}

Json Opt(const std::optional<std::uint64_t>& i) { return i ? Json(*i) : Json(nullptr); }

}  // namespace

std::string ReportMarkdown(const ReleaseReport& r, std::string_view proofs) {
  return Build(r, proofs).Markdown();
}

std::string ReportHtml(const ReleaseReport& r, std::string_view proofs) {
  return Build(r, proofs).Html();
}

std::string ReportJson(const ReleaseReport& r, std::string_view proofs) {
  Json exclusions = Json::array();
  for (const auto& x : r.exclusions)
    exclusions.push_back({{"configuration", x.configuration},
                          {"reason", x.reason},
                          {"mitigation", x.mitigation},
                          {"follow_up_date", x.follow_up},
                          {"status", x.status},
                          {"decision_index", Opt(x.decided_at)}});
  Json evidence = Json::array();
  for (const auto& e : r.evidence)
    evidence.push_back({{"kind", e.kind},
                        {"name", e.name},
                        {"sha256", e.sha256},
                        {"log_index", Opt(e.log_index)},
                        {"producer", e.producer},
                        {"status", e.status}});
  Json checks = Json::array();
  for (const auto& c : r.checks)
    checks.push_back({{"name", c.name},
                      {"title", c.title},
                      {"result", c.result},
                      {"detail", c.detail},
                      {"indexes", c.indexes}});
  Json answers = Json::array();
  for (const auto& a : r.answers) {
    Json files = Json::array();
    if (!proofs.empty())
      for (auto i : a.indexes) files.push_back(ProofPath(proofs, i));
    answers.push_back({{"number", a.number},
                       {"question", a.question},
                       {"answer", a.answer},
                       {"explanation", a.explanation},
                       {"indexes", a.indexes},
                       {"proofs", files}});
  }
  Json maturity = Json::array();
  for (const auto& m : r.maturity)
    maturity.push_back({{"configuration", m.configuration},
                        {"level", m.level},
                        {"in_scope", m.in_scope},
                        {"excluded", m.excluded},
                        {"reason", m.reason}});
  Json findings = Json::array();
  for (const auto& f : r.findings)
    findings.push_back({{"kind", f.kind},
                        {"subject", f.subject},
                        {"date", f.date},
                        {"message", f.message},
                        {"index", Opt(f.index)}});
  Json records = Json::array();
  for (const auto& l : r.records)
    records.push_back({{"index", l.index},
                       {"record_type", l.record_type},
                       {"cohort", l.cohort},
                       {"configuration", l.configuration},
                       {"outcome", l.outcome},
                       {"owner", l.owner},
                       {"expires", l.expires},
                       {"follow_up_date", l.follow_up_date},
                       {"summary", l.summary},
                       {"decided_at", l.decided_at},
                       {"signer_name", l.signer_name},
                       {"signer_fingerprint", l.signer_fingerprint},
                       {"envelope_sha256", l.envelope_sha256}});
  Json proof_files = Json::object();
  if (!proofs.empty())
    for (const auto& [i, p] : r.proofs) proof_files[std::to_string(i)] = ProofPath(proofs, i);
  Json j = {
      {"format", "strongroom-audit-report"},
      {"version", ReleaseReport::kFormatVersion},
      {"release",
       {{"product", r.product}, {"version", r.version}, {"previous_version", r.previous_version}}},
      {"as_of", r.as_of},
      {"log",
       {{"origin", r.origin},
        {"size", r.checkpoint_size},
        {"root", r.root_base64},
        {"vkey", r.vkey},
        {"checkpoint", r.checkpoint_note},
        {"signing_index", r.signing_index},
        {"intent_index", r.intent_index},
        {"policy_index", Opt(r.policy_index)},
        {"policy_version", r.policy_version}}},
      {"package",
       {{"decision", r.decision},
        {"threat", r.threat},
        {"practice", r.practice},
        {"scope",
         {{"product", r.product},
          {"from_version", r.previous_version},
          {"to_version", r.version},
          {"cohorts", r.cohorts},
          {"configurations", r.configurations},
          {"exclusions", exclusions},
          {"vulnerabilities", r.vulnerabilities}}},
        {"evidence", evidence},
        {"producers", r.producers},
        {"consumers", r.consumers},
        {"verification", checks},
        {"known_gaps", r.gaps},
        {"exceptions", r.exceptions},
        {"retention_owners", r.retention_owners}}},
      {"questions", answers},
      {"maturity", {{"summary", r.maturity_summary}, {"configurations", maturity}}},
      {"findings", findings},
      {"records", records},
      {"proofs",
       {{"dir", std::string(proofs)},
        {"checkpoint", proofs.empty() ? "" : std::string(proofs) + "/checkpoint"},
        {"events", proof_files}}}};
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace sr::audit
