// `strongroom audit report`: the auditor's report on one release, built from
// the log, the policy history and the evidence store alone (no station, no
// HSM). It answers the seed's evidence package field by field, its five
// verification questions (each with the log indexes that show it and an
// inclusion proof per cited event), the evidence maturity level of each
// configuration, and what is stale or missing as of a date.
//
// The log is first replayed as `audit replay` does (audit/replay.h): the
// verification method's checks for this release are that replay's checks at
// its SIGNING_INTENT and SIGNING events, plus the key authorization, approval
// threshold and approval order judged here against the policy in force.
//
// Maturity (docs/auditor-guide.md, "The audit report", has the rule):
//   1  the configuration is only named by the policy: nothing about it in
//      this release's approval, tests or records (an assertion)
//   2  the approval names it (in scope or excluded): a documented decision,
//      but no test evidence of this release names it
//   3  test evidence of this release names it (a produced artifact), but it
//      is not verified: a required test failed or is missing for it, a check
//      of the verification method failed, or it is excluded (an excluded
//      configuration is at most 3)
//   4  in scope, signed, every check of the verification method passed, and
//      every required test passed for it in test evidence the gate verified
//   5  4 and a deployment-result record for it is retained in the log
//
// Findings (stale or missing as of --as-of) include "a release still
// deployed whose vulnerability record changed" (audit/report_vex.h).
//
// Report files (--out FILE): FILE, and FILE.proofs/ (log/proof.h
// WriteProofDir: checkpoint and event-<N>.tlog-proof per cited event).
// Thread-compatible.
#ifndef STRONGROOM_AUDIT_REPORT_H_
#define STRONGROOM_AUDIT_REPORT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace sr::audit {

struct ReportOptions {
  std::string log_dir, evidence_dir, policies_dir;  // as ReplayOptions
  std::string vkey;                                 // the log's verifier key (string)
  std::string product, version;                     // --release PRODUCT@VERSION
  std::chrono::system_clock::time_point as_of;      // findings are judged at this time
  unsigned threads = 0;
};

// "P@V" -> product, version; kInvalidArgument naming what is wrong.
Status ParseRelease(std::string_view text, std::string* product, std::string* version);
// "YYYY-MM-DD" (that day, 00:00 UTC) or an RFC 3339 time.
Result<std::chrono::system_clock::time_point> ParseAsOf(std::string_view text);

// One piece of evidence the release rests on.
struct EvidenceItem {
  std::string kind;    // "approval", "signed manifest", "signing event", "test evidence", ...
  std::string name;    // what it is about (a configuration, a document name); may be ""
  std::string sha256;  // "" for a log event itself
  std::optional<std::uint64_t> log_index;  // the event that bound it
  std::string producer;                    // who produced it (name and key fingerprint)
  std::string status;  // "in the log" | "present" | "missing from the evidence store" | "altered"
};

// One check of the verification method, run now.
struct CheckResult {
  std::string name;    // stable: log, signature, evidence, intent, gate, key-authorization, ...
  std::string title;   // what was checked, in words
  std::string result;  // "passed" | "failed" | "not run"
  std::string detail;
  std::vector<std::uint64_t> indexes;
};

struct Answer {
  int number = 0;  // 1..5, the seed's order
  std::string question;
  std::string answer;  // "yes" | "no" | "partly"
  std::string explanation;
  std::vector<std::uint64_t> indexes;  // each has a proof in FILE.proofs/
};

struct Maturity {
  std::string configuration;
  int level = 1;
  bool excluded = false;
  bool in_scope = false;
  std::string reason;
};

struct Exclusion {
  std::string configuration, reason, mitigation;
  std::string follow_up;  // the date in force: the approval's, or the last "extend" record's
  std::string status;     // "open" | "overdue" | "included" | "dropped"
  std::optional<std::uint64_t> decided_at;  // the exclusion-decision record that set it
};

struct LifecycleRecordView {
  std::uint64_t index = 0;
  std::string record_type, cohort, configuration, outcome, owner, expires, follow_up_date;
  std::string summary, decided_at, signer_name, signer_fingerprint, envelope_sha256;
};

// Something stale or missing as of the report's date.
struct Finding {
  std::string kind;  // overdue-follow-up | policy-expiring | policy-expired |
                     // key-authorization-expiring | key-authorization-expired |
                     // stale-test-evidence | risk-acceptance-expired |
                     // vulnerability-record-changed
  std::string subject;
  std::string date;  // the date concerned
  std::string message;
  std::optional<std::uint64_t> index;  // the event that shows it (the newer one)
};

struct ReleaseReport {
  static constexpr int kFormatVersion = 1;
  std::string product, version, previous_version;
  std::string as_of;  // RFC 3339
  // The log as verified.
  std::string vkey, origin, checkpoint_note, root_base64;
  std::uint64_t checkpoint_size = 0;
  std::uint64_t signing_index = 0, intent_index = 0;
  std::optional<std::uint64_t> policy_index, key_index;
  std::uint64_t policy_version = 0;
  std::string signing_time, key_label, key_fingerprint, key_authorization_id;

  // The evidence package, in the seed's order.
  std::string decision, threat, practice;
  std::vector<std::string> cohorts, configurations;  // in scope
  std::vector<Exclusion> exclusions;
  std::vector<std::string> vulnerabilities;
  std::vector<EvidenceItem> evidence;
  std::vector<std::string> producers, consumers;
  std::vector<CheckResult> checks;
  std::vector<std::string> gaps;
  std::vector<std::string> exceptions;
  std::vector<std::string> retention_owners;  // empty: "not recorded"

  std::vector<Answer> answers;
  std::vector<Maturity> maturity;
  std::string maturity_summary;
  std::vector<Finding> findings;
  std::vector<LifecycleRecordView> records;
  std::map<std::uint64_t, std::string> proofs;  // cited index -> tlog-proof@v1 text
};

// Builds the report. kDataLoss when the log does not verify against its
// checkpoint with the vkey (nothing is reported); kNotFound when the log
// holds no SIGNING event of the release (naming the versions it does hold),
// or the evidence store is absent; kInvalidArgument for a bad vkey.
Result<ReleaseReport> BuildReport(const ReportOptions& options);

// Renderings. proof_dir_name: how the report names its proof folder (the
// base name of FILE.proofs, or "" when written to stdout without proofs).
std::string ReportMarkdown(const ReleaseReport& r, std::string_view proof_dir_name);
std::string ReportHtml(const ReleaseReport& r, std::string_view proof_dir_name);
// The JSON form (docs/formats.md, "Audit report"), indented.
std::string ReportJson(const ReleaseReport& r, std::string_view proof_dir_name);

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_REPORT_H_
