// `strongroom key generate|list|export|revoke|retire|csr`. There is
// deliberately no verb that signs arbitrary data with a key (see docs/hsm.md):
// `key csr` signs only a certification request for the key's own public key.
#include <iostream>

#include "base/file.h"
#include "cli/common.h"
#include "cli/json.h"
#include "hsm/mechanisms.h"
#include "hsm/pubkey.h"
#include "station/key_generation.h"
#include "station/key_lifecycle.h"
#include "station/log_state.h"
#include "station/pin_source.h"
#include "station/station.h"
#include "station/station_log.h"

extern char** environ;

namespace sr::cli {
namespace {

struct KeyArgs {
  std::string station;
  std::string label;
  std::string algorithm;
  std::string token = "release";
  std::string pin_source = "prompt";
  std::string log_pin_source = "prompt";
  std::string out;
  std::string reason;
  std::string compromised_since;
  std::string subject;
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

Json KeyJson(std::string_view token, const hsm::KeyInfo& k) {
  return {{"token", token},
          {"label", k.label},
          {"algorithm", hsm::AlgorithmName(k.algorithm)},
          {"fingerprint", k.fingerprint_hex},
          {"uri", k.uri}};
}

Status Generate(Context& ctx, const KeyArgs& a) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(hsm::Algorithm alg, hsm::ParseAlgorithm(a.algorithm));
  SR_ASSIGN_OR_RETURN(TokenRole role, ParseTokenRole(a.token));
  SR_RETURN_IF_ERROR(hsm::ValidateKeyLabel(a.label));
  SR_ASSIGN_OR_RETURN(
      auto source,
      ParsePinSource(a.pin_source, std::string(TokenRoleName(role)) + " token user PIN",
                     PinTarget{a.station, std::string(TokenRoleName(role))}));
  SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin_source, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.station, StationLockOptions::Take("key generate", a.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, log_source->ReadPin());
  // The log is opened first: a key is generated only on a station that can
  // record it, and the KEY_GENERATED event is durable before we report success.
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(*station, log_pin));
  log->set_operators(a.operators);
  log->set_pin_share_fingerprints(source->ShareFingerprints());
  SR_RETURN_IF_ERROR(log->RefuseIfClockBehind("key generate"));
  auto session = station->OpenSessionBesideLog(role, pin, log_pin);
  if (!session.ok()) return NoteFullDisk(station->dir(), session.status());
  // An algorithm the token's module lacks (a TPM has no Ed25519) is refused
  // before the token is touched, naming what it offers, and the refusal logged.
  SR_ASSIGN_OR_RETURN(std::vector<hsm::Algorithm> offered,
                      hsm::OfferedAlgorithms((*session)->module(), (*session)->token().slot));
  if (Status lacks = hsm::RequireOffered(offered, alg, (*session)->Describe()); !lacks.ok()) {
    Status logged = log->LogRefusal({policy::Reason::kRequestMalformed, "request", lacks.message()},
                                    "key generate");
    return Status(Code::kFailedPrecondition, logged.message());
  }
  // Space for the key's record is held before the HSM is touched, and a key
  // whose event cannot be written is destroyed (station/key_generation.h).
  SR_ASSIGN_OR_RETURN(LoggedKey logged,
                      GenerateLoggedKey(*station, *log, **session, a.label, alg, &offered));
  const GeneratedKey& key = logged.key;
  const std::uint64_t index = logged.event_index;
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"key", KeyJson(a.token, key.info)},
               {"public_key", key.pem_path},
               {"proof_statement", key.statement_path},
               {"proof_signature", key.signature_path},
               {"event_index", index}});
  } else {
    std::cout << "Generated " << hsm::AlgorithmName(alg) << " key '" << key.info.label
              << "' in the " << a.token << " token (private key sensitive, never extractable)\n"
              << "  fingerprint: " << key.info.fingerprint_hex << "\n"
              << "  uri:         " << key.info.uri << "\n"
              << "  public key:  " << key.pem_path << "\n"
              << "  proof of possession: " << key.statement_path << " signed in "
              << key.signature_path << "\n"
              << "  logged as event " << index << " (KEY_GENERATED)\n";
  }
  return Status::Ok();
}

// Public keys are public objects, so listing and exporting need no PIN, and,
// reading only, they do not take station.lock (docs/cli.md, "Locks").
Result<std::vector<std::pair<std::string, hsm::KeyInfo>>> CollectKeys(Station& st,
                                                                      std::string_view only) {
  std::vector<std::pair<std::string, hsm::KeyInfo>> out;
  for (TokenRole role : {TokenRole::kRelease, TokenRole::kLog}) {
    if (!only.empty() && only != TokenRoleName(role)) continue;
    SR_ASSIGN_OR_RETURN(auto session, st.OpenSession(role, nullptr));
    SR_ASSIGN_OR_RETURN(std::vector<hsm::KeyInfo> keys, session->ListKeys());
    for (auto& k : keys) out.emplace_back(std::string(TokenRoleName(role)), std::move(k));
  }
  return out;
}

// "active", or "revoked (event N)" / "retired (event N)" from the log.
std::string StateOf(const LogState* state, const hsm::KeyInfo& k) {
  if (state == nullptr) return "unknown";
  const policy::EndedKey* e = state->Ended(k.fingerprint_hex);
  if (e == nullptr) return "active";
  return std::string(e->revoked ? "revoked" : "retired") + " (event " +
         std::to_string(e->event_index) + ")";
}

Status List(Context& ctx, const KeyArgs& a) {
  SR_ASSIGN_OR_RETURN(auto station, Station::Open(a.station, StationLockOptions::ReadOnly()));
  SR_ASSIGN_OR_RETURN(auto keys, CollectKeys(*station, a.token));
  // The state comes from the log's events, read without the PIN (listing
  // checks nothing; `log verify` does).
  Result<LogState> read = ReadLogState(LogDir(*station));
  const LogState* state = read.ok() ? &read.value() : nullptr;
  if (state == nullptr)
    std::cerr << "strongroom: warning: key states unknown, the log cannot be read: "
              << read.status().message() << "\n";
  if (ctx.json) {
    Json list = Json::array();
    for (const auto& [token, k] : keys) {
      Json j = KeyJson(token, k);
      const policy::EndedKey* e = state ? state->Ended(k.fingerprint_hex) : nullptr;
      j["state"] = state == nullptr ? "unknown"
                   : e == nullptr   ? "active"
                   : e->revoked     ? "revoked"
                                    : "retired";
      if (e != nullptr) {
        j["state_event_index"] = e->event_index;
        j["state_time"] = e->effective_time;
        j["state_reason"] = e->reason;
      }
      list.push_back(std::move(j));
    }
    PrintJson({{"ok", true}, {"keys", std::move(list)}});
    return Status::Ok();
  }
  for (const auto& [token, k] : keys) {
    std::cout << token << "\t" << k.label << "\t" << hsm::AlgorithmName(k.algorithm) << "\t"
              << k.fingerprint_hex << "\t" << StateOf(state, k) << "\t" << k.uri << "\n";
  }
  return Status::Ok();
}

Status EndKey(Context& ctx, const KeyArgs& a, bool revoke) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin_source, "log token user PIN"));
  const char* verb = revoke ? "key revoke" : "key retire";
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.station, StationLockOptions::Take(verb, a.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, log_source->ReadPin());
  KeyEndRequest r{a.label, a.reason, a.compromised_since, a.operators};
  SR_ASSIGN_OR_RETURN(KeyEndResult k,
                      revoke ? RevokeKey(*station, log_pin, r) : RetireKey(*station, log_pin, r));
  const char* kind = revoke ? "KEY_REVOKED" : "KEY_RETIRED";
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"key", KeyJson("release", k.key)},
               {"state", revoke ? "revoked" : "retired"},
               {"event", kind},
               {"event_index", k.event_index},
               {"effective_time", k.effective_time},
               {"compromised_since", k.compromised_since},
               {"reason", a.reason}});
    return Status::Ok();
  }
  std::cout << (revoke ? "Revoked" : "Retired") << " key '" << k.key.label << "' ("
            << k.key.fingerprint_hex << ")\n"
            << "  logged as event " << k.event_index << " (" << kind << ") at " << k.effective_time
            << "\n";
  if (!k.compromised_since.empty())
    std::cout << "  compromised since " << k.compromised_since
              << ": signatures logged from then on do not verify\n";
  std::cout << "  `sign` refuses this key from now on.\n";
  if (revoke)
    std::cout << "  For verifiers: list it in the next policy's revokedKeys with "
                 "\"revokedAtLogIndex\": \""
              << k.event_index << "\""
              << (k.compromised_since.empty()
                      ? std::string()
                      : ", \"compromisedSince\": \"" + k.compromised_since + "\"")
              << " (releases it signed before event " << k.event_index
              << " keep verifying with their .tlog-proof).\n";
  return Status::Ok();
}

Status Csr(Context& ctx, const KeyArgs& a) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(auto source,
                      ParsePinSource(a.pin_source, "release token user PIN", PinTarget{a.station}));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.station, StationLockOptions::Take("key csr", a.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  SR_ASSIGN_OR_RETURN(std::string pem, KeyCsr(*station, pin, a.label, a.subject));
  if (!a.out.empty()) SR_RETURN_IF_ERROR(WriteFileAtomic(a.out, pem, 0644, /*exclusive=*/true));
  if (ctx.json) {
    PrintJson(
        {{"ok", true}, {"label", a.label}, {"subject", a.subject}, {"out", a.out}, {"pem", pem}});
  } else if (a.out.empty()) {
    std::cout << pem;
  } else {
    std::cout << "Wrote a PKCS#10 request for '" << a.label << "' (" << a.subject
              << "), signed in the release token, to " << a.out << "\n";
  }
  return Status::Ok();
}

Status Export(Context& ctx, const KeyArgs& a) {
  SR_ASSIGN_OR_RETURN(auto station, Station::Open(a.station, StationLockOptions::ReadOnly()));
  SR_ASSIGN_OR_RETURN(auto keys, CollectKeys(*station, a.token));
  for (const auto& [token, k] : keys) {
    if (k.label != a.label) continue;
    SR_ASSIGN_OR_RETURN(std::string pem, hsm::SpkiToPem(k.spki_der));
    if (!a.out.empty()) {
      SR_RETURN_IF_ERROR(WriteFileAtomic(a.out, pem, 0644, /*exclusive=*/true));
    }
    if (ctx.json) {
      PrintJson({{"ok", true}, {"key", KeyJson(token, k)}, {"pem", pem}});
    } else if (a.out.empty()) {
      std::cout << pem;
    } else {
      std::cout << "Wrote the public key of '" << k.label << "' (" << k.fingerprint_hex << ") to "
                << a.out << "\n";
    }
    return Status::Ok();
  }
  return NotFound("no key labelled '" + a.label + "' in station " + a.station);
}

void AddStation(CLI::App* cmd, KeyArgs& a) { AddStationOption(cmd, a.station)->required(); }

}  // namespace

void RegisterKeyCommands(CLI::App& app, Context& ctx) {
  CLI::App* key = app.add_subcommand(
      "key",
      "Generate, list, export, revoke and retire the station's keys, and request certificates\n"
      "for them (no verb signs arbitrary data)");
  key->require_subcommand(1);
  auto a = std::make_shared<KeyArgs>();
  CLI::App* gen = key->add_subcommand(
      "generate",
      "Generate a key pair inside a token. The private key is created sensitive and never\n"
      "extractable; the public key is written to STATION/keys/LABEL.pem, and the new key signs\n"
      "a proof of possession (STATION/keys/LABEL.pop, signature in LABEL.pop.sig) that anyone\n"
      "can check with the openssl command line. Prints the key's SHA-256 fingerprint.");
  AddStation(gen, *a);
  gen->add_option("--label", a->label, "Key label: letters, digits, '.', '_', '-' (unique)")
      ->required();
  gen->add_option("--algorithm", a->algorithm, "ecdsa-p256, ecdsa-p384, ed25519 or rsa-pss-3072")
      ->required();
  gen->add_option("--token", a->token, "Token to generate in: release (default) or log");
  AddPinSourceOption(gen, a->pin_source);
  AddLogPinSourceOption(gen, a->log_pin_source);
  AddOperatorOption(gen, a->operators);
  AddWaitOption(gen, a->wait);
  gen->callback([&ctx, a] {
    Status s = Generate(ctx, *a);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key generate"));
  });
  CLI::App* list = key->add_subcommand(
      "list",
      "List the keys in the station's tokens: token, label, algorithm, fingerprint, state\n"
      "(active, or revoked/retired with the log event that did it), URI");
  AddStation(list, *a);
  list->add_option("--token", a->token, "Only this token: release or log (default: both)")
      ->default_str("");
  list->callback([&ctx, a, list] {
    if (list->count("--token") == 0) a->token.clear();
    Status s = List(ctx, *a);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key list"));
  });
  CLI::App* exp = key->add_subcommand(
      "export", "Print (or write with --out) the PEM public key of a key, read from the token");
  AddStation(exp, *a);
  exp->add_option("--label", a->label, "Label of the key")->required();
  exp->add_option("--out", a->out, "Write the PEM here (refuses to overwrite) instead of stdout");
  exp->callback([&ctx, a] {
    a->token.clear();
    Status s = Export(ctx, *a);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key export"));
  });
  CLI::App* rev = key->add_subcommand(
      "revoke",
      "Revoke a release key: logs KEY_REVOKED (its event index is the revocation's log index)\n"
      "and `sign` refuses the key from then on, whatever the policy says. Releases it signed\n"
      "before stay valid for verifiers once the next policy lists it in revokedKeys with\n"
      "revokedAtLogIndex (docs/key-lifecycle.md). Needs only the log token's PIN.");
  AddStation(rev, *a);
  rev->add_option("--label", a->label, "Label of the release key")->required();
  rev->add_option("--reason", a->reason, "Why (logged; one line)")->required();
  rev->add_option("--compromised-since", a->compromised_since,
                  "RFC 3339 time from which the key may have been misused: signatures logged\n"
                  "from then on must not be trusted (logged; put it in the policy's\n"
                  "compromisedSince)");
  AddLogPinSourceOption(rev, a->log_pin_source);
  AddOperatorOption(rev, a->operators);
  AddWaitOption(rev, a->wait);
  rev->callback([&ctx, a] {
    Status s = EndKey(ctx, *a, /*revoke=*/true);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key revoke"));
  });
  CLI::App* ret = key->add_subcommand(
      "retire",
      "Retire a release key (rotation, end of life): logs KEY_RETIRED and `sign` refuses the\n"
      "key from then on; everything it signed stays valid. Needs only the log token's PIN.");
  AddStation(ret, *a);
  ret->add_option("--label", a->label, "Label of the release key")->required();
  ret->add_option("--reason", a->reason, "Why (logged; one line)");
  AddLogPinSourceOption(ret, a->log_pin_source);
  AddOperatorOption(ret, a->operators);
  AddWaitOption(ret, a->wait);
  ret->callback([&ctx, a] {
    Status s = EndKey(ctx, *a, /*revoke=*/false);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key retire"));
  });
  CLI::App* csr = key->add_subcommand(
      "csr",
      "Write a PKCS#10 certificate signing request for a release key (for a code-signing\n"
      "certificate): the key's public key and --subject, signed in the token by the key\n"
      "itself. `openssl req -verify -in FILE -noout` checks it.");
  AddStation(csr, *a);
  csr->add_option("--label", a->label, "Label of the release key")->required();
  csr->add_option("--subject", a->subject,
                  "Distinguished name, e.g. \"/C=DE/O=Example/CN=IC-22 release signing\" or\n"
                  "\"CN=IC-22 release signing,O=Example\"")
      ->required();
  csr->add_option("--out", a->out, "Write the PEM here (refuses to overwrite) instead of stdout");
  AddPinSourceOption(csr, a->pin_source);
  AddWaitOption(csr, a->wait);
  csr->callback([&ctx, a] {
    Status s = Csr(ctx, *a);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("key csr"));
  });
}

}  // namespace sr::cli
