// `strongroom ceremony transcript`: one ceremony's transcript, from the log
// alone (ceremonies/transcript.h). Needs no station and no HSM: auditors run
// it on their copy of the log with the verifier key they hold.
#include <iostream>
#include <memory>

#include "ceremonies/transcript.h"
#include "cli/common.h"
#include "cli/json.h"

namespace sr::cli {
namespace {

struct TranscriptOpts {
  std::string log_dir, vkey, ceremony, out;
};

int RunTranscript(Context& ctx, const TranscriptOpts& o) {
  auto vkey = VerifierKeyText(o.vkey);
  if (!vkey.ok()) return ReportError(ctx, vkey.status().Annotate("--vkey"));
  auto t = ceremonies::CollectTranscript({o.log_dir, *vkey, o.ceremony});
  if (!t.ok()) return ReportError(ctx, t.status().Annotate("ceremony transcript"));
  auto files = ceremonies::TranscriptFiles::For(o.out);
  Status w = ceremonies::WriteTranscript(*t, files);
  if (!w.ok()) return ReportError(ctx, w.Annotate("ceremony transcript --out"));
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"ceremony", t->ceremony_id},
               {"events", t->events.size()},
               {"checkpoint_size", t->checkpoint_size},
               {"markdown", files.markdown},
               {"html", files.html},
               {"proofs", files.proof_dir},
               {"checkpoint", files.checkpoint}});
  } else {
    std::cout << "wrote the transcript of ceremony " << t->ceremony_id << " (" << t->events.size()
              << " events, each proven against the checkpoint of size " << t->checkpoint_size
              << ") to " << files.markdown << " and " << files.html << "; proofs in "
              << files.proof_dir << "/\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterCeremonyTranscript(CLI::App& ceremony_group, Context& ctx) {
  auto o = std::make_shared<TranscriptOpts>();
  auto* t = ceremony_group.add_subcommand(
      "transcript",
      "Write the transcript of one ceremony from the log alone: participants (authenticated,\n"
      "and typed --operator names marked as not authenticated), steps with their outputs and\n"
      "confirmations, exceptions and the outcome, every event with its inclusion proof. The\n"
      "log is verified against its signed checkpoint first (exit 6 if it does not verify).\n"
      "Writes FILE.md, FILE.html (printable, with signature lines) and FILE.proofs/ (one\n"
      "proof per event, checked with 'strongroom log verify-proof', and the checkpoint).");
  t->add_option("--log", o->log_dir, "The log directory (an auditor's copy will do)")->required();
  t->add_option("--vkey", o->vkey,
                "The log's verifier key you trust (the string, or a file holding it);\n"
                "never take it from the log directory you are auditing")
      ->required();
  t->add_option("--ceremony", o->ceremony, "The ceremony id (the session id of its events)")
      ->required();
  t->add_option("--out", o->out,
                "FILE: writes FILE.md, FILE.html and FILE.proofs/ (a trailing .md is dropped)")
      ->required();
  t->callback([&ctx, o] { ctx.exit_code = RunTranscript(ctx, *o); });
  t->fallthrough();
}

}  // namespace sr::cli
