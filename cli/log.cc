// `strongroom log ...`: the auditor's verbs, which need no HSM, plus the
// station's `recover` (signs with the HSM log key) and `outputs` (re-issues a
// signed release's outputs from the log and the evidence store).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "base/encoding.h"
#include "base/file.h"
#include "cli/common.h"
#include "cli/json.h"
#include "log/cosignature.h"
#include "log/event_times.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/tiles.h"
#include "log/verify.h"
#include "log/writer.h"
#include "release/outputs.h"
#include "signer/output_staging.h"
#include "signer/signing_session.h"
#include "station/facts_index.h"
#include "station/layout.h"
#include "station/pin_source.h"
#include "station/station.h"
#include "station/station_log.h"

extern char** environ;

namespace sr::cli {
namespace {

struct LogOpts {
  std::string log_dir, station_dir, vkey, since, out, from, event_file, old_file, proof_file, pem,
      tiles, log_pin_source = "prompt";
  std::vector<std::string> operators, witnesses;
  unsigned witness_threshold = 0;
  std::uint64_t index = 0, count = 0;
  bool has_index = false;
};

Result<std::string> LogDir(const LogOpts& o) {
  if (!o.log_dir.empty() && !o.station_dir.empty()) {
    return InvalidArgument("give --log DIR or --station DIR, not both");
  }
  if (!o.log_dir.empty()) return o.log_dir;
  if (!o.station_dir.empty()) return layout::LogDir(o.station_dir);
  return InvalidArgument("say which log: --log DIR (or --station DIR for DIR/log)");
}

void AddDirOptions(CLI::App* c, LogOpts& o) {
  c->add_option("--log", o.log_dir, "The log directory (with --station instead: STATION/log)");
  AddStationOption(c, o.station_dir);
}

Result<log::NoteVerifier> LoadVkey(const std::string& arg) {
  if (arg.empty())
    return InvalidArgument("give the log's verifier key with --vkey (a key string or a file)");
  SR_ASSIGN_OR_RETURN(std::string text, VerifierKeyText(arg));
  return log::NoteVerifier::Parse(text);
}

// Writes a proof to out, or prints it: as it is, or with --json as
// {"ok":true,"proof":TEXT} (to a file: {"ok":true,"out":PATH}).
Status WriteOut(const Context& ctx, const std::string& out, const std::string& data) {
  if (out.empty() || out == "-") {
    if (ctx.json)
      PrintJson({{"ok", true}, {"proof", data}});
    else
      std::cout << data;
    return Status::Ok();
  }
  SR_RETURN_IF_ERROR(WriteFileAtomic(out, data, 0644));
  if (ctx.json) PrintJson({{"ok", true}, {"out", out}});
  return Status::Ok();
}

void ProgressBar(std::uint64_t done, std::uint64_t total) {
  static int last = -1;
  int pct = total ? static_cast<int>(done * 100 / total) : 100;
  if (pct == last) return;
  last = pct;
  std::string bar(static_cast<std::size_t>(pct / 4), '#');
  bar.resize(25, ' ');
  std::fprintf(stderr, "\rverifying log [%s] %3d%%%s", bar.c_str(), pct, pct == 100 ? "\n" : "");
}

// --tiles URL-OR-DIR: a folder (or a file:// URL of one); strongroom has
// no network code, so an http(s) URL is refused with what to do instead.
Result<std::string> TilesDir(const LogOpts& o) {
  if (!o.log_dir.empty() || !o.station_dir.empty())
    return InvalidArgument("give --tiles DIR or --log/--station DIR, not both");
  std::string d = o.tiles;
  if (d.rfind("file://", 0) == 0) d = d.substr(7);
  if (d.find("://") != std::string::npos)
    return InvalidArgument("--tiles " + o.tiles +
                           ": strongroom reads no network; copy the export first (e.g. wget "
                           "--mirror, or the removable media) and give its folder");
  return d;
}

// The witnesses a verify requires: K of the --witness keys (K = 1 when
// --witness-threshold is not given).
Result<std::pair<std::vector<log::CosignatureVerifier>, unsigned>> LoadWitnesses(const LogOpts& o) {
  std::vector<log::CosignatureVerifier> ws;
  for (const std::string& a : o.witnesses) {
    SR_ASSIGN_OR_RETURN(std::string text, VerifierKeyText(a));
    auto w = log::CosignatureVerifier::Parse(text);
    if (!w.ok()) return w.status().Annotate("--witness " + a);
    ws.push_back(std::move(w).value());
  }
  unsigned k = o.witness_threshold;
  if (k == 0 && !ws.empty()) k = 1;
  if (k > ws.size())
    return InvalidArgument("--witness-threshold " + std::to_string(k) + " needs at least " +
                           std::to_string(k) + " --witness keys (" + std::to_string(ws.size()) +
                           " given)");
  return std::make_pair(std::move(ws), k);
}

int RunVerify(Context& ctx, const LogOpts& o) {
  bool tiles = !o.tiles.empty();
  auto dir = tiles ? TilesDir(o) : LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto vk = LoadVkey(o.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  auto witnesses = LoadWitnesses(o);
  if (!witnesses.ok()) return ReportError(ctx, witnesses.status());
  // The checkpoint whose cosignatures are counted is read before the
  // verify and must be the one verified.
  std::string cosigned;
  if (witnesses->second > 0) {
    auto note = ReadFile(JoinPath(*dir, log::kCheckpointFile), log::kMaxNoteBytes);
    if (note.ok() && !tiles) note = log::WithStoredCosignatures(*dir, *note);
    if (!note.ok()) return ReportError(ctx, note.status());
    cosigned = *note;
  }
  log::VerifyOptions vo;
  vo.dir = *dir;
  vo.vkey = vk->ToString();
  if (!o.since.empty()) {
    auto s = ReadFile(o.since, log::kMaxProofBytes);
    if (!s.ok()) return ReportError(ctx, s.status().Annotate("--since"));
    auto note = log::CheckpointNoteOf(*s, "--since " + o.since);
    if (!note.ok()) return ReportError(ctx, note.status());
    vo.since = *note;
  }
  if (!ctx.json && ::isatty(2)) vo.progress = ProgressBar;
  log::EventTimeCheck times;
  vo.on_event = [&times](std::uint64_t i, std::string_view event) { times.See(i, event); };
  auto rep = tiles ? log::VerifyTiles(vo) : log::VerifyLog(vo);
  if (!rep.ok()) return ReportError(ctx, rep.status());
  std::vector<std::string> valid;
  if (rep->ok && witnesses->second > 0) {
    auto c = log::ParseCheckpointUnverified(cosigned);
    valid = log::ValidCosigners(cosigned, witnesses->first);
    if (!c.ok() || c->size != rep->checkpoint_size || c->root != rep->root) {
      rep->ok = false;
      rep->failure = log::VerifyFailure{"witness-cosignatures", -1, -1,
                                        "the checkpoint changed while it was verified; run again"};
    } else if (valid.size() < witnesses->second) {
      rep->ok = false;
      rep->failure = log::VerifyFailure{
          "witness-cosignatures", -1, -1,
          "the checkpoint (size " + std::to_string(rep->checkpoint_size) + ") carries " +
              std::to_string(valid.size()) + " valid cosignature(s) by the given witnesses, " +
              std::to_string(witnesses->second) +
              " required: it was not witnessed (a split view cannot be ruled out)"};
    }
  }
  if (ctx.json) {
    Json j = {{"ok", rep->ok},
              {"origin", rep->origin},
              {"checkpoint_size", rep->checkpoint_size},
              {"events", rep->events},
              {"bytes", rep->bytes}};
    if (rep->since_size) j["since_size"] = *rep->since_size;
    if (witnesses->second > 0) {
      j["witnesses"] = valid;
      j["witness_threshold"] = witnesses->second;
    }
    if (rep->ok) j["root"] = Base64Encode(rep->root);
    if (rep->ok) {
      Json back = Json::array();
      for (const auto& t : times.regressions())
        back.push_back({{"index", t.index},
                        {"kind", t.kind},
                        {"time", t.time},
                        {"previousIndex", t.previous_index},
                        {"previousTime", t.previous_time}});
      j["timeRegressions"] = back;
      j["timeRegressionCount"] = times.regression_count();
    }
    if (rep->failure) {
      const auto& f = *rep->failure;
      j["failure"] = {
          {"check", f.check}, {"index", f.index}, {"offset", f.offset}, {"message", f.message}};
    }
    PrintJson(j);
  } else if (rep->ok) {
    std::cout << "log verified: " << rep->origin << ", " << rep->checkpoint_size << " events, root "
              << Base64Encode(rep->root)
              << (rep->since_size ? ", consistent with your checkpoint of size " +
                                        std::to_string(*rep->since_size)
                                  : std::string())
              << (witnesses->second > 0 ? ", cosigned by " + std::to_string(valid.size()) +
                                              " of the given witnesses (" +
                                              std::to_string(witnesses->second) + " required)"
                                        : std::string())
              << "\n";
    if (times.regression_count() > 0) {
      std::cout << "warning: " << times.regression_count()
                << " event(s) dated before the event preceding them. A REFUSAL, CLOCK_CHECKED, "
                   "KEY_REVOKED or KEY_RETIRED may be (a clock found behind the log is refused and "
                   "recorded as it read); a station-initialization ceremony's first events are "
                   "dated when they happened, before the log existed; any other event was logged "
                   "with a clock set back, or forged with the log key:\n";
      for (const auto& t : times.regressions())
        std::cout << "  event " << t.index << " (" << t.kind << ") at " << t.time
                  << ", after event " << t.previous_index << " at " << t.previous_time << "\n";
    }
  } else {
    const auto& f = *rep->failure;
    // A crash remnant is its own state (exit 10), not tampering (exit 6).
    std::cerr << (f.crash_remnant() ? "strongroom: log verified up to its signed checkpoint; "
                                      "after it: check "
                                    : "strongroom: log verification FAILED: check ")
              << f.check;
    if (f.index >= 0) std::cerr << ", event " << f.index;
    if (f.offset >= 0) std::cerr << ", byte offset " << f.offset;
    std::cerr << ": " << f.message << "\n";
  }
  if (rep->ok) return kExitOk;
  if (rep->failure->check == "witness-cosignatures") return kExitRefused;
  if (rep->failure->crash_remnant()) return kExitPrecondition;
  return rep->failure->check == "io" ? kExitIo : kExitTampered;
}

// An event in protobuf's JSON mapping (lowerCamelCase), with "sequence"
// first and present even for event 0 (proto3 omits zero values).
Json EventJson(const strongroom::v1::Event& ev) {
  Json mapped = MessageJson(ev, /*proto_names=*/false);
  if (mapped.contains("sequence")) return mapped;
  Json j = {{"sequence", std::to_string(ev.sequence())}};
  for (auto& [k, v] : mapped.items()) j[k] = v;
  return j;
}

// A LIFECYCLE_RECORDED event in one line, above its JSON: what, for which
// release, where, the outcome, and who signed it.
std::string LifecycleLine(const strongroom::v1::LifecycleRecordedEvent& e) {
  std::string s =
      "record: " + e.record_type() + " " + e.outcome() + " for " + e.product() + " " + e.version();
  if (!e.cohort().empty()) s += ", cohort " + e.cohort();
  if (!e.configuration().empty()) s += ", configuration " + e.configuration();
  if (!e.follow_up_date().empty()) s += ", follow-up " + e.follow_up_date();
  if (!e.owner().empty()) s += ", owner " + e.owner();
  if (!e.expires().empty()) s += ", expires " + e.expires();
  return s + "; decided " + e.decided_at() + ", signed by " + e.signer_name() + "\n";
}

int RunShow(Context& ctx, const LogOpts& o) {
  auto dir = LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto r = log::LogReader::Open(*dir);
  if (!r.ok()) return ReportError(ctx, r.status());
  std::uint64_t first = o.has_index ? o.index : 0;
  std::uint64_t end = r->indexed_size();
  if (o.has_index)
    end = std::min(end, first + (o.count ? o.count : 1));
  else if (o.count)
    end = std::min(end, first + o.count);
  if (o.has_index && first >= r->indexed_size()) {
    return ReportError(ctx, NotFound("event " + std::to_string(first) + " is not in the log (" +
                                     std::to_string(r->indexed_size()) + " events)"));
  }
  // protobuf's JSON mapping with its default lowerCamelCase names
  // (docs/formats.md); `sequence` is printed even when it is 0, which proto3
  // would omit, so that every event says its position.
  google::protobuf::util::JsonPrintOptions jo;
  jo.add_whitespace = true;
  // With --json: one array, an event per line; built whole before it is
  // printed, so that an unreadable event gives the error object alone.
  std::string array = "[";
  for (std::uint64_t i = first; i < end; ++i) {
    auto bytes = r->ReadEvent(i);
    if (!bytes.ok()) return ReportError(ctx, bytes.status());
    strongroom::v1::Event ev;
    if (!ev.ParseFromString(*bytes))
      return ReportError(ctx, DataLoss("event " + std::to_string(i) + " is not a valid Event"));
    if (ctx.json) {
      array += i == first ? "\n" : ",\n";
      array += DumpJson({{"index", i}, {"event", EventJson(ev)}});
      continue;
    }
    std::string js;
    if (!google::protobuf::util::MessageToJsonString(ev, &js, jo).ok())
      return ReportError(ctx, DataLoss("event " + std::to_string(i) + " is not a valid Event"));
    if (ev.sequence() == 0 && js.rfind("{\n", 0) == 0) js.insert(2, " \"sequence\": \"0\",\n");
    std::cout << "--- event " << i << " (" << strongroom::v1::EventKind_Name(ev.kind()) << ", "
              << ev.time() << ")\n";
    if (ev.has_lifecycle_recorded()) std::cout << LifecycleLine(ev.lifecycle_recorded());
    std::cout << js;
  }
  if (ctx.json) std::cout << array << "\n]\n";
  return kExitOk;
}

int RunProve(Context& ctx, const LogOpts& o) {
  auto dir = LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto f = log::ProveInclusion(*dir, o.index);
  if (!f.ok()) return ReportError(ctx, f.status());
  Status s = WriteOut(ctx, o.out, f->Format());
  return s.ok() ? kExitOk : ReportError(ctx, s);
}

int RunConsistency(Context& ctx, const LogOpts& o) {
  auto dir = LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto old_file = ReadFile(o.from, log::kMaxProofBytes);
  if (!old_file.ok()) return ReportError(ctx, old_file.status().Annotate("--from"));
  auto old = log::CheckpointNoteOf(*old_file, "--from " + o.from);
  if (!old.ok()) return ReportError(ctx, old.status());
  auto f = log::ProveConsistency(*dir, *old);
  if (!f.ok()) return ReportError(ctx, f.status());
  Status s = WriteOut(ctx, o.out, f->Format());
  return s.ok() ? kExitOk : ReportError(ctx, s);
}

int RunVerifyProof(Context& ctx, const LogOpts& o) {
  auto vk = LoadVkey(o.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  auto text = ReadFile(o.proof_file, log::kMaxProofBytes);
  if (!text.ok()) return ReportError(ctx, text.status());
  std::optional<std::string> event, old;
  if (!o.event_file.empty()) {
    auto e = ReadFile(o.event_file, log::kMaxEventBytes);
    if (!e.ok()) return ReportError(ctx, e.status().Annotate("--event"));
    event = *e;
  }
  if (!o.old_file.empty()) {
    auto e = ReadFile(o.old_file, log::kMaxProofBytes);
    if (!e.ok()) return ReportError(ctx, e.status().Annotate("--old"));
    auto note = log::CheckpointNoteOf(*e, "--old " + o.old_file);
    if (!note.ok()) return ReportError(ctx, note.status());
    old = *note;
  }
  if (!old && text->substr(0, text->find('\n')) == log::kConsistencyHeader)
    return ReportError(
        ctx, InvalidArgument("a consistency proof is only worth checking against the older "
                             "checkpoint you kept: give --old CHECKPOINT (a checkpoint note or "
                             "a release's .tlog-proof); without it nothing ties the proof to a "
                             "checkpoint you hold, so nothing was verified"));
  auto witnesses = LoadWitnesses(o);
  if (!witnesses.ok()) return ReportError(ctx, witnesses.status());
  auto pc = log::VerifyProofFile(*text, *vk, event, old);
  if (!pc.ok()) {
    int rc = ReportError(ctx, pc.status());
    return rc == kExitTampered ? kExitRefused : rc;
  }
  if (witnesses->second > 0) {
    auto note = log::CheckpointNoteOf(*text, "the proof");
    std::size_t valid =
        note.ok() ? log::ValidCosigners(*note, witnesses->first).size() : std::size_t{0};
    if (valid < witnesses->second) {
      ReportError(ctx,
                  DataLoss("the proof's checkpoint (size " + std::to_string(pc->checkpoint.size) +
                           ") carries " + std::to_string(valid) +
                           " valid cosignature(s) by the given witnesses, " +
                           std::to_string(witnesses->second) + " required"));
      return kExitRefused;
    }
  }
  if (ctx.json) {
    Json j = {{"ok", true},
              {"kind", pc->inclusion ? "inclusion" : "consistency"},
              {"tree_size", pc->checkpoint.size}};
    if (pc->inclusion)
      j["index"] = pc->index;
    else
      j["old_size"] = pc->old_size;
    PrintJson(j);
  } else if (pc->inclusion) {
    std::cout << "proof verified: event " << pc->index << " is in " << pc->checkpoint.origin
              << " at tree size " << pc->checkpoint.size << "\n";
  } else {
    std::cout << "proof verified: tree size " << pc->old_size << " is a prefix of "
              << pc->checkpoint.origin << " at tree size " << pc->checkpoint.size << "\n";
  }
  return kExitOk;
}

// `log schema --out DIR`: the schemas the log's events are written with, as
// .proto text printed from the descriptors compiled into this binary
// (FileDescriptor::DebugString), at their import paths under DIR, so that
// `protoc --decode strongroom.v1.Event -I DIR DIR/proto/event.proto` works
// anywhere. Comments of the source files are not kept; field names, numbers
// and types are exactly those the binary reads and writes.
int RunSchema(Context& ctx, const LogOpts& o) {
  if (o.out.empty())
    return ReportError(ctx, InvalidArgument("give the folder to write to: --out DIR"));
  std::vector<const google::protobuf::FileDescriptor*> todo = {
      strongroom::v1::Event::descriptor()->file()};
  std::set<std::string> seen;
  std::vector<std::string> written;
  while (!todo.empty()) {
    const google::protobuf::FileDescriptor* f = todo.back();
    todo.pop_back();
    if (!seen.insert(f->name()).second) continue;
    for (int i = 0; i < f->dependency_count(); ++i) todo.push_back(f->dependency(i));
    std::string path = JoinPath(o.out, f->name());
    Status s = MakeDirs(path.substr(0, path.rfind('/')), 0755);
    if (s.ok()) s = WriteFileAtomic(path, f->DebugString(), 0644);
    if (!s.ok()) return ReportError(ctx, s.Annotate("--out"));
    written.push_back(path);
  }
  if (ctx.json) {
    PrintJson({{"ok", true}, {"out", o.out}, {"files", written}});
  } else {
    for (const auto& w : written) std::cout << "wrote " << w << "\n";
    std::cout << "decode an event with: protoc --decode strongroom.v1.Event -I " << o.out << " "
              << JoinPath(o.out, strongroom::v1::Event::descriptor()->file()->name())
              << " < event.bin\n";
  }
  return kExitOk;
}

int RunVkey(Context& ctx, const LogOpts& o) {
  auto dir = LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto text = ReadFile(JoinPath(*dir, log::kVkeyFile), 4096);
  if (!text.ok()) return ReportError(ctx, text.status());
  auto vk = log::NoteVerifier::Parse(*text);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("the log's vkey file"));
  if (ctx.json)
    PrintJson({{"vkey", vk->ToString()}});
  else
    std::cout << vk->ToString() << "\n";
  return kExitOk;
}

// The signer of a recovery checkpoint: the station's HSM log key (with
// --station), or a PEM key for a stand-alone test log (--log-key-pem).
struct RecoverSigner {
  std::unique_ptr<Station> station;
  std::unique_ptr<log::NoteSigner> signer;
};

Result<RecoverSigner> OpenRecoverSigner(const LogOpts& o, const std::string& dir,
                                        const char* verb = "log recover") {
  RecoverSigner r;
  if (!o.pem.empty()) {
    SR_ASSIGN_OR_RETURN(std::string text, ReadFile(JoinPath(dir, log::kVkeyFile), 4096));
    SR_ASSIGN_OR_RETURN(log::NoteVerifier vk, log::NoteVerifier::Parse(text));
    SR_ASSIGN_OR_RETURN(r.signer, log::Ed25519NoteSigner::FromPemFile(vk.name(), o.pem));
    return r;
  }
  if (o.station_dir.empty())
    return FailedPrecondition(
        "recover signs a checkpoint: give --station DIR (the station's HSM log key, with "
        "--log-pin-source) or, for a test log, --log-key-pem FILE");
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(auto source, ParsePinSource(o.log_pin_source, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(r.station, Station::Open(o.station_dir, StationLockOptions::Take(verb)));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  SR_ASSIGN_OR_RETURN(r.signer, OpenLogSigner(*r.station, pin));
  return r;
}

int RunRecover(Context& ctx, const LogOpts& o) {
  auto dir = LogDir(o);
  if (!dir.ok()) return ReportError(ctx, dir.status());
  auto signer = OpenRecoverSigner(o, *dir);
  if (!signer.ok()) return ReportError(ctx, signer.status().Annotate("log recover"));
  strongroom::v1::Event tmpl;
  tmpl.set_time(NowRfc3339());
  if (signer->station) tmpl.set_station_id(signer->station->record().station_id());
  for (const std::string& op : o.operators) tmpl.add_operators(op);
  auto rep = log::LogWriter::Recover(*dir, *signer->signer, tmpl,
                                     ::sr::signer::CrashPointsFromEnvironment());
  if (!rep.ok()) return ReportError(ctx, rep.status());
  // The facts index is rebuilt from the recovered log (a station's only).
  if (signer->station) {
    auto re = RebuildFactsIndex(signer->station->dir(), *signer->signer);
    if (!re.ok())
      return ReportError(ctx, re.status().Annotate("log recover: rebuilding the facts index"));
  }
  if (ctx.json) {
    Json removals = Json::array();
    for (const auto& r : rep->removals)
      removals.push_back({{"offset", r.offset},
                          {"length", r.length},
                          {"sha256", r.sha256},
                          {"event_index", r.event_index}});
    PrintJson({{"ok", true},
               {"torn", rep->torn},
               {"removed_offset", rep->removed_offset},
               {"removed_length", rep->removed_length},
               {"removed_sha256", rep->removed_sha256},
               {"removals", removals},
               {"tree_size", rep->size}});
  } else if (rep->torn) {
    for (std::size_t i = 0; i < rep->removals.size(); ++i) {
      const auto& r = rep->removals[i];
      std::cout << (i == 0 && r.offset == rep->removed_offset && r.sha256 == rep->removed_sha256
                        ? "removed a torn tail of "
                        : "removed the partial record of an interrupted recover, ")
                << r.length << " bytes at byte offset " << r.offset << " (sha256 " << r.sha256
                << "); logged as event " << r.event_index << "\n";
    }
    if (rep->removals.empty())
      std::cout << "the torn tail an interrupted recover removed (" << rep->removed_length
                << " bytes at byte offset " << rep->removed_offset << ") is logged as event "
                << rep->recovered_event_index << "\n";
    std::cout << "checkpoint signed at size " << rep->size << "\n";
  } else {
    std::cout << "no torn tail; checkpoint signed at size " << rep->size << "\n";
  }
  return kExitOk;
}

int RunReindex(Context& ctx, const LogOpts& o) {
  if (o.station_dir.empty())
    return ReportError(ctx, InvalidArgument("log reindex needs --station DIR"));
  Status env = RefusePinsInEnvironment(environ);
  if (!env.ok()) return ReportError(ctx, env);
  auto source = ParsePinSource(o.log_pin_source, "log token user PIN");
  if (!source.ok()) return ReportError(ctx, source.status());
  auto station = Station::Open(o.station_dir, StationLockOptions::Take("log reindex"));
  if (!station.ok()) return ReportError(ctx, station.status());
  auto pin = (*source)->ReadPin();
  if (!pin.ok()) return ReportError(ctx, pin.status());
  auto size = ReindexStationLog(**station, *pin);
  if (!size.ok()) return ReportError(ctx, size.status().Annotate("log reindex"));
  if (ctx.json)
    PrintJson(
        {{"ok", true}, {"tree_size", *size}, {"index", layout::LogFactsIndex(o.station_dir)}});
  else
    std::cout << "facts index rebuilt from the " << *size
              << " signed events: " << layout::LogFactsIndex(o.station_dir) << "\n";
  return kExitOk;
}

// A SIGNING event a crash (or a full disk) left after the signed checkpoint
// cannot be proven yet: sign a checkpoint over it first, exactly as `log
// recover` does (a torn tail after it is cut and logged), with the log
// token's PIN.
Status SignPendingCheckpoint(Context& ctx, const LogOpts& o) {
  std::cerr << "strongroom: event " << o.index
            << " is durable in the log but after its signed checkpoint (a crash or a full "
               "disk came before the checkpoint was signed); signing a checkpoint first, as "
               "`strongroom log recover` does\n";
  auto signer = OpenRecoverSigner(o, layout::LogDir(o.station_dir), "log outputs");
  if (!signer.ok()) {
    return signer.status().Annotate(
        "event " + std::to_string(o.index) +
        " needs a signed checkpoint before its outputs can be written: give the log token "
        "PIN with --log-pin-source, or run `strongroom log recover --station " +
        o.station_dir + "` and then this command again");
  }
  strongroom::v1::Event tmpl;
  tmpl.set_time(NowRfc3339());
  tmpl.set_station_id(signer->station->record().station_id());
  for (const std::string& op : o.operators) tmpl.add_operators(op);
  SR_ASSIGN_OR_RETURN(log::RecoverReport rep,
                      log::LogWriter::Recover(layout::LogDir(o.station_dir), *signer->signer, tmpl,
                                              ::sr::signer::CrashPointsFromEnvironment()));
  for (const auto& r : rep.removals)
    std::cerr << "strongroom: removed an incomplete record of " << r.length
              << " bytes at byte offset " << r.offset << ", logged as event " << r.event_index
              << "\n";
  if (!ctx.json) std::cerr << "strongroom: checkpoint signed at size " << rep.size << "\n";
  return Status::Ok();
}

int RunOutputs(Context& ctx, const LogOpts& o) {
  if (o.station_dir.empty())
    return ReportError(ctx, InvalidArgument("log outputs needs --station DIR"));
  auto first = signer::NeedsCheckpointFirst(o.station_dir, o.index);
  if (!first.ok()) return ReportError(ctx, first.status().Annotate("log outputs"));
  if (*first) {
    Status s = SignPendingCheckpoint(ctx, o);
    if (!s.ok()) return ReportError(ctx, s.Annotate("log outputs"));
  }
  // Reads the log and evidence only: no station lock (docs/cli.md, "Locks").
  auto station = Station::Open(o.station_dir, StationLockOptions::ReadOnly());
  if (!station.ok()) return ReportError(ctx, station.status());
  auto files = signer::ReissueOutputs((*station)->dir(), o.index,
                                      (*station)->record().attestation_key().public_key_pem());
  if (!files.ok()) return ReportError(ctx, files.status().Annotate("log outputs"));
  Status w = signer::WriteOutputDir(o.out, *files);
  if (!w.ok()) return ReportError(ctx, w.Annotate("log outputs"));
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"event_index", o.index},
               {"out_dir", o.out},
               {"files", files->size()},
               {"checkpoint_signed", *first}});
  } else {
    std::cout << "wrote the outputs of signing event " << o.index << " (" << files->size()
              << " files) to " << o.out << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterLogCommands(CLI::App& app, Context& ctx) {
  auto* log = app.add_subcommand("log", "Inspect, prove and verify the signing-event log");
  log->require_subcommand(1);
  // Lets global flags such as --json also come after the verb.
  log->fallthrough();
  auto o = std::make_shared<LogOpts>();

  auto* v = log->add_subcommand(
      "verify",
      "Verify a whole log offline: every event's checksum and sequence number, every leaf hash,\n"
      "the root against the signed checkpoint, and (with --since) that the checkpoint you kept\n"
      "earlier is a prefix of this log. Names the check, event index and byte offset of the\n"
      "first problem. With --tiles: the same of a tlog-tiles export (`log export`), and every\n"
      "hash tile. With --witness: the checkpoint must carry K valid cosignatures.\n"
      "Exit 0 = verified, 6 = tampering or corruption found, 1 = not enough cosignatures,\n"
      "10 = the signed events verified but a crash left events (or a torn record) after the\n"
      "checkpoint: run `strongroom log recover` at the station.");
  AddDirOptions(v, *o);
  v->add_option("--tiles", o->tiles,
                "A tlog-tiles export (a folder, or file:// URL) instead of a log directory");
  v->add_option("--witness", o->witnesses,
                "A witness's verifier key (type 0x04; string or file), repeatable");
  v->add_option("--witness-threshold", o->witness_threshold,
                "How many of the --witness keys must have cosigned the checkpoint (default 1)");
  v->add_option("--vkey", o->vkey,
                "The log's verifier key you trust (the string, or a file holding it);\n"
                "never take it from the log directory you are auditing")
      ->required();
  v->add_option("--since", o->since,
                "An older checkpoint you kept (a checkpoint note, or a release's\n"
                "signing-event.tlog-proof: its checkpoint); the log must extend it");
  v->callback([&ctx, o] { ctx.exit_code = RunVerify(ctx, *o); });

  auto* s =
      log->add_subcommand("show", "Print events (human-readable, or a JSON array with --json)");
  AddDirOptions(s, *o);
  s->add_option("--index", o->index, "First event to print (default: all events)")
      ->each([o](const std::string&) { o->has_index = true; });
  s->add_option("--count", o->count, "How many events to print (default 1 with --index, else all)");
  s->callback([&ctx, o] { ctx.exit_code = RunShow(ctx, *o); });

  auto* p = log->add_subcommand(
      "prove",
      "Write a C2SP tlog-proof@v1 file showing that event N is in the log's current signed\n"
      "checkpoint. The event itself travels in the proof's 'extra' line.");
  AddDirOptions(p, *o);
  p->add_option("--index", o->index, "The event's index")->required();
  p->add_option("--out", o->out, "Output file (default: standard output)");
  p->callback([&ctx, o] { ctx.exit_code = RunProve(ctx, *o); });

  auto* c = log->add_subcommand(
      "consistency",
      "Write a consistency proof from an older checkpoint you kept to the current checkpoint");
  AddDirOptions(c, *o);
  c->add_option("--from", o->from,
                "The older checkpoint: a checkpoint note or a release's .tlog-proof")
      ->required();
  c->add_option("--out", o->out, "Output file (default: standard output)");
  c->callback([&ctx, o] { ctx.exit_code = RunConsistency(ctx, *o); });

  auto* vp = log->add_subcommand(
      "verify-proof",
      "Verify an inclusion (tlog-proof) or consistency proof file against the log's verifier key.\n"
      "Exit 0 = valid, 1 = the proof does not verify.");
  vp->add_option("proof", o->proof_file, "The proof file")->required();
  vp->add_option("--vkey", o->vkey, "The log's verifier key (the string, or a file holding it)")
      ->required();
  vp->add_option("--event", o->event_file,
                 "Inclusion: the event bytes to check (instead of the extra line)");
  vp->add_option("--old", o->old_file,
                 "Consistency (required): the older checkpoint you kept (a checkpoint note or a\n"
                 "release's .tlog-proof); must match the proof");
  vp->add_option("--witness", o->witnesses,
                 "A witness's verifier key (type 0x04; string or file), repeatable: the proof's\n"
                 "checkpoint must carry their cosignatures");
  vp->add_option("--witness-threshold", o->witness_threshold,
                 "How many of the --witness keys must have cosigned (default 1)");
  vp->callback([&ctx, o] { ctx.exit_code = RunVerifyProof(ctx, *o); });

  auto* k = log->add_subcommand("vkey", "Print the log's verifier key (C2SP vkey string)");
  AddDirOptions(k, *o);
  k->callback([&ctx, o] { ctx.exit_code = RunVkey(ctx, *o); });

  auto* sc = log->add_subcommand(
      "schema",
      "Write the .proto schemas the log's events are written with (proto/event.proto and\n"
      "what it imports) under DIR, for decoding events without the source tree:\n"
      "protoc --decode strongroom.v1.Event -I DIR DIR/proto/event.proto < event.bin");
  sc->add_option("--out", o->out, "Folder to write into (created if missing)")->required();
  sc->callback([&ctx, o] { ctx.exit_code = RunSchema(ctx, *o); });

  auto* r = log->add_subcommand(
      "recover",
      "After a crash: remove only an incomplete last record (a torn tail), log a 'log recovered'\n"
      "event saying what was removed (offset, length, sha256), and sign a checkpoint with the\n"
      "station's HSM log key (--station, --log-pin-source). Refuses anything else that\n"
      "disagrees with the signed checkpoint: that is tampering.");
  AddDirOptions(r, *o);
  AddLogPinSourceOption(r, o->log_pin_source);
  r->add_option("--log-key-pem", o->pem, "Ed25519 log key as a PEM file (stand-alone test logs)");
  AddOperatorOption(r, o->operators);
  r->callback([&ctx, o] { ctx.exit_code = RunRecover(ctx, *o); });
  auto* ri = log->add_subcommand(
      "reindex",
      "Rebuild the log's facts index (STATION/log/facts: what `sign` judges by instead of\n"
      "reading every event) from the events, after the full check of every signed event, and\n"
      "sign it with the station's HSM log key (--log-pin-source). Run it when `sign` refuses\n"
      "with LOG_INDEX_INVALID and `log verify` passes. Logs no event (the index is derived).");
  AddStationOption(ri, o->station_dir)->required();
  AddLogPinSourceOption(ri, o->log_pin_source);
  ri->callback([&ctx, o] { ctx.exit_code = RunReindex(ctx, *o); });
  auto* out = log->add_subcommand(
      "outputs",
      "Write the outputs of signing event N again (after a crash, or for a lost copy): the\n"
      "manifest, detached signatures and VSA exactly as signed (their signatures are in the\n"
      "log, their payloads in the evidence store) and a fresh tlog-proof. Needs no PIN,\n"
      "except when a crash or a full disk left event N after the signed checkpoint: then it\n"
      "first signs a checkpoint as `log recover` does (the log token PIN, --log-pin-source).");
  AddStationOption(out, o->station_dir)->required();
  AddLogPinSourceOption(out, o->log_pin_source);
  AddOperatorOption(out, o->operators);
  out->add_option("--index", o->index, "Index of the SIGNING event")->required();
  out->add_option("--out", o->out, "Output directory (must not exist or be empty)")->required();
  out->callback([&ctx, o] { ctx.exit_code = RunOutputs(ctx, *o); });
  for (CLI::App* sub : {v, s, p, c, vp, k, sc, r, ri, out}) sub->fallthrough();
  RegisterLogPublishCommands(log, ctx);
}

}  // namespace sr::cli
