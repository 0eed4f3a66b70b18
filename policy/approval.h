// Release approvals and test evidence: the two in-toto predicates the gate
// reads besides provenance. Pure and thread-safe.
#ifndef STRONGROOM_POLICY_APPROVAL_H_
#define STRONGROOM_POLICY_APPROVAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/statement.h"
#include "proto/approval.pb.h"

namespace sr::policy {

inline constexpr std::string_view kReleaseApprovalPredicate =
    "https://strongroom.dev/attestations/release-approval/v1";
inline constexpr std::string_view kTestResultPredicate =
    "https://in-toto.io/attestation/test-result/v0.1";

struct Approval {
  Statement statement;
  strongroom::v1::ReleaseApproval predicate;
};

// Parses a release-approval Statement; the predicate must match the
// ReleaseApproval schema exactly (unknown fields are kInputBadField), name a
// product and a version, and carry approvedAt and expires.
Checked<Approval> ParseApproval(const Envelope& env, std::string_view input);

// The approval file as the gate reads it: its envelope, then its Statement,
// each a value or the failure that stopped it (no bytes: INPUT_MISSING, "no
// approval presented"; the Statement carries the envelope's failure when
// that did not parse).
struct ApprovalInput {
  Checked<Envelope> envelope;
  Checked<Approval> approval;
};
// Parses the approval file's bytes as the gate does. A caller that reads the
// approval before the gate (the signer names renamed artifacts after its
// subjects) hands the result to the gate (GateInputs::parsed_approval), so a
// release of a thousand subjects is parsed once, not twice.
ApprovalInput ParseApprovalInput(std::string_view text);

// Builds the Statement v1 JSON for an approval (subjects = artifacts).
std::string ApprovalStatementJson(const std::vector<Artifact>& artifacts,
                                  const strongroom::v1::ReleaseApproval& predicate);

// One test-result attestation. Convention (docs/formats.md): each
// configuration descriptor's `name` is a product configuration; each entry of
// passedTests / failedTests is a required test name ("rollback", "recovery").
struct TestEvidence {
  Statement statement;
  std::string result;                       // PASSED | WARNED | FAILED
  std::vector<std::string> configurations;  // configuration[].name
  std::vector<std::string> passed_tests;
  std::vector<std::string> failed_tests;
  std::string url;
};

Checked<TestEvidence> ParseTestEvidence(const Envelope& env, std::string_view input);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_APPROVAL_H_
