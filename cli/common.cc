#include <cstdio>
#include <iostream>

#include "base/file.h"
#include "cli/common.h"

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

int ReportError(const Context& ctx, const Status& s) {
  int code = ExitCodeFor(s);
  if (ctx.json) {
    std::cout << "{\"ok\":false,\"error\":{\"code\":\""
              << JsonEscape(std::string(CodeName(s.code()))) << "\",\"message\":\""
              << JsonEscape(s.message()) << "\",\"exit\":" << code << "}}\n";
  }
  std::cerr << "strongroom: error: " << s.message() << "\n";
  return code;
}

}  // namespace sr::cli
