#include "policy/reason.h"

#include <cstddef>
#include <iterator>

namespace sr::policy {

namespace {

struct ReasonEntry {
  Reason reason;
  std::string_view name;
};

constexpr ReasonEntry kReasons[] = {
#define SR_POLICY_REASON_ENTRY(e, name) {Reason::e, name},
    SR_POLICY_REASONS(SR_POLICY_REASON_ENTRY)
#undef SR_POLICY_REASON_ENTRY
};

// The table is in enum order, so a reason's entry is at its value.
constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < std::size(kReasons); ++i)
    if (static_cast<std::size_t>(kReasons[i].reason) != i) return false;
  return true;
}
static_assert(InEnumOrder());

}  // namespace

std::string_view ReasonName(Reason reason) {
  auto i = static_cast<std::size_t>(reason);
  return i < std::size(kReasons) ? kReasons[i].name : "UNKNOWN_REASON";
}

const std::vector<Reason>& AllReasons() {
  static const std::vector<Reason> kAll = [] {
    std::vector<Reason> all;
    for (const ReasonEntry& r : kReasons) all.push_back(r.reason);
    return all;
  }();
  return kAll;
}

std::string FormatFailure(const Failure& f) {
  return std::string(ReasonName(f.reason)) + " (" + f.input + "): " + f.message;
}

Status FailureToStatus(const Failure& f) {
  std::string_view name = ReasonName(f.reason);
  bool input = name.starts_with("INPUT_") || name.starts_with("STATEMENT_") ||
               f.reason == Reason::kRequestMalformed;
  return Status(input ? Code::kInvalidArgument : Code::kRefused, FormatFailure(f));
}

}  // namespace sr::policy
