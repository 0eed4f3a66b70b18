// Which REFUSAL reasons `audit replay` can judge again from the evidence
// store, and which it cannot (docs/auditor-guide.md "Replay" has the table).
//
// A reason is re-runnable when the gate decides it from documents and log
// facts alone: the policy, approval, provenance and test evidence (kept by
// digest in the evidence store, with the OpenVEX statement and the bound
// documents), the artifacts' digests, the key's
// fingerprint, and what the log said before the event. It is not when it was
// about the request or the station at that moment: a file that did not exist
// or was not a regular file or was too large (never stored), a malformed
// command line, the station clock, a lock, an HSM failure while signing.
#ifndef STRONGROOM_AUDIT_RERUN_H_
#define STRONGROOM_AUDIT_RERUN_H_

#include <string_view>

namespace sr::audit {

struct ReasonClass {
  bool rerunnable = false;
  std::string_view why;  // for a reason that is not: what it depended on
};

// The class of a REFUSAL reason code; an unknown code (a later version's, or
// one logged outside the gate) is not re-runnable.
ReasonClass ClassifyReason(std::string_view code);

// True for the reasons the gate decides from the request, the policy and
// the log's facts alone, before it reads any approval, provenance, test
// evidence, VEX or document (policy/gate.cc: CheckKeyEnded, CheckPolicy,
// CheckKeyAuthorization, CheckLogFacts): the key's authorization, revocation
// or retirement, the version against those signed, the policy's own checks.
// A refusal recorded only for such reasons is found refused again by the
// gate's checks that read no document (policy::EvaluateWithoutDocuments;
// replay still checks every document it presented against its digest),
// which spares parsing them: most refusals in a log are "already signed"
// retries.
bool DecidedWithoutDocuments(std::string_view code);

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_RERUN_H_
