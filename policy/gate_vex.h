// The gate's checks of the vulnerability record (OpenVEX) and the documents
// the approval binds by digest: internal to the gate (gate.cc calls them),
// kept apart so each file stays one concern. Pure and thread-safe.
#ifndef STRONGROOM_POLICY_GATE_VEX_H_
#define STRONGROOM_POLICY_GATE_VEX_H_

#include <vector>

#include "policy/gate.h"
#include "policy/vex.h"
#include "proto/approval.pb.h"
#include "proto/decision.pb.h"

namespace sr::policy::internal {

// The VEX presented, parsed (nullopt when none was presented); a parse
// failure is reported by the caller with the other inputs' failures.
std::optional<Checked<Vex>> ParseVexInput(const GateInputs& in);

// VEX_MISSING when the policy requires a VEX for a release whose approval
// names vulnerabilities and none was presented; for a VEX presented:
// VEX_SIGNATURE_INVALID / VEX_UNTRUSTED_SIGNER (product-security keys of
// the product), VEX_PRODUCT_MISMATCH (it names no statement about this
// product and version), VEX_DOES_NOT_COVER (per vulnerability the approval
// names that it does not state fixed or not_affected for this version). On
// success fills the bindings' vex_* fields. approval: nullptr when it did
// not parse.
void CheckVex(const SigningRequest& req, const LoadedPolicy& lp,
              const strongroom::v1::ProductPolicy& pp,
              const strongroom::v1::ReleaseApproval* approval, const GateInputs& in,
              const std::optional<Checked<Vex>>& vex, std::vector<Failure>* failures,
              strongroom::v1::SigningBindings* bindings);

// DOCUMENT_REQUIRED_NOT_BOUND (a kind the policy requires that the approval
// does not bind), DOCUMENT_MISMATCH (a file presented under a bound
// document's name with other bytes), DOCUMENT_NOT_BOUND (a file the
// approval does not bind), DOCUMENT_MISSING (a bound document not
// presented). On success fills bindings.documents.
void CheckDocuments(const strongroom::v1::ProductPolicy& pp,
                    const strongroom::v1::ReleaseApproval* approval, const GateInputs& in,
                    std::vector<Failure>* failures, strongroom::v1::SigningBindings* bindings);

}  // namespace sr::policy::internal

#endif  // STRONGROOM_POLICY_GATE_VEX_H_
