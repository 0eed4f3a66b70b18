// `strongroom key generate|list|export`. There is deliberately no verb that
// signs arbitrary data with a key (see docs/hsm.md).
#include <iostream>

#include "base/file.h"
#include "hsm/pubkey.h"
#include "cli/common.h"
#include "cli/json.h"
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
  SR_ASSIGN_OR_RETURN(auto source, ParsePinSource(a.pin_source, std::string(TokenRoleName(role)) +
                                                                    " token user PIN"));
  SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin_source, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(a.station, StationLockOptions::Take("key generate", a.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, log_source->ReadPin());
  // The log is opened first: a key is generated only on a station that can
  // record it, and the KEY_GENERATED event is durable before we report success.
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(*station, log_pin));
  log->set_operators(a.operators);
  SR_RETURN_IF_ERROR(log->RefuseIfClockBehind("key generate"));
  SR_ASSIGN_OR_RETURN(auto session, station->OpenSessionBesideLog(role, pin, log_pin));
  SR_ASSIGN_OR_RETURN(GeneratedKey key, GenerateStationKey(*station, *session, a.label, alg));
  SR_ASSIGN_OR_RETURN(strongroom::v1::Event event, KeyGeneratedEvent(key, session->token().serial));
  SR_ASSIGN_OR_RETURN(std::uint64_t index, log->AppendAndCommit(std::move(event)));
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

Status List(Context& ctx, const KeyArgs& a) {
  SR_ASSIGN_OR_RETURN(auto station, Station::Open(a.station, StationLockOptions::ReadOnly()));
  SR_ASSIGN_OR_RETURN(auto keys, CollectKeys(*station, a.token));
  if (ctx.json) {
    Json list = Json::array();
    for (const auto& [token, k] : keys) list.push_back(KeyJson(token, k));
    PrintJson({{"ok", true}, {"keys", std::move(list)}});
    return Status::Ok();
  }
  for (const auto& [token, k] : keys) {
    std::cout << token << "\t" << k.label << "\t" << hsm::AlgorithmName(k.algorithm) << "\t"
              << k.fingerprint_hex << "\t" << k.uri << "\n";
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
      "key", "Generate, list and export the station's keys (no verb signs arbitrary data)");
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
      "list", "List the keys in the station's tokens: token, label, algorithm, fingerprint, URI");
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
}

}  // namespace sr::cli
