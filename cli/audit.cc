// `strongroom audit replay`: the auditor's re-judgement of a whole log
// (audit/replay.h), and `strongroom audit report`: one release's evidence
// package, questions, maturity and findings (audit/report.h). Parse, call,
// print.
#include <iostream>

#include "audit/replay.h"
#include "audit/report.h"
#include "base/file.h"
#include "cli/common.h"
#include "cli/json.h"
#include "log/note.h"
#include "log/proof.h"

namespace sr::cli {
namespace {

// What `audit replay` and `audit report` both read: a copy of the log, the
// evidence store and the installed policies, and the vkey the auditor trusts.
struct LogInputs {
  std::string log, evidence, policies, vkey;
  unsigned threads = 0;
};

void AddLogInputs(CLI::App* c, LogInputs* in) {
  c->add_option("--log", in->log, "The log directory (STATION/log)")->required();
  c->add_option("--evidence", in->evidence, "The evidence store (STATION/evidence)")->required();
  c->add_option("--vkey", in->vkey, "The log's verifier key (string or file) you trust")
      ->required();
  c->add_option("--policies", in->policies,
                "Where installed policy envelopes are also looked up as <sha256>.json\n"
                "(STATION/policy); default: the evidence store only");
}

struct ReplayArgs : LogInputs {
  std::string since;
};

Json ReportJson(const audit::ReplayReport& r) {
  Json checks = Json::object();
  for (const auto& [name, c] : r.checks)
    checks[name] = {{"passed", c.passed}, {"failed", c.failed}};
  Json failures = Json::array();
  for (const auto& f : r.failures)
    failures.push_back(
        {{"index", f.index}, {"check", f.check}, {"digest", f.digest}, {"message", f.message}});
  Json skipped = Json::array();
  for (const auto& n : r.not_rerunnable)
    skipped.push_back({{"index", n.index}, {"reason", n.reason}});
  return {{"ok", r.ok},
          {"events", r.events},
          {"from_index", r.from_index},
          {"checks", std::move(checks)},
          {"signatures_verified", r.signatures_verified},
          {"signatures_not_checkable", r.signatures_not_checkable},
          {"hashes", r.hashes},
          {"envelopes_verified", r.envelopes_verified},
          {"envelopes_reused", r.envelopes_reused},
          {"evidence_read_ahead", r.evidence_read_ahead},
          {"failure_count", r.failure_count},
          {"failures", std::move(failures)},
          {"not_rerunnable_count", r.not_rerunnable_count},
          {"not_rerunnable", std::move(skipped)}};
}

void PrintHuman(const audit::ReplayReport& r) {
  std::cout << "replayed " << r.events << " events"
            << (r.from_index ? " (checked from event " + std::to_string(r.from_index) + ")" : "")
            << ": " << r.signatures_verified << " signatures verified, " << r.hashes
            << " evidence objects hashed\n";
  for (const auto& [name, c] : r.checks)
    std::cout << "  " << (c.failed ? "FAILED  " : "ok      ") << name << ": " << c.passed
              << " passed, " << c.failed << " failed\n";
  if (r.signatures_not_checkable)
    std::cout << "  note: " << r.signatures_not_checkable
              << " artifact signatures are over SHA-384 or whole files (P-384, Ed25519 keys) "
                 "and need the artifacts themselves: check them with `strongroom verify`\n";
  for (const auto& n : r.not_rerunnable)
    std::cout << "  event " << n.index << ": " << n.reason << "\n";
  if (r.not_rerunnable_count > r.not_rerunnable.size())
    std::cout << "  ... " << (r.not_rerunnable_count - r.not_rerunnable.size())
              << " more refusals not re-runnable\n";
  for (const auto& f : r.failures)
    std::cerr << "  FAILED event " << f.index << " [" << f.check << "]"
              << (f.digest.empty() ? "" : " " + f.digest) << ": " << f.message << "\n";
  if (r.failure_count > r.failures.size())
    std::cerr << "  ... and " << (r.failure_count - r.failures.size()) << " more failures\n";
  if (r.ok)
    std::cout << "replay: every event of the log is justified by its evidence\n";
  else
    std::cerr << "strongroom: audit replay FAILED: " << r.failure_count << " failures\n";
}

int RunReplay(Context& ctx, const ReplayArgs& a) {
  audit::ReplayOptions o;
  o.log_dir = a.log;
  o.evidence_dir = a.evidence;
  o.policies_dir = a.policies;
  o.threads = a.threads;
  auto vk = VerifierKeyText(a.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  o.vkey = *vk;
  if (!a.since.empty()) {
    auto s = ReadFile(a.since, log::kMaxProofBytes);
    if (!s.ok()) return ReportError(ctx, s.status().Annotate("--since"));
    auto note = log::CheckpointNoteOf(*s, "--since " + a.since);
    if (!note.ok()) return ReportError(ctx, note.status());
    o.since = *note;
  }
  auto rep = audit::Replay(o);
  if (!rep.ok()) return ReportError(ctx, rep.status().Annotate("audit replay"));
  if (ctx.json)
    PrintJson(ReportJson(*rep));
  else
    PrintHuman(*rep);
  if (rep->ok) return kExitOk;
  return rep->log.ok ? kExitRefused : kExitTampered;
}

struct ReportArgs : LogInputs {
  std::string release, as_of, format = "md", out;
  bool fail_on_findings = false;
};

int RunReport(Context& ctx, const ReportArgs& a) {
  audit::ReportOptions o;
  if (Status s = audit::ParseRelease(a.release, &o.product, &o.version); !s.ok())
    return ReportError(ctx, s);
  o.as_of = std::chrono::system_clock::now();
  if (!a.as_of.empty()) {
    auto t = audit::ParseAsOf(a.as_of);
    if (!t.ok()) return ReportError(ctx, t.status());
    o.as_of = *t;
  }
  std::string format = ctx.json ? "json" : a.format;
  if (format != "md" && format != "json" && format != "html")
    return ReportError(ctx, InvalidArgument("--format must be md, json or html, not '" +
                                            format.substr(0, 40) + "'"));
  o.log_dir = a.log;
  o.evidence_dir = a.evidence;
  o.policies_dir = a.policies;
  o.threads = a.threads;
  auto vk = VerifierKeyText(a.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  o.vkey = *vk;
  auto rep = audit::BuildReport(o);
  if (!rep.ok()) return ReportError(ctx, rep.status().Annotate("audit report"));
  std::string proofs = a.out.empty() ? "" : BaseName(a.out) + ".proofs";
  std::string text = format == "json"   ? audit::ReportJson(*rep, proofs)
                     : format == "html" ? audit::ReportHtml(*rep, proofs)
                                        : audit::ReportMarkdown(*rep, proofs);
  if (a.out.empty()) {
    std::cout << text;
  } else {
    // The proofs first: a report on disk always has its proofs beside it.
    std::vector<std::pair<std::uint64_t, std::string>> files(rep->proofs.begin(),
                                                             rep->proofs.end());
    if (Status s = log::WriteProofDir(a.out + ".proofs", rep->checkpoint_note, files); !s.ok())
      return ReportError(ctx, s.Annotate("--out"));
    if (Status s = WriteFileAtomic(a.out, text, 0644); !s.ok())
      return ReportError(ctx, s.Annotate("--out"));
    std::cerr << "audit report: " << rep->product << " " << rep->version << " written to " << a.out
              << " with " << rep->proofs.size() << " inclusion proofs in " << a.out << ".proofs/; "
              << rep->findings.size() << " findings as of " << rep->as_of << "\n";
  }
  if (a.fail_on_findings && !rep->findings.empty()) return kExitRefused;
  return kExitOk;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "The auditor's checks of a station's log");
  audit->require_subcommand(1);
  audit->fallthrough();
  auto a = std::make_shared<ReplayArgs>();
  auto* r = audit->add_subcommand(
      "replay",
      "Stream the whole log once and judge every event again, not only its hash: each\n"
      "SIGNING has its SIGNING_INTENT with the same bindings; every recorded signature\n"
      "verifies under the recorded key; the manifest, VSA, approval, provenance and test\n"
      "evidence in the evidence store hash to what the event records; the signing gate,\n"
      "re-run from the evidence with the policy in force at that index and the event's time,\n"
      "allows each SIGNING with the same key authorization and refuses each re-runnable\n"
      "REFUSAL for its recorded reasons; policy installations chain; versions never go back;\n"
      "no key signs after its revocation. Each failure names the event index, the check and\n"
      "the evidence digest. Needs no HSM, no PIN and no station lock.\n"
      "Exit 0 = every check passed, 1 = a replay check failed, 6 = the log itself fails\n"
      "verification (as `log verify`), 3/4 = unusable options or files.");
  AddLogInputs(r, a.get());
  r->add_option("--since", a->since,
                "A checkpoint you kept from an earlier replay: the log must extend it, and only\n"
                "the events after it are checked (the earlier ones still build the state)");
  r->add_option("--threads", a->threads, "Worker threads (default: all cores)");
  r->callback([&ctx, a] { ctx.exit_code = RunReplay(ctx, *a); });

  auto b = std::make_shared<ReportArgs>();
  auto* p = audit->add_subcommand(
      "report",
      "The auditor's report on one release, from the log, the policy history and the evidence\n"
      "store alone (no HSM, no PIN, no station lock): the evidence package field by field\n"
      "(decision, threat, practice, scope, evidence with digest, log index and producer,\n"
      "producer, consumer, verification method with each check run now, known gaps,\n"
      "exceptions, retention owner); the five verification questions answered yes / no /\n"
      "partly with the log indexes that show it; the evidence maturity level (1-5) of each\n"
      "configuration with its reason; what is stale or missing as of --as-of (overdue\n"
      "exclusion follow-ups, policy or key authorization expiring within 30 days or expired,\n"
      "test evidence older than the policy's freshness window, expired risk acceptances).\n"
      "--out FILE also writes FILE.proofs/: the checkpoint and one inclusion proof per cited\n"
      "event, each accepted by `strongroom log verify-proof`.\n"
      "Exit 0 = the report was produced (findings are its content); 1 = with\n"
      "--fail-on-findings, something is stale or missing; 6 = the log does not verify\n"
      "(nothing written); 3/4 = unusable options or files, or the release is not in the log.");
  p->add_option("--release", b->release, "PRODUCT@VERSION, e.g. IC-22@5.4.3")->required();
  AddLogInputs(p, b.get());
  p->add_option("--as-of", b->as_of,
                "Judge staleness at this date (YYYY-MM-DD, 00:00 UTC) or RFC 3339 time\n"
                "(default: now)");
  p->add_option("--format", b->format, "md (default), json or html (one printable file)")
      ->check(CLI::IsMember({"md", "json", "html"}));
  p->add_option("--out", b->out,
                "Write the report to FILE and the inclusion proofs to FILE.proofs/\n"
                "(default: the report on standard output, without proofs)");
  p->add_flag("--fail-on-findings", b->fail_on_findings,
              "Exit 1 when anything is stale or missing as of --as-of");
  p->add_option("--threads", b->threads, "Worker threads of the replay (default: all cores)");
  p->callback([&ctx, b] { ctx.exit_code = RunReport(ctx, *b); });
}

}  // namespace sr::cli
