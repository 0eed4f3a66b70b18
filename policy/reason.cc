#include "policy/reason.h"

namespace sr::policy {

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kInputMissing:
      return "INPUT_MISSING";
    case Reason::kInputTooLarge:
      return "INPUT_TOO_LARGE";
    case Reason::kInputBadJson:
      return "INPUT_BAD_JSON";
    case Reason::kInputDuplicateKey:
      return "INPUT_DUPLICATE_KEY";
    case Reason::kInputBadBase64:
      return "INPUT_BAD_BASE64";
    case Reason::kInputMissingField:
      return "INPUT_MISSING_FIELD";
    case Reason::kInputBadField:
      return "INPUT_BAD_FIELD";
    case Reason::kInputUnknownPayloadType:
      return "INPUT_UNKNOWN_PAYLOAD_TYPE";
    case Reason::kStatementWrongType:
      return "STATEMENT_WRONG_TYPE";
    case Reason::kStatementWrongPredicateType:
      return "STATEMENT_WRONG_PREDICATE_TYPE";
    case Reason::kRequestMalformed:
      return "REQUEST_MALFORMED";
    case Reason::kPolicyUnsigned:
      return "POLICY_UNSIGNED";
    case Reason::kPolicySignatureInvalid:
      return "POLICY_SIGNATURE_INVALID";
    case Reason::kPolicyGovernanceThresholdNotMet:
      return "POLICY_GOVERNANCE_THRESHOLD_NOT_MET";
    case Reason::kPolicyExpired:
      return "POLICY_EXPIRED";
    case Reason::kPolicyVersionBelowInstalled:
      return "POLICY_VERSION_BELOW_INSTALLED";
    case Reason::kPolicyVersionNotHigher:
      return "POLICY_VERSION_NOT_HIGHER";
    case Reason::kPolicyRotationThresholdNotMet:
      return "POLICY_ROTATION_THRESHOLD_NOT_MET";
    case Reason::kPolicyProductUnknown:
      return "POLICY_PRODUCT_UNKNOWN";
    case Reason::kApprovalSignatureInvalid:
      return "APPROVAL_SIGNATURE_INVALID";
    case Reason::kApprovalUnknownSigner:
      return "APPROVAL_UNKNOWN_SIGNER";
    case Reason::kApprovalThresholdNotMet:
      return "APPROVAL_THRESHOLD_NOT_MET";
    case Reason::kApprovalExpired:
      return "APPROVAL_EXPIRED";
    case Reason::kApprovalNotYetValid:
      return "APPROVAL_NOT_YET_VALID";
    case Reason::kApprovalProductMismatch:
      return "APPROVAL_PRODUCT_MISMATCH";
    case Reason::kApprovalVersionMismatch:
      return "APPROVAL_VERSION_MISMATCH";
    case Reason::kApprovalSubjectMismatch:
      return "APPROVAL_SUBJECT_MISMATCH";
    case Reason::kApprovalExclusionIncomplete:
      return "APPROVAL_EXCLUSION_INCOMPLETE";
    case Reason::kApprovalScopeConflict:
      return "APPROVAL_SCOPE_CONFLICT";
    case Reason::kProvenanceSignatureInvalid:
      return "PROVENANCE_SIGNATURE_INVALID";
    case Reason::kProvenanceBuilderUntrusted:
      return "PROVENANCE_BUILDER_UNTRUSTED";
    case Reason::kProvenanceBuilderIdMismatch:
      return "PROVENANCE_BUILDER_ID_MISMATCH";
    case Reason::kProvenanceSourceNotAllowed:
      return "PROVENANCE_SOURCE_NOT_ALLOWED";
    case Reason::kProvenanceBuildTypeNotAllowed:
      return "PROVENANCE_BUILD_TYPE_NOT_ALLOWED";
    case Reason::kProvenanceSubjectMismatch:
      return "PROVENANCE_SUBJECT_MISMATCH";
    case Reason::kProvenanceSourceVersionNotEligible:
      return "PROVENANCE_SOURCE_VERSION_NOT_ELIGIBLE";
    case Reason::kEvidenceSignatureInvalid:
      return "EVIDENCE_SIGNATURE_INVALID";
    case Reason::kEvidenceSignerUntrusted:
      return "EVIDENCE_SIGNER_UNTRUSTED";
    case Reason::kEvidenceSubjectMismatch:
      return "EVIDENCE_SUBJECT_MISMATCH";
    case Reason::kEvidenceRequiredMissing:
      return "EVIDENCE_REQUIRED_MISSING";
    case Reason::kKeyNotAuthorized:
      return "KEY_NOT_AUTHORIZED";
    case Reason::kKeyAuthorizationNotYetValid:
      return "KEY_AUTHORIZATION_NOT_YET_VALID";
    case Reason::kKeyAuthorizationExpired:
      return "KEY_AUTHORIZATION_EXPIRED";
    case Reason::kKeyRevoked:
      return "KEY_REVOKED";
    case Reason::kVersionNotAboveLastSigned:
      return "VERSION_NOT_ABOVE_LAST_SIGNED";
    case Reason::kVersionArtifactConflict:
      return "VERSION_ARTIFACT_CONFLICT";
    case Reason::kPolicyNotInstalled:
      return "POLICY_NOT_INSTALLED";
  }
  return "UNKNOWN_REASON";
}

const std::vector<Reason>& AllReasons() {
  static const std::vector<Reason> kAll = {Reason::kInputMissing,
                                           Reason::kInputTooLarge,
                                           Reason::kInputBadJson,
                                           Reason::kInputDuplicateKey,
                                           Reason::kInputBadBase64,
                                           Reason::kInputMissingField,
                                           Reason::kInputBadField,
                                           Reason::kInputUnknownPayloadType,
                                           Reason::kStatementWrongType,
                                           Reason::kStatementWrongPredicateType,
                                           Reason::kRequestMalformed,
                                           Reason::kPolicyUnsigned,
                                           Reason::kPolicySignatureInvalid,
                                           Reason::kPolicyGovernanceThresholdNotMet,
                                           Reason::kPolicyExpired,
                                           Reason::kPolicyVersionBelowInstalled,
                                           Reason::kPolicyVersionNotHigher,
                                           Reason::kPolicyRotationThresholdNotMet,
                                           Reason::kPolicyProductUnknown,
                                           Reason::kApprovalSignatureInvalid,
                                           Reason::kApprovalUnknownSigner,
                                           Reason::kApprovalThresholdNotMet,
                                           Reason::kApprovalExpired,
                                           Reason::kApprovalNotYetValid,
                                           Reason::kApprovalProductMismatch,
                                           Reason::kApprovalVersionMismatch,
                                           Reason::kApprovalSubjectMismatch,
                                           Reason::kApprovalExclusionIncomplete,
                                           Reason::kApprovalScopeConflict,
                                           Reason::kProvenanceSignatureInvalid,
                                           Reason::kProvenanceBuilderUntrusted,
                                           Reason::kProvenanceBuilderIdMismatch,
                                           Reason::kProvenanceSourceNotAllowed,
                                           Reason::kProvenanceBuildTypeNotAllowed,
                                           Reason::kProvenanceSubjectMismatch,
                                           Reason::kProvenanceSourceVersionNotEligible,
                                           Reason::kEvidenceSignatureInvalid,
                                           Reason::kEvidenceSignerUntrusted,
                                           Reason::kEvidenceSubjectMismatch,
                                           Reason::kEvidenceRequiredMissing,
                                           Reason::kKeyNotAuthorized,
                                           Reason::kKeyAuthorizationNotYetValid,
                                           Reason::kKeyAuthorizationExpired,
                                           Reason::kKeyRevoked,
                                           Reason::kVersionNotAboveLastSigned,
                                           Reason::kVersionArtifactConflict,
                                           Reason::kPolicyNotInstalled};
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
