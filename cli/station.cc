// `strongroom station init`.
#include <unistd.h>

#include <iostream>

#include "cli/common.h"
#include "cli/json.h"
#include "station/pin_source.h"
#include "station/station.h"

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
};

void PrintStation(const Context& ctx, const Station& st) {
  const auto& r = st.record();
  if (ctx.json) {
    PrintJson({{"ok", true}, {"dir", st.dir()}, {"station", MessageJson(r, true)}});
    return;
  }
  std::cout << "Station " << r.station_id() << " created in " << st.dir() << "\n"
            << "  module:  " << r.module_path() << "\n";
  for (const auto& t : r.tokens()) {
    std::cout << "  " << t.role() << " token: " << t.uri() << "\n";
  }
  std::cout << "  log key: " << r.log_key().uri() << "\n"
            << "    ed25519 public key (base64): " << r.log_key().public_key() << "\n"
            << "    fingerprint (SHA-256 of SPKI): " << r.log_key().fingerprint() << "\n";
  if (r.has_attestation_key()) {
    std::cout << "  attestation key: " << r.attestation_key().uri() << "\n"
              << "    algorithm: " << r.attestation_key().algorithm() << "\n"
              << "    fingerprint (SHA-256 of SPKI): " << r.attestation_key().fingerprint() << "\n";
  }
}

int RunStationInit(Context& ctx, const StationInitArgs& a) {
  Status env = RefusePinsInEnvironment(environ);
  if (!env.ok()) return ReportError(ctx, env);
  std::unique_ptr<PinSource> sources[4];
  const std::string* specs[4] = {&a.release_so, &a.release_user, &a.log_so, &a.log_user};
  const char* prompts[4] = {"release token SO PIN", "release token user PIN", "log token SO PIN",
                            "log token user PIN"};
  for (int i = 0; i < 4; ++i) {
    auto s = ParsePinSource(*specs[i], prompts[i]);
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
  auto st = Station::Init(o);
  if (!st.ok()) return ReportError(ctx, st.status().Annotate("station init"));
  PrintStation(ctx, **st);
  return kExitOk;
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
  init->add_option("--release-so-pin-source", args->release_so,
                   "Where to read the release token's SO PIN: file:PATH, fd:N or prompt");
  init->add_option("--release-pin-source", args->release_user,
                   "Where to read the release token's user PIN: file:PATH, fd:N or prompt");
  init->add_option("--log-so-pin-source", args->log_so,
                   "Where to read the log token's SO PIN: file:PATH, fd:N or prompt");
  AddLogPinSourceOption(init, args->log_user);
  CLI::Option* module = init->add_option(
      "--module", args->module_path,
      "Use this PKCS#11 module (absolute path) instead of the embedded SoftHSMv2;\n"
      "its tokens must already be initialized");
  init->add_option("--token", args->token_uri,
                   "With --module: PKCS#11 URI of the release token, e.g. pkcs11:token=Release")
      ->needs(module);
  init->add_option("--log-token", args->log_token_uri,
                   "With --module: PKCS#11 URI of the log token (default: the release token)")
      ->needs(module);
  init->callback([&ctx, args] { ctx.exit_code = RunStationInit(ctx, *args); });
}

}  // namespace sr::cli
