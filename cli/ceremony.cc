// `strongroom ceremony approve|run|abort|print`: thin verbs over
// ceremonies/ (definitions, approval, runner, printable script).
#include <unistd.h>

#include <iostream>
#include <map>

#include "base/file.h"
#include "ceremonies/answers.h"
#include "ceremonies/approval.h"
#include "ceremonies/definition.h"
#include "ceremonies/script_document.h"
#include "ceremonies/runner.h"
#include "cli/common.h"
#include "cli/json.h"
#include "release/key_file.h"
#include "station/pin_source.h"

extern char** environ;

namespace sr::cli {
namespace {

namespace cer = sr::ceremonies;

struct ApproveOptions {
  std::string file, key, out;
};

int RunApprove(Context& ctx, const ApproveOptions& o) {
  auto def = cer::LoadDefinition(o.file);
  if (!def.ok()) return ReportError(ctx, def.status());
  std::string out = o.out.empty() ? o.file + ".approval.json" : o.out;
  policy::Envelope env;
  if (PathExists(out)) {
    auto text = ReadFile(out, cer::kMaxApprovalBytes);
    if (!text.ok()) return ReportError(ctx, text.status());
    auto parsed = policy::ParseEnvelope(text.value(), out);
    if (!parsed.ok()) return ReportError(ctx, policy::FailureToStatus(parsed.failure()));
    env = std::move(parsed).value();
  }
  auto signer = release::KeyFileSigner::FromFile(o.key);
  if (!signer.ok()) return ReportError(ctx, signer.status());
  Status st = cer::AddApproval(&env, def.value(), *signer.value());
  if (!st.ok()) return ReportError(ctx, st.Annotate(out));
  st = WriteFileAtomic(out, policy::SerializeEnvelope(env));
  if (!st.ok()) return ReportError(ctx, st);
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"approval", out},
               {"definition_sha256", def->sha256},
               {"keyid", signer.value()->KeyId()},
               {"signatures", env.signatures.size()}});
  } else {
    std::cout << "approved " << o.file << " (sha256 " << def->sha256 << ") with key "
              << signer.value()->KeyId() << "; " << out << " holds " << env.signatures.size()
              << " signature(s)\n";
  }
  return kExitOk;
}

struct RunCliOptions {
  std::string file, approval, governance, station, answers, workdir, resume,
      log_pin_source = "prompt";
  std::vector<std::string> params;
};

int ReportRun(Context& ctx, const cer::RunResult& r) {
  bool done = r.outcome == cer::Outcome::kCompleted;
  if (ctx.json) {
    PrintJson({{"ok", done},
               {"ceremony_id", r.ceremony_id},
               {"outcome", std::string(cer::OutcomeName(r.outcome))},
               {"steps_completed", r.steps_completed},
               {"reason", r.reason}});
  }
  std::ostream& os = ctx.json ? std::cerr : std::cout;
  switch (r.outcome) {
    case cer::Outcome::kCompleted:
      os << "\nceremony " << r.ceremony_id << " completed (" << r.steps_completed
         << " steps, each logged)\n";
      return kExitOk;
    case cer::Outcome::kAborted:
      os << "\nceremony " << r.ceremony_id << " ABORTED after " << r.steps_completed
         << " step(s): " << r.reason << " (logged)\n";
      return kExitRefused;
    default:
      os << "\nceremony " << r.ceremony_id << " STOPPED after " << r.steps_completed
         << " step(s): " << r.reason << "\n  resume it with `strongroom ceremony run --resume "
         << r.ceremony_id << " --station DIR`, or end it with `strongroom ceremony abort "
         << r.ceremony_id << " --station DIR --reason ...`\n";
      return kExitPrecondition;
  }
}

int RunRun(Context& ctx, const RunCliOptions& o) {
  Status env = RefusePinsInEnvironment(environ);
  if (!env.ok()) return ReportError(ctx, env);
  cer::RunOptions ro;
  if (o.resume.empty()) {
    if (o.file.empty() || o.approval.empty())
      return ReportError(
          ctx, InvalidArgument("give the definition FILE and --approval ENV, or --resume ID"));
  } else if (!o.file.empty() || !o.approval.empty() || !o.governance.empty()) {
    return ReportError(
        ctx,
        InvalidArgument(
            "--resume ID takes the definition, approval and parameters the run "
            "started with (kept in the station): leave out FILE, --approval and --governance"));
  }
  ro.definition_path = o.file;
  ro.approval_path = o.approval;
  ro.governance_path = o.governance;
  ro.resume_id = o.resume;
  ro.station = o.station;
  ro.workdir = o.workdir;
  ro.log_pin_source = o.log_pin_source;
  for (const auto& p : o.params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return ReportError(ctx, InvalidArgument("--param " + p + ": expected NAME=VALUE"));
    ro.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  std::optional<cer::Answers> answers;
  if (!o.answers.empty()) {
    auto a = cer::LoadAnswers(o.answers);
    if (!a.ok()) return ReportError(ctx, a.status());
    answers = std::move(a).value();
    ro.answers = &*answers;
  } else if (!::isatty(0)) {
    return ReportError(
        ctx, InvalidArgument("an interactive ceremony needs a terminal: run it on one, or give "
                             "--answers FILE for a scripted rehearsal"));
  }
  if (ctx.json) ro.out = &std::cerr;
  auto r = cer::RunCeremony(ro);
  if (!r.ok()) return ReportError(ctx, r.status().Annotate("ceremony run"));
  return ReportRun(ctx, r.value());
}

struct AbortOptions {
  std::string id, station, reason, log_pin_source = "prompt";
  std::vector<std::string> operators;
};

int RunAbort(Context& ctx, const AbortOptions& o) {
  Status env = RefusePinsInEnvironment(environ);
  if (!env.ok()) return ReportError(ctx, env);
  auto r = cer::AbortCeremony(o.station, o.id, o.reason, o.log_pin_source, o.operators);
  if (!r.ok()) return ReportError(ctx, r.status().Annotate("ceremony abort"));
  if (ctx.json)
    PrintJson({{"ok", true},
               {"ceremony_id", o.id},
               {"outcome", "aborted"},
               {"steps_completed", r->steps_completed}});
  else
    std::cout << "ceremony " << o.id << " aborted after " << r->steps_completed
              << " step(s); logged\n";
  return kExitOk;
}

struct PrintOptions {
  std::string file, out;
};

int RunPrint(Context& ctx, const PrintOptions& o) {
  auto def = cer::LoadDefinition(o.file);
  if (!def.ok()) return ReportError(ctx, def.status());
  std::string text;
  if (o.out.ends_with(".md"))
    text = cer::RenderMarkdown(def.value());
  else if (o.out.ends_with(".html") || o.out.ends_with(".htm"))
    text = cer::RenderHtml(def.value());
  else
    return ReportError(ctx, InvalidArgument("--out must name a .md or .html file"));
  Status st = WriteFileAtomic(o.out, text);
  if (!st.ok()) return ReportError(ctx, st);
  if (ctx.json)
    PrintJson({{"ok", true}, {"out", o.out}, {"definition_sha256", def->sha256}});
  else
    std::cout << "wrote " << o.out << " (definition sha256 " << def->sha256 << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterCeremonyCommands(CLI::App& app, Context& ctx) {
  auto* g = app.add_subcommand(
      "ceremony",
      "Scripted, witnessed ceremonies: a reviewable definition approved by governance, run step\n"
      "by step with authenticated participants, every step logged, and its transcript from the\n"
      "log with an inclusion proof per event (docs/ceremonies.md).");
  g->require_subcommand(1);

  auto ao = std::make_shared<ApproveOptions>();
  auto* a = g->add_subcommand(
      "approve",
      "Sign a ceremony definition as a governance member: a DSSE envelope over the file's exact\n"
      "bytes. Run it again on the same --out with another key to add that signature.");
  a->add_option("FILE", ao->file, "Ceremony definition (.textproto)")->required();
  a->add_option("--key", ao->key, "Your PEM private-key file (a governance key)")->required();
  a->add_option("--out", ao->out,
                "Approval envelope to write or add to (default FILE.approval.json)");
  a->callback([&ctx, ao] { ctx.exit_code = RunApprove(ctx, *ao); });

  auto ro = std::make_shared<RunCliOptions>();
  auto* r = g->add_subcommand(
      "run",
      "Run an approved ceremony on the station: participants sign the station's challenge, then\n"
      "each step is shown, its action run, confirmed and logged. Interactive on a terminal;\n"
      "scripted with --answers. Exit 0 completed, 1 refused or aborted, 10 stopped at a\n"
      "deviation (resume it with --resume ID, or `ceremony abort ID`).");
  r->add_option("FILE", ro->file, "Ceremony definition (.textproto)");
  r->add_option("--approval", ro->approval, "Governance approval envelope of FILE");
  r->add_option(
      "--governance", ro->governance,
      "On a station with no installed policy: the signed policy whose governance approved FILE");
  AddStationOption(r, ro->station)->required();
  r->add_option("--param", ro->params, "NAME=VALUE for a parameter of the definition (repeatable)");
  r->add_option("--answers", ro->answers,
                "Scripted run: participants' keys and step confirmations (JSON)");
  r->add_option("--workdir", ro->workdir,
                "Folder the actions run in (default: the current folder)");
  r->add_option("--resume", ro->resume,
                "Resume the interrupted run ID from its first unlogged step");
  AddLogPinSourceOption(r, ro->log_pin_source);
  r->callback([&ctx, ro] { ctx.exit_code = RunRun(ctx, *ro); });

  auto bo = std::make_shared<AbortOptions>();
  auto* b = g->add_subcommand("abort", "End an interrupted ceremony run, logging why.");
  b->add_option("ID", bo->id, "The ceremony run id")->required();
  AddStationOption(b, bo->station)->required();
  b->add_option("--reason", bo->reason, "Why it is aborted")->required();
  AddLogPinSourceOption(b, bo->log_pin_source);
  AddOperatorOption(b, bo->operators);
  b->callback([&ctx, bo] { ctx.exit_code = RunAbort(ctx, *bo); });

  auto po = std::make_shared<PrintOptions>();
  auto* p = g->add_subcommand("print",
                              "Render a ceremony's script for its participants: Markdown, or "
                              "printable HTML with signature lines.");
  p->add_option("FILE", po->file, "Ceremony definition (.textproto)")->required();
  p->add_option("--out", po->out, "FILE.md or FILE.html")->required();
  p->callback([&ctx, po] { ctx.exit_code = RunPrint(ctx, *po); });

  RegisterCeremonyTranscript(*g, ctx);
}

}  // namespace sr::cli
