// `strongroom station init` and `strongroom station change-pin`.
#include "station/station.h"

#include <unistd.h>

#include <iostream>

#include "cli/common.h"
#include "cli/custody.h"
#include "cli/json.h"
#include "policy/gate.h"
#include "station/clock.h"
#include "station/layout.h"
#include "station/pin_source.h"
#include "station/station_log.h"

extern char** environ;

namespace sr::cli {
namespace {

struct StationInitArgs {
  std::string dir;
  std::string module_path;
  std::string token_uri;
  std::string log_token_uri;
  std::string release_so = "prompt";
  std::string release_user = "prompt";
  std::string log_so = "prompt";
  std::string log_user = "prompt";
  CustodyArgs custody;
  bool release_pins_given = false;  // any of the three PIN options --custody generates
};

// How the station's keys are protected, which depends on the module: the
// token-file copies of station/token_guard.h are SoftHSMv2's alone.
std::string KeyProtection(const Station& st) {
  const auto& r = st.record();
  if (!r.softhsm2_conf().empty()) {
    return "embedded SoftHSMv2: tokens in " + st.dir() + "/tokens (encrypted with the token PINs), "
           "whole copies of each token file kept in " + st.dir() + "/token-backups and put back "
           "when a killed process left one empty";
  }
  return "module " + r.module_path() + ": the keys were generated in its tokens as "
         "non-extractable and sensitive, and strongroom keeps no copy of them or of the module's "
         "files; back up and protect the module's own store (a TPM's key store, an HSM's "
         "backup procedure) as its documentation says (docs/hsm.md)";
}

void PrintStation(const Context& ctx, const Station& st) {
  const auto& r = st.record();
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"dir", st.dir()},
               {"station", MessageJson(r, true)},
               {"key_protection", KeyProtection(st)}});
    return;
  }
  std::cout << "Station " << r.station_id() << " created in " << st.dir() << "\n"
            << "  module:  " << r.module_path() << "\n";
  for (const auto& t : r.tokens()) {
    std::cout << "  " << t.role() << " token: " << t.uri() << "\n";
  }
  std::cout << "  log key: " << r.log_key().uri() << "\n"
            << "    algorithm: " << r.log_key().algorithm() << "\n";
  if (!r.log_key().public_key().empty())
    std::cout << "    ed25519 public key (base64): " << r.log_key().public_key() << "\n";
  std::cout << "    fingerprint (SHA-256 of SPKI): " << r.log_key().fingerprint() << "\n";
  if (r.has_attestation_key()) {
    std::cout << "  attestation key: " << r.attestation_key().uri() << "\n"
              << "    algorithm: " << r.attestation_key().algorithm() << "\n"
              << "    fingerprint (SHA-256 of SPKI): " << r.attestation_key().fingerprint() << "\n";
  }
  std::cout << "  key protection: " << KeyProtection(st) << "\n";
}

int RunStationInit(Context& ctx, const StationInitArgs& a) {
  Status env = RefusePinsInEnvironment(environ);
  if (!env.ok()) return ReportError(ctx, env);
  const bool with_custody = !a.custody.split.empty();
  if (with_custody && a.release_pins_given)
    return ReportError(ctx, InvalidArgument("with --custody the station generates the release "
                                            "token's PINs and the log token's SO PIN; drop "
                                            "--release-pin-source, --release-so-pin-source and "
                                            "--log-so-pin-source"));
  if (!with_custody && (!a.custody.custodians.empty() || !a.custody.shares_out.empty()))
    return ReportError(ctx, InvalidArgument("--custodian and --shares-out need --custody M-of-N"));
  std::unique_ptr<PinSource> sources[4];
  const std::string* specs[4] = {&a.release_so, &a.release_user, &a.log_so, &a.log_user};
  const char* prompts[4] = {"release token SO PIN", "release token user PIN", "log token SO PIN",
                            "log token user PIN"};
  for (int i = 0; i < 4; ++i) {
    if (with_custody && i < 3) continue;  // generated
    // The PINs are new (asked twice at a prompt), except the log user PIN of
    // a token an external module already has.
    bool existing = i == 3 && !a.module_path.empty();
    auto s =
        existing ? ParsePinSource(*specs[i], prompts[i]) : ParseNewPinSource(*specs[i], prompts[i]);
    if (!s.ok()) return ReportError(ctx, s.status().Annotate(prompts[i]));
    sources[i] = std::move(s).value();
  }
  StationInitOptions o;
  o.dir = a.dir;
  o.module_path = a.module_path;
  o.release_token_uri = a.token_uri;
  o.log_token_uri = a.log_token_uri;
  o.release_so = sources[0].get();
  o.release_user = sources[1].get();
  o.log_so = sources[2].get();
  o.log_user = sources[3].get();
  custody::IssueOptions issue;
  if (with_custody) {
    auto read = ReadCustodyIssueOptions(a.custody);
    if (!read.ok()) return ReportError(ctx, read.status().Annotate("station init --custody"));
    issue = std::move(read).value();
    o.custody = &issue;
  }
  auto st = Station::Init(o);
  if (!st.ok()) return ReportError(ctx, st.status().Annotate("station init"));
  PrintStation(ctx, **st);
  if (with_custody && !ctx.json) {
    std::cout << "  custody: the release user PIN and both SO PINs are split " << a.custody.split
              << "; share files <custodian>-<token>-<pin>.share in " << a.custody.shares_out
              << " (hand each custodian theirs; the fingerprints are in the log)\n";
  }
  return kExitOk;
}

struct ChangePinArgs {
  std::string dir;
  std::string token = "release";
  bool so = false;
  std::string old_pin = "prompt";
  std::string new_pin = "prompt";
  std::string log_pin = "prompt";
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

Status ChangePin(Context& ctx, const ChangePinArgs& a) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(TokenRole role, ParseTokenRole(a.token));
  const std::string which = a.so ? "SO PIN" : "user PIN";
  const std::string what = std::string(TokenRoleName(role)) + " token " + which;
  // A PIN held by custodians changes only with new shares: a plain change
  // would leave the shares opening a PIN the token no longer has.
  if (PathExists(layout::CustodyRecord(a.dir, TokenRoleName(role), a.so ? "so" : "user"))) {
    return FailedPrecondition("the " + what +
                              " is held by custodians (docs/custody.md); change it with `strongroom "
                              "custody resplit`, which issues new shares");
  }
  SR_ASSIGN_OR_RETURN(auto old_source, ParsePinSource(a.old_pin, "current " + what));
  SR_ASSIGN_OR_RETURN(auto new_source, ParseNewPinSource(a.new_pin, what));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.dir, StationLockOptions::Take("station change-pin", a.wait)));
  // Does the change replace the PIN the log is written with? (The log token's
  // user PIN, or the release user PIN when both roles share one token.)
  const bool log_pin_changes = !a.so && (role == TokenRole::kLog || station->RolesShareToken());
  SR_ASSIGN_OR_RETURN(SecretBytes old_pin, old_source->ReadPin());
  SR_ASSIGN_OR_RETURN(SecretBytes new_pin, new_source->ReadPin());
  if (SecretEquals(old_pin, new_pin)) {
    return InvalidArgument("the new " + what + " is the current one; nothing to change");
  }
  SecretBytes log_pin;
  if (log_pin_changes) {
    log_pin = old_pin;
  } else {
    SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin, "log token user PIN"));
    SR_ASSIGN_OR_RETURN(log_pin, log_source->ReadPin());
  }
  // The log is opened first: a PIN changes only on a station that can
  // record the change (the log PIN works, the log is intact).
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(*station, log_pin));
  log->set_operators(a.operators);
  SR_RETURN_IF_ERROR(log->RefuseIfClockBehind("station change-pin"));
  // One login per token and process: a change on the log's token needs the
  // log's session closed, and the log reopened after it.
  const bool same_token = role == TokenRole::kLog || station->RolesShareToken();
  if (same_token) log.reset();
  SR_ASSIGN_OR_RETURN(hsm::TokenInfo token, station->ChangePin(role, a.so, old_pin, new_pin));
  auto logged = [&]() -> Result<std::uint64_t> {
    if (log == nullptr) {
      SR_ASSIGN_OR_RETURN(log, StationLog::Open(*station, log_pin_changes ? new_pin : log_pin));
    }
    log->set_operators(a.operators);
    strongroom::v1::Event e;
    e.set_kind(strongroom::v1::EVENT_KIND_PIN_CHANGED);
    auto* p = e.mutable_pin_changed();
    p->set_token_role(std::string(TokenRoleName(role)));
    p->set_token_label(token.label);
    p->set_token_serial(token.serial);
    p->set_pin(a.so ? "so" : "user");
    return log->AppendAndCommit(std::move(e));
  }();
  if (!logged.ok()) {
    return logged.status().Annotate("the " + what + " WAS changed, but logging the change failed");
  }
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"token", TokenRoleName(role)},
               {"token_serial", token.serial},
               {"pin", a.so ? "so" : "user"},
               {"event_index", *logged}});
  } else {
    std::cout << "Changed the " << which << " of the " << TokenRoleName(role) << " token '"
              << token.label << "' (serial " << token.serial << ")\n"
              << "  logged as event " << *logged << " (PIN_CHANGED)\n";
  }
  return Status::Ok();
}

struct ClockArgs {
  std::string dir;
  std::string reference_time;
  std::string reference;
  std::string log_pin = "prompt";
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

std::string SignedSeconds(std::int64_t s) {
  return (s < 0 ? "-" : "+") + std::to_string(s < 0 ? -s : s) + " s";
}

Status ShowClock(Context& ctx, const ClockArgs& a) {
  SR_ASSIGN_OR_RETURN(auto station, Station::Open(a.dir, StationLockOptions::ReadOnly()));
  SR_ASSIGN_OR_RETURN(ClockReport r, ReadClock(layout::LogDir(station->dir())));
  if (ctx.json) {
    Json j = {{"ok", true},
              {"stationTime", r.station_time},
              {"toleranceSeconds", policy::kClockTolerance.count()},
              {"behindLog", r.behind}};
    if (r.last_event_index) {
      j["lastEventIndex"] = *r.last_event_index;
      j["lastEventTime"] = r.last_event_time;
      j["differenceSeconds"] = r.difference_seconds;
    }
    PrintJson(j);
  } else {
    std::cout << "station clock:   " << r.station_time << "\n";
    if (!r.last_event_index) {
      std::cout << "last logged:     (the log is empty)\n";
    } else {
      std::cout << "last logged:     " << r.last_event_time << " (event " << *r.last_event_index
                << ")\n"
                << "difference:      " << SignedSeconds(r.difference_seconds)
                << " (clock minus last event; tolerance " << policy::kClockTolerance.count()
                << " s)\n";
    }
    if (r.behind)
      std::cout << "BEHIND THE LOG: every logged action is refused (CLOCK_BEHIND_LOG). Set the "
                   "clock from a reference, then record the check with witnesses:\n"
                   "  strongroom station clock --station "
                << a.dir << " --reference-time TIME --reference WHAT --operator NAME...\n";
  }
  if (r.behind) return Status(Code::kFailedPrecondition, "the station clock is behind the log");
  return Status::Ok();
}

Status CheckClock(Context& ctx, const ClockArgs& a) {
  if (a.operators.empty())
    return InvalidArgument(
        "--reference-time is a witnessed check: name who read the reference with --operator");
  SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.dir, StationLockOptions::Take("station clock", a.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, log_source->ReadPin());
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(*station, log_pin));
  log->set_operators(a.operators);
  SR_ASSIGN_OR_RETURN(ClockCheck c, RecordClockCheck(*log, a.reference_time, a.reference));
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"eventIndex", c.event_index},
               {"differenceSeconds", c.difference_seconds},
               {"wasBehindLog", c.was_behind_log}});
  } else {
    std::cout << "The station clock agrees with the reference (" << SignedSeconds(c.difference_seconds)
              << ")\n  logged as event " << c.event_index << " (CLOCK_CHECKED)\n";
    if (c.was_behind_log)
      std::cout << "  the clock was behind the last event before this check: later actions are "
                   "judged against this event\n";
  }
  return Status::Ok();
}

}  // namespace

void RegisterStationCommands(CLI::App& app, Context& ctx) {
  CLI::App* station = app.add_subcommand("station", "Create and inspect the signing station");
  station->require_subcommand(1);
  auto args = std::make_shared<StationInitArgs>();
  CLI::App* init = station->add_subcommand(
      "init",
      "Create a new station directory: its own SoftHSMv2 configuration and token folder, a\n"
      "release token (release keys; later unlocked by M-of-N custodians) and a log token (the\n"
      "station's Ed25519 log key for checkpoints and its ECDSA P-256 attestation key for VSAs,\n"
      "unlocked by the station operator), and station.json. The --station directory must be\n"
      "absent or empty.\n"
      "Each token gets a security-officer (SO) PIN and a user PIN. PINs are read from a file\n"
      "(file:PATH, mode 600, one trailing newline ignored), an inherited descriptor (fd:N) or,\n"
      "by default, a no-echo prompt on the terminal. PINs on the command line or in the\n"
      "environment are refused.");
  AddStationOption(init, args->dir)->required();
  CLI::Option* pin_opts[3] = {
      init->add_option("--release-so-pin-source", args->release_so,
                       "Where to read the release token's SO PIN: file:PATH, fd:N or prompt"),
      init->add_option("--release-pin-source", args->release_user,
                       "Where to read the release token's user PIN: file:PATH, fd:N or prompt"),
      init->add_option("--log-so-pin-source", args->log_so,
                       "Where to read the log token's SO PIN: file:PATH, fd:N or prompt")};
  init->add_option(
      "--custody", args->custody.split,
      "M-of-N: the station generates the release token's user PIN and both SO PINs\n"
      "(32 random bytes each, never shown) and splits each among the N --custodian names,\n"
      "any M of whom open it (docs/custody.md); the log user PIN stays the operator's");
  AddCustodyIssueOptions(init, args->custody);
  AddLogPinSourceOption(init, args->log_user);
  CLI::Option* module = init->add_option(
      "--module", args->module_path,
      "Use this PKCS#11 module (absolute path) instead of the embedded SoftHSMv2;\n"
      "its tokens must already be initialized. The log key is Ed25519 where the module\n"
      "offers it, else ECDSA P-256 (C2SP note signature type 0x02; docs/hsm.md)");
  init->add_option("--token", args->token_uri,
                   "With --module: PKCS#11 URI of the release token, e.g. pkcs11:token=Release")
      ->needs(module);
  init->add_option("--log-token", args->log_token_uri,
                   "With --module: PKCS#11 URI of the log token (default: the release token)")
      ->needs(module);
  init->callback([&ctx, args, pin_opts] {
    for (CLI::Option* p : pin_opts) args->release_pins_given |= p->count() > 0;
    ctx.exit_code = RunStationInit(ctx, *args);
  });

  auto cp = std::make_shared<ChangePinArgs>();
  CLI::App* change = station->add_subcommand(
      "change-pin",
      "Change a token's user PIN (with --so: its security officer's PIN) with C_SetPIN, logged\n"
      "in with the current one, and log the change (a PIN_CHANGED event naming the token,\n"
      "which PIN and the operators; never a PIN). The new PIN, at a terminal prompt, is typed\n"
      "twice. Changing the log token's user PIN needs no --log-pin-source: the change is\n"
      "logged with the new PIN.");
  AddStationOption(change, cp->dir)->required();
  change->add_option("--token", cp->token, "Whose PIN: release (default) or log");
  change->add_flag("--so", cp->so, "Change the SO PIN instead of the user PIN");
  change->add_option("--old-pin-source", cp->old_pin,
                     "Where to read the current PIN: file:PATH, fd:N or prompt (default)");
  change->add_option("--new-pin-source", cp->new_pin,
                     "Where to read the new PIN: file:PATH, fd:N or prompt (default; asked twice)");
  AddLogPinSourceOption(change, cp->log_pin);
  AddOperatorOption(change, cp->operators);
  AddWaitOption(change, cp->wait);
  change->callback([&ctx, cp] {
    Status s = ChangePin(ctx, *cp);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("station change-pin"));
  });

  auto ck = std::make_shared<ClockArgs>();
  CLI::App* clock = station->add_subcommand(
      "clock",
      "Show the station clock, the time of the last logged event and the difference. The log's\n"
      "last event is the latest time the station is known to have reached: while the clock is\n"
      "behind it by more than " +
          std::to_string(policy::kClockTolerance.count()) +
          " seconds, every logged action is refused (CLOCK_BEHIND_LOG, logged\n"
          "with both times), so a clock set back cannot revive an expired approval or key\n"
          "authorization. Exit 10 when the clock is behind.\n"
          "With --reference-time, the people present (--operator) read the time from a\n"
          "reference and the check is logged (CLOCK_CHECKED) when the clock agrees with it\n"
          "within the tolerance; later actions are judged against that event. A clock that\n"
          "disagrees is refused (CLOCK_DISAGREES_WITH_REFERENCE): set it first (date -s).");
  AddStationOption(clock, ck->dir)->required();
  clock->add_option("--reference-time", ck->reference_time,
                    "The time the witnesses read from the reference, RFC 3339 (UTC), e.g. "
                    "2026-12-06T13:05:00Z");
  clock->add_option("--reference", ck->reference,
                    "What the reference was, e.g. \"GPS receiver\" (recorded in the event)");
  AddLogPinSourceOption(clock, ck->log_pin);
  AddOperatorOption(clock, ck->operators);
  AddWaitOption(clock, ck->wait);
  clock->callback([&ctx, ck] {
    Status s = ck->reference_time.empty() ? ShowClock(ctx, *ck) : CheckClock(ctx, *ck);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("station clock"));
  });
}

}  // namespace sr::cli
