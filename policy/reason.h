// Reason codes of the signing gate and the Failure record that carries them.
// A refusal is data, not an error: every failed check becomes one Failure
// with a stable code (enum + stable string, documented in docs/policy.md),
// the input it concerns and a sentence an operator can act on.
#ifndef STRONGROOM_POLICY_REASON_H_
#define STRONGROOM_POLICY_REASON_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace sr::policy {

// Append only; the strings returned by ReasonName are stable.
enum class Reason {
  // Malformed inputs (any input).
  kInputMissing,
  kInputTooLarge,
  kInputBadJson,
  kInputDuplicateKey,
  kInputBadBase64,
  kInputMissingField,
  kInputBadField,
  kInputUnknownPayloadType,
  kStatementWrongType,
  kStatementWrongPredicateType,
  kRequestMalformed,
  // Trust policy.
  kPolicyUnsigned,
  kPolicySignatureInvalid,
  kPolicyGovernanceThresholdNotMet,
  kPolicyExpired,
  kPolicyVersionBelowInstalled,
  kPolicyVersionNotHigher,
  kPolicyRotationThresholdNotMet,
  kPolicyProductUnknown,
  // Release approval.
  kApprovalSignatureInvalid,
  kApprovalUnknownSigner,
  kApprovalThresholdNotMet,
  kApprovalExpired,
  kApprovalNotYetValid,
  kApprovalProductMismatch,
  kApprovalVersionMismatch,
  kApprovalSubjectMismatch,
  kApprovalExclusionIncomplete,
  kApprovalScopeConflict,
  // Build provenance.
  kProvenanceSignatureInvalid,
  kProvenanceBuilderUntrusted,
  kProvenanceBuilderIdMismatch,
  kProvenanceSourceNotAllowed,
  kProvenanceBuildTypeNotAllowed,
  kProvenanceSubjectMismatch,
  kProvenanceSourceVersionNotEligible,
  // Test evidence.
  kEvidenceSignatureInvalid,
  kEvidenceSignerUntrusted,
  kEvidenceSubjectMismatch,
  kEvidenceRequiredMissing,
  // Key authorization.
  kKeyNotAuthorized,
  kKeyAuthorizationNotYetValid,
  kKeyAuthorizationExpired,
  kKeyRevoked,
  // Facts from the signing-event log.
  kVersionNotAboveLastSigned,
  kVersionArtifactConflict,
  // The policy presented is not the one the log records as installed.
  kPolicyNotInstalled,
};

// The stable string, e.g. "APPROVAL_THRESHOLD_NOT_MET".
std::string_view ReasonName(Reason reason);
// Every reason, in enum order (for documentation and tests).
const std::vector<Reason>& AllReasons();

struct Failure {
  Reason reason;
  std::string input;    // "policy", "approval", "provenance", "evidence[1]", "request", "log"
  std::string message;  // what is wrong and what to do about it
};

// "APPROVAL_EXPIRED (approval): ..."
std::string FormatFailure(const Failure& f);
// A Status (kInvalidArgument, or kRefused for non-input reasons) for CLI use.
Status FailureToStatus(const Failure& f);

// A parsed value or the Failure that prevented parsing.
template <typename T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Checked(Failure failure) : v_(std::move(failure)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Failure& failure() const { return std::get<Failure>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_REASON_H_
