// The command-line surface. Each verb group lives in its own cli_*.cc and
// registers its subcommands here; main.cc only wires them together.
#ifndef STRONGROOM_CLI_COMMON_H_
#define STRONGROOM_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <string>

#include "base/encoding.h"  // JsonEscape
#include "base/status.h"

namespace sr::cli {

// Exit codes (documented in docs/cli.md; stable for scripts).
enum Exit : int {
  kExitOk = 0,
  kExitRefused = 1,        // the signing gate refused, or verification failed
  kExitUsage = 2,          // bad command line
  kExitInvalidInput = 3,   // malformed input file or argument
  kExitNotFound = 4,       // missing file, station, token or key
  kExitHsm = 5,            // PKCS#11 error
  kExitTampered = 6,       // tampering or corruption detected (log, policy, inputs)
  kExitIo = 7,             // operating-system I/O error
  kExitBusy = 8,           // another process holds the station or log lock
  kExitForbidden = 9,      // e.g. a PIN on the command line or in the environment
  kExitPrecondition = 10,  // wrong state for this operation
  kExitExists = 11,        // refusing to overwrite
  kExitInternal = 70,
};

int ExitCodeFor(const Status& s);

// A log verifier key argument (--vkey, --log-vkey): the key string itself,
// or the path of a file holding it (a value without '+', or an existing
// path), read with its trailing newline removed. "" for "".
Result<std::string> VerifierKeyText(const std::string& arg);

// Shared state for one invocation.
struct Context {
  bool json = false;  // --json: machine-readable output on stdout
  int exit_code = 0;  // set by the subcommand that ran
};

// Prints "strongroom: error: <message>" on stderr (or a JSON error object on
// stdout with --json) and returns the exit code for s.
int ReportError(const Context& ctx, const Status& s);

// Registrars, one per verb group.
void RegisterLogCommands(CLI::App& app, Context& ctx);      // signer/cli_log.cc
void RegisterPolicyCommands(CLI::App& app, Context& ctx);   // cli_policy.cc
void RegisterApproveCommands(CLI::App& app, Context& ctx);  // cli_approve.cc
void RegisterStationCommands(CLI::App& app, Context& ctx);  // cli_station.cc
void RegisterKeyCommands(CLI::App& app, Context& ctx);      // cli_key.cc
void RegisterSignCommands(CLI::App& app, Context& ctx);     // cli_sign.cc
void RegisterVerifyCommands(CLI::App& app, Context& ctx);   // cli_verify.cc

}  // namespace sr::cli

#endif  // STRONGROOM_CLI_COMMON_H_
