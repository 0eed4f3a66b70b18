// Status and Result<T>: how every module reports failure. No exceptions cross
// a module boundary. Messages are written for a ceremony operator: they say
// what was wrong and where, and never contain secret material.
#ifndef STRONGROOM_BASE_STATUS_H_
#define STRONGROOM_BASE_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace sr {

// Stable codes; the CLI maps them to exit codes (docs/cli.md).
enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad input from the user or a file
  kNotFound,            // file, token, key, event that does not exist
  kAlreadyExists,       // refusing to overwrite
  kPermissionDenied,    // e.g. a PIN given where PINs may not be given
  kFailedPrecondition,  // state is wrong for this operation (e.g. log torn)
  kDataLoss,            // tampering or corruption detected
  kUnavailable,         // lock held, module not loadable
  kHsm,                 // a PKCS#11 call failed (message names the CKR_)
  kRefused,             // the signing gate refused
  kIo,                  // operating-system I/O error
  kInternal,
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<CodeName>: <message>"
  std::string ToString() const;
  // Prefixes context: Status(kIo,"x").Annotate("reading policy") -> "reading policy: x".
  Status Annotate(std::string_view context) const;
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return Status(Code::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status DataLoss(std::string m) { return Status(Code::kDataLoss, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
inline Status IoError(std::string m) { return Status(Code::kIo, std::move(m)); }
// An I/O error carrying strerror(errno) and the path.
Status ErrnoError(std::string_view what, std::string_view path, int err);

// Result<T>: a value or a non-OK Status. Result<T, E>: a value or an error
// of a module's own type E; the signing gate's parsers return
// policy::Checked<T>, which is Result<T, policy::Failure> (a reason code, the
// input and a message; policy/reason.h). One class: the error type is the
// only difference.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}     // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {      // NOLINT
    if constexpr (std::is_same_v<E, Status>) {  // an OK Status is no error
      if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "Result built from OK status");
    }
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; only when !ok().
  const E& error() const { return std::get<E>(v_); }
  // Result<T>'s error, or an OK Status when there is a value.
  const Status& status() const
    requires std::is_same_v<E, Status>
  {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // Result<T, E>'s error under its usual name (Checked<T>::failure()); only
  // when !ok().
  const E& failure() const
    requires(!std::is_same_v<E, Status>)
  {
    return std::get<E>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace sr

#define SR_CONCAT_INNER(a, b) a##b
#define SR_CONCAT(a, b) SR_CONCAT_INNER(a, b)

// SR_RETURN_IF_ERROR(expr): returns the Status of expr if it is not OK.
#define SR_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::sr::Status sr_status_ = (expr);        \
    if (!sr_status_.ok()) return sr_status_; \
  } while (0)

// SR_ASSIGN_OR_RETURN(lhs, expr): lhs = value of Result expr, or return its Status.
#define SR_ASSIGN_OR_RETURN(lhs, expr) \
  SR_ASSIGN_OR_RETURN_IMPL(SR_CONCAT(sr_result_, __LINE__), lhs, expr)
#define SR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#endif  // STRONGROOM_BASE_STATUS_H_
