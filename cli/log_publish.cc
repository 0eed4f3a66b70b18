// `strongroom log export|witness-key|cosign|add-cosignature`: publication of
// the log as C2SP tlog-tiles and its witnessing (docs/auditor-guide.md).
// Each verb parses, calls one function of log/, prints.
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "base/file.h"
#include "cli/common.h"
#include "cli/json.h"
#include "log/cosignature.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/tiles.h"
#include "log/witness.h"
#include "station/layout.h"

namespace sr::cli {
namespace {

struct PublishOpts {
  std::string log_dir, station_dir, tiles, since, witness_key, witness_vkey, state, vkey, out, name,
      checkpoint, cosignature;
  std::vector<std::string> witnesses;
  bool init = false;
};

Result<std::string> PublishLogDir(const PublishOpts& o) {
  if (!o.log_dir.empty() && !o.station_dir.empty())
    return InvalidArgument("give --log DIR or --station DIR, not both");
  if (!o.log_dir.empty()) return o.log_dir;
  if (!o.station_dir.empty()) return layout::LogDir(o.station_dir);
  return InvalidArgument("say which log: --log DIR (or --station DIR for DIR/log)");
}

Result<std::vector<log::CosignatureVerifier>> ParseWitnesses(const std::vector<std::string>& args) {
  std::vector<log::CosignatureVerifier> out;
  for (const std::string& a : args) {
    SR_ASSIGN_OR_RETURN(std::string text, VerifierKeyText(a));
    auto w = log::CosignatureVerifier::Parse(text);
    if (!w.ok()) return w.status().Annotate("--witness " + a);
    out.push_back(std::move(w).value());
  }
  return out;
}

int RunExport(Context& ctx, const PublishOpts& o) {
  auto dir = PublishLogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  log::ExportOptions eo;
  eo.log_dir = *dir;
  eo.out_dir = o.tiles;
  if (!o.since.empty()) {
    auto s = ReadFile(o.since, log::kMaxProofBytes);
    if (!s.ok()) return ReportError(ctx, s.status().Annotate("--since"));
    auto note = log::CheckpointNoteOf(*s, "--since " + o.since);
    if (!note.ok()) return ReportError(ctx, note.status());
    eo.since_note = *note;
  }
  auto r = log::LogReader::Open(*dir);
  if (!r.ok()) return ReportError(ctx, r.status());
  auto note = r->CheckpointNote();
  if (!note.ok()) return ReportError(ctx, note.status());
  auto cosigned = log::WithStoredCosignatures(*dir, *note);
  if (!cosigned.ok()) return ReportError(ctx, cosigned.status().Annotate("stored cosignatures"));
  eo.checkpoint_note = *cosigned;
  auto rep = log::ExportTiles(eo);
  if (!rep.ok()) return ReportError(ctx, rep.status().Annotate("log export"));
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"out", o.tiles},
               {"old_size", rep->old_size},
               {"size", rep->size},
               {"tiles", rep->tiles},
               {"bundles", rep->bundles},
               {"written", rep->written}});
  } else {
    std::cout << "exported " << *dir << " to " << o.tiles << " as tlog-tiles: tree size "
              << rep->size << " (was " << rep->old_size << "), " << rep->tiles << " tile(s) and "
              << rep->bundles << " entry bundle(s) written"
              << (rep->written.empty() ? ", nothing changed" : "") << "\n";
  }
  return kExitOk;
}

int RunWitnessKey(Context& ctx, const PublishOpts& o) {
  auto signer = log::CosignatureSigner::Generate(o.out, o.name);
  if (!signer.ok()) return ReportError(ctx, signer.status().Annotate("--out"));
  std::string vkey = (*signer)->Vkey();
  if (!o.witness_vkey.empty()) {
    Status s = WriteFileAtomic(o.witness_vkey, vkey + "\n", 0644, true);
    if (!s.ok()) return ReportError(ctx, s.Annotate("--vkey-out"));
  }
  if (ctx.json)
    PrintJson({{"ok", true}, {"key", o.out}, {"vkey", vkey}});
  else
    std::cout << vkey << "\n";
  return kExitOk;
}

// The witness's key: the PEM file, named by its published vkey (which must
// be this key's).
Result<std::unique_ptr<log::CosignatureSigner>> OpenWitness(const PublishOpts& o) {
  SR_ASSIGN_OR_RETURN(std::string text, VerifierKeyText(o.witness_vkey));
  auto vk = log::CosignatureVerifier::Parse(text);
  if (!vk.ok()) return vk.status().Annotate("--witness-vkey");
  SR_ASSIGN_OR_RETURN(auto signer, log::CosignatureSigner::FromPemFile(o.witness_key, vk->name()));
  if (signer->Vkey() != vk->ToString()) {
    return InvalidArgument("--witness-key " + o.witness_key + " is not the key of --witness-vkey " +
                           vk->ToString() + " (its vkey is " + signer->Vkey() + ")");
  }
  return signer;
}

int RunCosign(Context& ctx, const PublishOpts& o) {
  auto signer = OpenWitness(o);
  if (!signer.ok()) return ReportError(ctx, signer.status().Annotate("log cosign"));
  auto vk = VerifierKeyText(o.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  log::CosignOptions co;
  co.dir = o.log_dir;
  co.log_vkey = *vk;
  co.state_path = o.state;
  co.init = o.init;
  co.time = static_cast<std::uint64_t>(std::time(nullptr));
  auto res = log::Cosign(co, **signer);
  if (!res.ok()) return ReportError(ctx, res.status().Annotate("log cosign"));
  if (!o.out.empty()) {
    Status s = WriteFileAtomic(o.out, res->line, 0644);
    if (!s.ok()) return ReportError(ctx, s.Annotate("--out"));
  }
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"origin", res->checkpoint.origin},
               {"size", res->checkpoint.size},
               {"old_size", res->old_size},
               {"first", res->first},
               {"cosignature", res->line}});
  } else if (o.out.empty()) {
    std::cout << res->line;
  } else {
    std::cout << "cosigned " << res->checkpoint.origin << " at tree size " << res->checkpoint.size
              << (res->first ? " (first checkpoint of this witness)"
                             : " (consistent with size " + std::to_string(res->old_size) + ")")
              << "; cosignature written to " << o.out << "\n";
  }
  return kExitOk;
}

int RunAddCosignature(Context& ctx, const PublishOpts& o) {
  auto dir = PublishLogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto witnesses = ParseWitnesses(o.witnesses);
  if (!witnesses.ok()) return ReportError(ctx, witnesses.status());
  std::string cp_path = o.checkpoint.empty() ? JoinPath(*dir, log::kCheckpointFile) : o.checkpoint;
  auto cp_text = ReadFile(cp_path, log::kMaxProofBytes);
  if (!cp_text.ok()) return ReportError(ctx, cp_text.status().Annotate("--checkpoint"));
  auto note = log::CheckpointNoteOf(*cp_text, "--checkpoint " + cp_path);
  if (!note.ok()) return ReportError(ctx, note.status());
  auto lines = ReadFile(o.cosignature, log::kMaxNoteBytes);
  if (!lines.ok()) return ReportError(ctx, lines.status().Annotate("--cosignature"));
  auto added = log::AddCosignatures(*dir, *note, *lines, *witnesses);
  if (!added.ok()) return ReportError(ctx, added.status().Annotate("log add-cosignature"));
  auto cp = log::ParseCheckpointUnverified(*note);
  std::uint64_t size = cp.ok() ? cp->size : 0;
  if (ctx.json)
    PrintJson({{"ok", true}, {"size", size}, {"added", *added}});
  else
    std::cout << "stored " << *added << " new cosignature(s) for the checkpoint of size " << size
              << "\n";
  return kExitOk;
}

}  // namespace

void RegisterLogPublishCommands(CLI::App* log, Context& ctx) {
  auto o = std::make_shared<PublishOpts>();

  auto* e = log->add_subcommand(
      "export",
      "Write the log as static files in the C2SP tlog-tiles layout (checkpoint, hash tiles,\n"
      "entry bundles) for any web server, CDN or object store. Incremental: only the tiles and\n"
      "bundles that changed since the last export in OUT (or since --since) are written; the\n"
      "checkpoint, with the cosignatures the station holds for it, is written last.");
  e->add_option("--log", o->log_dir, "The log directory (with --station instead: STATION/log)");
  AddStationOption(e, o->station_dir);
  e->add_option("--tiles", o->tiles, "The export folder (created if missing)")->required();
  e->add_option("--since", o->since,
                "The checkpoint of the export already published (a checkpoint note or a\n"
                ".tlog-proof): write only what changed since, e.g. to empty removable media.\n"
                "Default: OUT/checkpoint when OUT holds an export");
  e->callback([&ctx, o] { ctx.exit_code = RunExport(ctx, *o); });

  auto* k = log->add_subcommand(
      "witness-key",
      "Create a witness's Ed25519 key (PEM, mode 0600) and print its tlog-cosignature/v1\n"
      "verifier key (NAME+ID+KEY, type 0x04), which verifiers give to --witness.");
  k->add_option("--name", o->name, "The witness's name, e.g. witness.example.org/w1")->required();
  k->add_option("--out", o->out, "The private key file to create (refuses to overwrite)")
      ->required();
  k->add_option("--vkey-out", o->witness_vkey, "Also write the verifier key to this file");
  k->callback([&ctx, o] { ctx.exit_code = RunWitnessKey(ctx, *o); });

  auto* c = log->add_subcommand(
      "cosign",
      "As a witness or auditor: check the log's checkpoint against the last one this witness\n"
      "cosigned (its state file: same tree, or a consistency proof from the log's data), then\n"
      "print a C2SP tlog-cosignature/v1 signature line. A checkpoint inconsistent with the\n"
      "state is refused as a SPLIT VIEW (exit 6), the state kept; an older one exit 10.");
  c->add_option("--witness-key", o->witness_key, "The witness's private key (PEM, mode 0600)")
      ->required();
  c->add_option("--witness-vkey", o->witness_vkey,
                "The witness's own verifier key (string or file): names the witness")
      ->required();
  c->add_option("--log", o->log_dir, "A log directory or a tiles export holding the checkpoint")
      ->required();
  c->add_option("--state", o->state, "The witness's state file for this log")->required();
  c->add_option("--vkey", o->vkey, "The log's verifier key the witness trusts (string or file)")
      ->required();
  c->add_flag("--init", o->init, "No state yet: accept this checkpoint as the first one");
  c->add_option("--out", o->out, "Write the cosignature line to this file (default: print it)");
  c->callback([&ctx, o] { ctx.exit_code = RunCosign(ctx, *o); });

  auto* a = log->add_subcommand(
      "add-cosignature",
      "Store witnesses' cosignatures of one of this log's checkpoints. Each line must verify\n"
      "with a --witness key over that checkpoint, which must be this log's tree at its size.\n"
      "`log export` then publishes them with the checkpoint, and `log prove` / `log outputs`\n"
      "prove against the newest cosigned checkpoint covering the event.");
  a->add_option("--log", o->log_dir, "The log directory (with --station instead: STATION/log)");
  AddStationOption(a, o->station_dir);
  a->add_option("--cosignature", o->cosignature, "File of cosignature lines (from `log cosign`)")
      ->required();
  a->add_option("--witness", o->witnesses, "A witness's verifier key, string or file (repeat)")
      ->required();
  a->add_option("--checkpoint", o->checkpoint,
                "The checkpoint cosigned (e.g. EXPORT/checkpoint); default: the log's current");
  a->callback([&ctx, o] { ctx.exit_code = RunAddCosignature(ctx, *o); });
  for (CLI::App* sub : {e, k, c, a}) sub->fallthrough();
}

}  // namespace sr::cli
