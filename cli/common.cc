#include "cli/common.h"

#include <cstdio>
#include <cstring>
#include <iostream>

#include "base/file.h"
#include "cli/json.h"
#include "station/station.h"

namespace sr::cli {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
      return kExitInvalidInput;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kAlreadyExists:
      return kExitExists;
    case Code::kPermissionDenied:
      return kExitForbidden;
    case Code::kFailedPrecondition:
      return kExitPrecondition;
    case Code::kDataLoss:
      return kExitTampered;
    case Code::kUnavailable:
      return kExitBusy;
    case Code::kHsm:
      return kExitHsm;
    case Code::kRefused:
      return kExitRefused;
    case Code::kIo:
      return kExitIo;
    case Code::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

Result<std::string> VerifierKeyText(const std::string& arg) {
  if (arg.empty() || (arg.find('+') != std::string::npos && !PathExists(arg))) return arg;
  SR_ASSIGN_OR_RETURN(std::string text, ReadFile(arg, 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

namespace {

void PrintErrorObject(std::string_view code_name, const std::string& message, int code) {
  Json error;
  error["code"] = code_name;
  error["message"] = message;
  error["exit"] = code;
  PrintJson({{"ok", false}, {"error", std::move(error)}});
}

}  // namespace

int ReportError(const Context& ctx, const Status& s) {
  int code = ExitCodeFor(s);
  if (ctx.json) PrintErrorObject(CodeName(s.code()), s.message(), code);
  std::cerr << "strongroom: error: " << s.message() << "\n";
  return code;
}

int ReportUsageError(const Context& ctx, const std::string& message) {
  if (ctx.json) PrintErrorObject("usage", message, kExitUsage);
  return kExitUsage;
}

bool JsonRequested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

CLI::Option* AddStationOption(CLI::App* cmd, std::string& dir) {
  return cmd->add_option("--station", dir, "Station directory");
}

CLI::Option* AddPinSourceOption(CLI::App* cmd, std::string& spec) {
  return cmd->add_option("--pin-source", spec,
                         "Where to read the user PIN of the release token (of the log token\n"
                         "with key generate --token log): file:PATH, fd:N, prompt (default)\n"
                         "or, for a PIN held by custodians, shares:FILE,FILE... or shares:prompt");
}

CLI::Option* AddLogPinSourceOption(CLI::App* cmd, std::string& spec) {
  return cmd->add_option("--log-pin-source", spec,
                         "Where to read the user PIN of the log token, which records the\n"
                         "operation in the log: file:PATH, fd:N or prompt (default)");
}

CLI::Option* AddOperatorOption(CLI::App* cmd, std::vector<std::string>& names) {
  return cmd->add_option("--operator", names, "A person present and acting (repeat); logged");
}

CLI::Option* AddWaitOption(CLI::App* cmd, int& seconds) {
  seconds = kDefaultLockWaitSeconds;
  return cmd
      ->add_option("--wait", seconds,
                   "Seconds to wait for the station lock while another strongroom process\n"
                   "holds it (default " +
                       std::to_string(kDefaultLockWaitSeconds) +
                       "; 0: do not wait); the holder is named on stderr,\n"
                       "and giving up exits 8 (docs/cli.md, \"Locks\")")
      ->check(CLI::NonNegativeNumber);
}

void AddJsonFlag(CLI::App& app, Context& ctx) {
  if (app.get_option_no_throw("--json") == nullptr)
    app.add_flag("--json", ctx.json, "Machine-readable JSON output on stdout (docs/cli.md)");
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) AddJsonFlag(*sub, ctx);
}

}  // namespace sr::cli
