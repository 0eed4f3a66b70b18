#include <cstdio>
#include <iostream>

#include "signer/cli.h"

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
