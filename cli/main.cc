// strongroom: offline signing and key-custody station.
#include <openssl/crypto.h>

#include <iostream>
#include <string_view>

#include "base/hardening.h"
#include "base/heap.h"
#include "cli/common.h"
#include "station/pin_source.h"

int main(int argc, char** argv) {
  using namespace sr::cli;
  // Before any other use of OpenSSL (ours or the PKCS#11 module's):
  // - no configuration file, neither the system's openssl.cnf nor one named
  //   by OPENSSL_CONF: it could load providers or engines into the process
  //   that holds the HSM sessions, or change which implementations answer
  //   (docs/threat-model.md). strongroom uses OpenSSL's built-in default
  //   provider only. (Reading and applying the file also cost ~50 us.)
  // - no exit-time cleanup, which only frees memory the kernel reclaims
  //   anyway (about 0.15 ms of every command). Secrets never wait for it:
  //   each is wiped where it is used.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);
  // Before anything large is allocated (base/heap.h: page faults).
  sr::PrepareHeap();
  sr::Status hardened = sr::HardenProcess();
  if (!hardened.ok()) {
    std::cerr << "strongroom: error: " << hardened.message() << "\n";
    return kExitInternal;
  }
  CLI::App app{
      "strongroom: an offline signing station. It signs a release only when shown a valid\n"
      "M-of-N release approval and trusted build provenance for a key authorized by the\n"
      "station's trust policy, and logs every signature and refusal in a tamper-evident log.",
      "strongroom"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strongroom 0.1.0");
  Context ctx;

  // Verb groups (one registrar per cli_*.cc, each adding the one verb named
  // here). A command line that names a verb builds only that verb's
  // commands: building all of them with their options and help texts costs
  // about 0.25 ms, a tenth of a short command. Anything else (no verb, a
  // misspelt one, --help) gets them all, so help and errors list every verb.
  struct Verb {
    std::string_view name;
    void (*add)(CLI::App&, Context&);
  };
  static constexpr Verb kVerbs[] = {
      {"station", RegisterStationCommands}, {"key", RegisterKeyCommands},
      {"policy", RegisterPolicyCommands},   {"approve", RegisterApproveCommands},
      {"sign", RegisterSignCommands},       {"verify", RegisterVerifyCommands},
      {"log", RegisterLogCommands},         {"ceremony", RegisterCeremonyCommands},
      {"custody", RegisterCustodyCommands}, {"audit", RegisterAuditCommands},
      {"record", RegisterRecordCommands},   {"keyless", RegisterKeylessCommands}};
  const Verb* named = nullptr;
  for (int i = 1; i < argc && named == nullptr; ++i) {
    std::string_view arg(argv[i]);
    if (arg.starts_with("-")) continue;  // --json, --version, --help
    for (const Verb& v : kVerbs)
      if (v.name == arg) named = &v;
    break;
  }
  for (const Verb& v : kVerbs)
    if (named == nullptr || named == &v) v.add(app, ctx);
  AddJsonFlag(app, ctx);  // before or after the verb

  // A PIN on the command line is refused before anything else looks at it
  // (in JSON too when --json is anywhere on the line).
  if (sr::Status pin = sr::RefusePinsInArgv(argc, argv); !pin.ok()) {
    ctx.json = JsonRequested(argc, argv);
    return ReportError(ctx, pin);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc == 0) return 0;  // --help, --version: text
    ctx.json = JsonRequested(argc, argv);
    return ReportUsageError(ctx, e.what());
  }
  return ctx.exit_code;
}
