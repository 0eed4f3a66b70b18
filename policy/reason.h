// Reason codes of the signing gate and the Failure record that carries them.
// A refusal is data, not an error: every failed check becomes one Failure
// with a stable code (enum + stable string, documented in docs/policy.md),
// the input it concerns and a sentence an operator can act on.
#ifndef STRONGROOM_POLICY_REASON_H_
#define STRONGROOM_POLICY_REASON_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sr::policy {

// Every reason code, in enum order: X(enumerator, stable name). The enum, its
// names (ReasonName) and the list (AllReasons) are all made from this table.
// Append only; the names are stable (docs/policy.md explains each one).
#define SR_POLICY_REASONS(X)                                                       \
  /* Malformed inputs (any input). */                                              \
  X(kInputMissing, "INPUT_MISSING")                                                \
  X(kInputTooLarge, "INPUT_TOO_LARGE")                                             \
  X(kInputBadJson, "INPUT_BAD_JSON")                                               \
  X(kInputDuplicateKey, "INPUT_DUPLICATE_KEY")                                     \
  X(kInputBadBase64, "INPUT_BAD_BASE64")                                           \
  X(kInputMissingField, "INPUT_MISSING_FIELD")                                     \
  X(kInputBadField, "INPUT_BAD_FIELD")                                             \
  X(kInputUnknownPayloadType, "INPUT_UNKNOWN_PAYLOAD_TYPE")                        \
  X(kStatementWrongType, "STATEMENT_WRONG_TYPE")                                   \
  X(kStatementWrongPredicateType, "STATEMENT_WRONG_PREDICATE_TYPE")                \
  X(kRequestMalformed, "REQUEST_MALFORMED")                                        \
  /* Trust policy. */                                                              \
  X(kPolicyUnsigned, "POLICY_UNSIGNED")                                            \
  X(kPolicySignatureInvalid, "POLICY_SIGNATURE_INVALID")                           \
  X(kPolicyGovernanceThresholdNotMet, "POLICY_GOVERNANCE_THRESHOLD_NOT_MET")       \
  X(kPolicyExpired, "POLICY_EXPIRED")                                              \
  X(kPolicyVersionBelowInstalled, "POLICY_VERSION_BELOW_INSTALLED")                \
  X(kPolicyVersionNotHigher, "POLICY_VERSION_NOT_HIGHER")                          \
  X(kPolicyRotationThresholdNotMet, "POLICY_ROTATION_THRESHOLD_NOT_MET")           \
  X(kPolicyProductUnknown, "POLICY_PRODUCT_UNKNOWN")                               \
  /* Release approval. */                                                          \
  X(kApprovalSignatureInvalid, "APPROVAL_SIGNATURE_INVALID")                       \
  X(kApprovalUnknownSigner, "APPROVAL_UNKNOWN_SIGNER")                             \
  X(kApprovalThresholdNotMet, "APPROVAL_THRESHOLD_NOT_MET")                        \
  X(kApprovalExpired, "APPROVAL_EXPIRED")                                          \
  X(kApprovalNotYetValid, "APPROVAL_NOT_YET_VALID")                                \
  X(kApprovalProductMismatch, "APPROVAL_PRODUCT_MISMATCH")                         \
  X(kApprovalVersionMismatch, "APPROVAL_VERSION_MISMATCH")                         \
  X(kApprovalSubjectMismatch, "APPROVAL_SUBJECT_MISMATCH")                         \
  X(kApprovalExclusionIncomplete, "APPROVAL_EXCLUSION_INCOMPLETE")                 \
  X(kApprovalScopeConflict, "APPROVAL_SCOPE_CONFLICT")                             \
  /* Build provenance. */                                                          \
  X(kProvenanceSignatureInvalid, "PROVENANCE_SIGNATURE_INVALID")                   \
  X(kProvenanceBuilderUntrusted, "PROVENANCE_BUILDER_UNTRUSTED")                   \
  X(kProvenanceBuilderIdMismatch, "PROVENANCE_BUILDER_ID_MISMATCH")                \
  X(kProvenanceSourceNotAllowed, "PROVENANCE_SOURCE_NOT_ALLOWED")                  \
  X(kProvenanceBuildTypeNotAllowed, "PROVENANCE_BUILD_TYPE_NOT_ALLOWED")           \
  X(kProvenanceSubjectMismatch, "PROVENANCE_SUBJECT_MISMATCH")                     \
  X(kProvenanceSourceVersionNotEligible, "PROVENANCE_SOURCE_VERSION_NOT_ELIGIBLE") \
  /* Test evidence. */                                                             \
  X(kEvidenceSignatureInvalid, "EVIDENCE_SIGNATURE_INVALID")                       \
  X(kEvidenceSignerUntrusted, "EVIDENCE_SIGNER_UNTRUSTED")                         \
  X(kEvidenceSubjectMismatch, "EVIDENCE_SUBJECT_MISMATCH")                         \
  X(kEvidenceRequiredMissing, "EVIDENCE_REQUIRED_MISSING")                         \
  /* Key authorization. */                                                         \
  X(kKeyNotAuthorized, "KEY_NOT_AUTHORIZED")                                       \
  X(kKeyAuthorizationNotYetValid, "KEY_AUTHORIZATION_NOT_YET_VALID")               \
  X(kKeyAuthorizationExpired, "KEY_AUTHORIZATION_EXPIRED")                         \
  X(kKeyRevoked, "KEY_REVOKED")                                                    \
  /* Facts from the signing-event log. */                                          \
  X(kVersionNotAboveLastSigned, "VERSION_NOT_ABOVE_LAST_SIGNED")                   \
  X(kVersionArtifactConflict, "VERSION_ARTIFACT_CONFLICT")                         \
  /* The station clock is behind the last logged event (a clock set back). */      \
  X(kClockBehindLog, "CLOCK_BEHIND_LOG")                                           \
  /* `station clock --reference-time`: the clock disagrees with the reference. */  \
  X(kClockDisagreesWithReference, "CLOCK_DISAGREES_WITH_REFERENCE")                \
  /* The policy presented is not the one the log records as installed. */          \
  X(kPolicyNotInstalled, "POLICY_NOT_INSTALLED")                                  \
  /* An input path names a FIFO, device, socket or directory. */                   \
  X(kInputNotRegularFile, "INPUT_NOT_REGULAR_FILE")                               \
  /* The log records the signing key as retired (`key retire`). */                 \
  X(kKeyRetired, "KEY_RETIRED")                                                    \
  /* The log's facts index (STATION/log/facts) does not verify against the     \
     signed checkpoint: nothing is judged until `log reindex` rebuilds it. */  \
  X(kLogIndexInvalid, "LOG_INDEX_INVALID")                                        \
  /* Lifecycle records (`strongroom record`, policy/lifecycle_record.h). */        \
  X(kRecordMalformed, "RECORD_MALFORMED")                                          \
  X(kRecordTypeUnknown, "RECORD_TYPE_UNKNOWN")                                     \
  X(kRecordUntrustedSigner, "RECORD_UNTRUSTED_SIGNER")                             \
  X(kRecordSignerNotForType, "RECORD_SIGNER_NOT_FOR_TYPE")                         \
  X(kRecordSignatureInvalid, "RECORD_SIGNATURE_INVALID")                           \
  X(kRecordFieldInvalid, "RECORD_FIELD_INVALID")                                   \
  X(kRecordConfigurationUnknown, "RECORD_CONFIGURATION_UNKNOWN")                   \
  X(kRecordReleaseNotSigned, "RECORD_RELEASE_NOT_SIGNED")                          \
  X(kRecordSubjectMismatch, "RECORD_SUBJECT_MISMATCH")                               \
  /* OpenVEX affected-version analysis (input "vex"). */                           \
  X(kVexMissing, "VEX_MISSING")                                                    \
  X(kVexMalformed, "VEX_MALFORMED")                                                \
  X(kVexSignatureInvalid, "VEX_SIGNATURE_INVALID")                                 \
  X(kVexUntrustedSigner, "VEX_UNTRUSTED_SIGNER")                                   \
  X(kVexProductMismatch, "VEX_PRODUCT_MISMATCH")                                   \
  X(kVexDoesNotCover, "VEX_DOES_NOT_COVER")                                        \
  /* Documents bound by digest in the approval (input "document[i]"). */           \
  X(kDocumentMissing, "DOCUMENT_MISSING")                                          \
  X(kDocumentMismatch, "DOCUMENT_MISMATCH")                                        \
  X(kDocumentNotBound, "DOCUMENT_NOT_BOUND")                                       \
  X(kDocumentRequiredNotBound, "DOCUMENT_REQUIRED_NOT_BOUND")                      \
  /* Keyless builders: Sigstore bundles (policy/sigstore.h). */                    \
  X(kCertChainInvalid, "CERT_CHAIN_INVALID")                                       \
  X(kCertIdentityMismatch, "CERT_IDENTITY_MISMATCH")                               \
  X(kTlogEntryMissing, "TLOG_ENTRY_MISSING")                                       \
  X(kTlogProofInvalid, "TLOG_PROOF_INVALID")                                       \
  X(kTlogEntryMismatch, "TLOG_ENTRY_MISMATCH")                                     \
  X(kSignedOutsideCertValidity, "SIGNED_OUTSIDE_CERT_VALIDITY")                    \
  X(kTrustedRootMissing, "TRUSTED_ROOT_MISSING")

enum class Reason {
#define SR_POLICY_REASON_ENUMERATOR(e, name) e,
  SR_POLICY_REASONS(SR_POLICY_REASON_ENUMERATOR)
#undef SR_POLICY_REASON_ENUMERATOR
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

// A parsed value or the Failure that prevented parsing: base's Result with a
// Failure, not a Status, as its error (failure() returns it).
template <typename T>
using Checked = Result<T, Failure>;

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_REASON_H_
