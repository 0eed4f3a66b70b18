#include "base/status.h"

#include <cstring>

namespace sr {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kFailedPrecondition:
      return "failed precondition";
    case Code::kDataLoss:
      return "data loss";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kHsm:
      return "HSM error";
    case Code::kRefused:
      return "refused";
    case Code::kIo:
      return "I/O error";
    case Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status ErrnoError(std::string_view what, std::string_view path, int err) {
  std::string m(what);
  m += " '";
  m += path;
  m += "': ";
  m += std::strerror(err);
  Code c = Code::kIo;
  if (err == ENOENT) c = Code::kNotFound;
  if (err == EEXIST) c = Code::kAlreadyExists;
  if (err == ELOOP) m += " (symbolic links are refused)";
  return Status(c, m);
}

}  // namespace sr
