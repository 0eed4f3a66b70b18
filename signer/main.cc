// strongroom: offline signing and key-custody station.
#include <iostream>

#include "base/hardening.h"
#include "signer/cli.h"
#include "signer/pin_source.h"

int main(int argc, char** argv) {
  using namespace sr::cli;
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
  app.add_flag("--json", ctx.json, "Machine-readable JSON output on stdout");

  // Verb groups (one registrar per cli_*.cc).
  RegisterStationCommands(app, ctx);
  RegisterKeyCommands(app, ctx);
  RegisterPolicyCommands(app, ctx);
  RegisterApproveCommands(app, ctx);
  RegisterSignCommands(app, ctx);
  RegisterVerifyCommands(app, ctx);
  RegisterLogCommands(app, ctx);

  // A PIN on the command line is refused before anything else looks at it.
  if (sr::Status pin = sr::RefusePinsInArgv(argc, argv); !pin.ok()) {
    return ReportError(ctx, pin);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  return ctx.exit_code;
}
