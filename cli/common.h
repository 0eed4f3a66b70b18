// The command-line surface. Each verb group lives in its own cli_*.cc and
// registers its subcommands here; main.cc only wires them together.
#ifndef STRONGROOM_CLI_COMMON_H_
#define STRONGROOM_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

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

// Prints "strongroom: error: <message>" on stderr (and with --json the
// object {"ok":false,"error":{"code","message","exit"}} on stdout) and
// returns the exit code for s.
int ReportError(const Context& ctx, const Status& s);

// A command line CLI11 rejected: with --json, the error object above with
// code "usage" and exit 2 on stdout (CLI11 has written its message on stderr).
int ReportUsageError(const Context& ctx, const std::string& message);

// Whether argv asks for --json (before "--"), for the errors reported before
// the command line is parsed.
bool JsonRequested(int argc, char** argv);

// Options several verbs share, declared here once, each with one help text.
// Each returns the option, for ->required() where a verb needs it.
CLI::Option* AddStationOption(CLI::App* cmd, std::string& dir);          // --station DIR
CLI::Option* AddPinSourceOption(CLI::App* cmd, std::string& spec);       // --pin-source SRC
CLI::Option* AddLogPinSourceOption(CLI::App* cmd, std::string& spec);    // --log-pin-source SRC
CLI::Option* AddOperatorOption(CLI::App* cmd, std::vector<std::string>& names);  // --operator
// --wait SECONDS: how long a verb that takes STATION/station.lock waits for
// it (default kDefaultLockWaitSeconds of station/station.h; 0: not at all).
CLI::Option* AddWaitOption(CLI::App* cmd, int& seconds);
// --json on app and on every subcommand below it, so that it may come before
// or after the verb. Call after the verbs are registered.
void AddJsonFlag(CLI::App& app, Context& ctx);

// Registrars, one per verb group.
void RegisterLogCommands(CLI::App& app, Context& ctx);      // signer/cli_log.cc
// Adds export, witness-key, cosign and add-cosignature to `log` (log_publish.cc).
void RegisterLogPublishCommands(CLI::App* log, Context& ctx);
void RegisterPolicyCommands(CLI::App& app, Context& ctx);   // cli_policy.cc
void RegisterApproveCommands(CLI::App& app, Context& ctx);  // cli_approve.cc
void RegisterStationCommands(CLI::App& app, Context& ctx);  // cli_station.cc
void RegisterKeyCommands(CLI::App& app, Context& ctx);      // cli_key.cc
void RegisterSignCommands(CLI::App& app, Context& ctx);     // cli_sign.cc
void RegisterVerifyCommands(CLI::App& app, Context& ctx);   // cli_verify.cc
// Adds `transcript` to the `ceremony` verb group (cli/ceremony_transcript.cc).
void RegisterCeremonyTranscript(CLI::App& ceremony_group, Context& ctx);
void RegisterCustodyCommands(CLI::App& app, Context& ctx);  // custody.cc
void RegisterAuditCommands(CLI::App& app, Context& ctx);    // audit.cc
void RegisterRecordCommands(CLI::App& app, Context& ctx);   // record.cc
void RegisterKeylessCommands(CLI::App& app, Context& ctx);  // keyless.cc
void RegisterCeremonyCommands(CLI::App& app, Context& ctx);  // ceremony.cc

}  // namespace sr::cli

#endif  // STRONGROOM_CLI_COMMON_H_
