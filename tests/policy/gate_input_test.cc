// The signing gate, table-driven: refusals caused by the trust policy and by
// malformed inputs (bad JSON, duplicate keys, base64, types, sizes).
#include "tests/testing/gate_table.h"

namespace sr::testing {
namespace {

using policy::Envelope;
using policy::GateInputs;

std::vector<Case> PolicyCases() {
  return {
      {"an expired policy",
       [](World& w) { *w.policy.mutable_expires() = Ts("2026-03-01T00:00:00Z"); },
       {"POLICY_EXPIRED"}},
      {"an unsigned policy", [](World& w) { w.policy_signers = {}; }, {"POLICY_UNSIGNED"}},
      {"a validly signed policy that is not the one the log records as installed",
       [](World& w) { w.facts.installed_policy_digest = std::string(64, 'a'); },
       {"POLICY_NOT_INSTALLED"}},
      {"a policy signed by one governance key of 2",
       [](World& w) { w.policy_signers = {K().gov[2].get()}; },
       {"POLICY_GOVERNANCE_THRESHOLD_NOT_MET"}},
      {"a policy signed twice by the same governance key",
       [](World& w) {
         w.policy_signers = {K().gov[0].get()};
         w.tamper = [](GateInputs& in) {
           Retouch(&in.policy, [](Envelope& e) {
             e.signatures.push_back({K().gov[1]->KeyId(), e.signatures[0].sig});
           });
         };
       },
       {"POLICY_GOVERNANCE_THRESHOLD_NOT_MET"}},
      {"a policy altered after signing",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.policy, [](Envelope& e) { e.payload += " "; });
         };
       },
       {"POLICY_SIGNATURE_INVALID", "POLICY_GOVERNANCE_THRESHOLD_NOT_MET"}},
      {"a policy older than the installed one",
       [](World& w) { w.facts.installed_policy_version = 4; },
       {"POLICY_VERSION_BELOW_INSTALLED"}},
      {"a product the policy does not name",
       [](World& w) { w.request.product = "IC-23"; },
       {"POLICY_PRODUCT_UNKNOWN", "KEY_NOT_AUTHORIZED"}},
      {"a builder trusted only for another product",
       [](World& w) {
         auto* p = w.policy.add_products();
         *p = w.policy.products(0);
         p->set_name("IC-30");
         w.policy.mutable_products(0)->mutable_builders(0)->mutable_key()->set_public_key_pem(
             K().rogue_builder->Public().pem());
       },
       {"PROVENANCE_BUILDER_UNTRUSTED"}},
      {"a policy whose governance threshold is 0",
       [](World& w) { w.policy.mutable_governance()->set_threshold(0); },
       {"INPUT_BAD_FIELD"}},
      {"a policy whose approval threshold is 0",
       [](World& w) { w.policy.mutable_products(0)->mutable_approvers()->set_threshold(0); },
       {"INPUT_BAD_FIELD"}},
  };
}

std::string Signed(const std::string& payload, std::vector<Signer*> signers,
                   const std::string& type = std::string(policy::kInTotoPayloadType)) {
  return SignEnvelope(type, payload, signers);
}

std::vector<Case> MalformedCases() {
  auto approvers = [] { return std::vector<Signer*>{K().appr[0].get(), K().appr[1].get()}; };
  return {
      {"an approval that is not JSON",
       [](World& w) { w.tamper = [](GateInputs& in) { in.approval = "{\"payload"; }; },
       {"INPUT_BAD_JSON"}},
      {"an approval envelope with a duplicate key",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.approval =
               Replace(in.approval, "{", "{\"payloadType\": \"application/vnd.in-toto+json\",");
         };
       },
       {"INPUT_DUPLICATE_KEY"}},
      {"a signed approval statement with a duplicate predicateType",
       [approvers](World& w) {
         w.tamper = [approvers, &w](GateInputs& in) {
           std::string st = policy::ApprovalStatementJson(w.approval_subjects, w.approval);
           st = Replace(st, "{", "{\"predicateType\":\"https://slsa.dev/provenance/v1\",");
           in.approval = Signed(st, approvers());
         };
       },
       {"INPUT_DUPLICATE_KEY"}},
      {"a signed policy with a duplicate version key",
       [](World& w) {
         w.tamper = [&w](GateInputs& in) {
           std::string json = Replace(ToJson(w.policy), "{", "{\"version\":\"99\",");
           in.policy = Signed(json, {K().gov[0].get(), K().gov[1].get()},
                              std::string(policy::kPolicyPayloadType));
         };
       },
       {"INPUT_DUPLICATE_KEY"}},
      {"a duplicate key spelled with a unicode escape",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.provenance = Replace(in.provenance, "{", "{\"p\\u0061yloadType\": \"x\",");
         };
       },
       {"INPUT_DUPLICATE_KEY"}},
      {"a payload that is not base64",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.approval = Replace(in.approval, "\"payload\": \"", "\"payload\": \"*");
         };
       },
       {"INPUT_BAD_BASE64"}},
      {"a signature that is not base64",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.provenance = Replace(in.provenance, "\"sig\": \"", "\"sig\": \"%");
         };
       },
       {"INPUT_BAD_BASE64"}},
      {"provenance whose _type is not an in-toto Statement",
       [](World& w) { w.prov_statement_type = "https://in-toto.io/Statement/v2"; },
       {"STATEMENT_WRONG_TYPE"}},
      {"provenance presented as the approval",
       [](World& w) { w.tamper = [](GateInputs& in) { in.approval = in.provenance; }; },
       {"STATEMENT_WRONG_PREDICATE_TYPE"}},
      {"an approval with an unknown payloadType",
       [approvers](World& w) {
         w.tamper = [approvers, &w](GateInputs& in) {
           in.approval = Signed(policy::ApprovalStatementJson(w.approval_subjects, w.approval),
                                approvers(), "application/json");
         };
       },
       {"INPUT_UNKNOWN_PAYLOAD_TYPE"}},
      {"an oversized approval",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.approval = "{\"x\":\"" + std::string(5u << 20, 'a') + "\"}";
         };
       },
       {"INPUT_TOO_LARGE"}},
      {"no approval presented",
       [](World& w) { w.tamper = [](GateInputs& in) { in.approval.clear(); }; },
       {"INPUT_MISSING"}},
      {"an approval predicate with an unknown field",
       [approvers](World& w) {
         w.tamper = [approvers, &w](GateInputs& in) {
           std::string st = policy::ApprovalStatementJson(w.approval_subjects, w.approval);
           st = Replace(st, "\"product\"", "\"approvedBy\": \"everyone\", \"product\"");
           in.approval = Signed(st, approvers());
         };
       },
       {"INPUT_BAD_FIELD"}},
      {"evidence without a signatures field",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           auto env = policy::ParseEnvelope(in.evidence[0], "t");
           in.evidence[0] = "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"" +
                            Base64Encode(env->payload) + "\"}";
         };
       },
       {"INPUT_MISSING_FIELD", "EVIDENCE_REQUIRED_MISSING"}},
      {"JSON nested 100 levels deep",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.provenance = std::string(100, '[') + std::string(100, ']');
         };
       },
       {"INPUT_BAD_JSON"}},
      {"a version that is not dotted decimal",
       [](World& w) { w.request.version = "5.4.3-beta"; },
       {"REQUEST_MALFORMED", "KEY_NOT_AUTHORIZED", "APPROVAL_VERSION_MISMATCH"}},
  };
}

TEST_CASE("gate: refuses a bad trust policy with the exact reason codes") {
  RunCases(PolicyCases());
}
TEST_CASE("gate: refuses malformed inputs with the exact reason codes") {
  RunCases(MalformedCases());
}

}  // namespace

std::size_t PolicyAndInputCaseCount() { return PolicyCases().size() + MalformedCases().size(); }

}  // namespace sr::testing
