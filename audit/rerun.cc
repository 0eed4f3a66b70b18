#include "audit/rerun.h"

#include <array>
#include <utility>

#include "policy/reason.h"

namespace sr::audit {
namespace {

// The reasons that are NOT re-runnable, and why. Every other reason code of
// policy/reason.h is decided by the gate from stored documents and log facts.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kNotRerunnable{{
    {"INPUT_MISSING", "an input file did not exist (never stored)"},
    {"INPUT_TOO_LARGE", "an input file was above its size limit (never stored)"},
    {"INPUT_NOT_REGULAR_FILE", "an input path was not a regular file (never stored)"},
    {"REQUEST_MALFORMED", "the command line or output directory was wrong"},
    {"CLOCK_BEHIND_LOG", "the station clock at that moment"},
    {"CLOCK_DISAGREES_WITH_REFERENCE", "the station clock at that moment"},
    {"SIGNING_FAILED", "the HSM or the disk failed after the gate allowed"},
    {"", "no reason code recorded"},
}};

constexpr std::array<std::string_view, 14> kFromFactsAlone{
    "KEY_NOT_AUTHORIZED",
    "KEY_AUTHORIZATION_NOT_YET_VALID",
    "KEY_AUTHORIZATION_EXPIRED",
    "KEY_REVOKED",
    "KEY_RETIRED",
    "VERSION_NOT_ABOVE_LAST_SIGNED",
    "VERSION_ARTIFACT_CONFLICT",
    "POLICY_UNSIGNED",
    "POLICY_SIGNATURE_INVALID",
    "POLICY_GOVERNANCE_THRESHOLD_NOT_MET",
    "POLICY_EXPIRED",
    "POLICY_VERSION_BELOW_INSTALLED",
    "POLICY_NOT_INSTALLED",
    "POLICY_PRODUCT_UNKNOWN",
};

}  // namespace

bool DecidedWithoutDocuments(std::string_view code) {
  for (std::string_view c : kFromFactsAlone)
    if (c == code) return true;
  return false;
}

ReasonClass ClassifyReason(std::string_view code) {
  for (const auto& [c, why] : kNotRerunnable)
    if (c == code) return {false, why};
  for (policy::Reason r : policy::AllReasons())
    if (policy::ReasonName(r) == code) return {true, {}};
  return {false, "not a reason code of the signing gate"};
}

}  // namespace sr::audit
