// The signing gate, table-driven: each case changes one thing in the IC-22
// reference scenario (or tampers with the bytes) and asserts the exact set of
// reason codes the gate reports. Policy and malformed-input cases: gate_input_test.cc.
#include "base/file.h"
#include "tests/testing/gate_table.h"

namespace sr::testing {
namespace {

using policy::Envelope;
using policy::GateInputs;

std::vector<Case> ApprovalCases() {
  return {
      {"one approver of a 2-of-3 threshold",
       [](World& w) { w.approval_signers = {K().appr[0].get()}; },
       {"APPROVAL_THRESHOLD_NOT_MET"}},
      {"no approver signature at all",
       [](World& w) { w.approval_signers = {}; },
       {"APPROVAL_THRESHOLD_NOT_MET"}},
      {"one approver's signature repeated under another keyid",
       [](World& w) {
         w.approval_signers = {K().appr[0].get()};
         w.tamper = [](GateInputs& in) {
           Retouch(&in.approval, [](Envelope& e) {
             e.signatures.push_back({K().appr[1]->KeyId(), e.signatures[0].sig});
             e.signatures.push_back({"", e.signatures[0].sig});
           });
         };
       },
       {"APPROVAL_THRESHOLD_NOT_MET"}},
      {"an outsider co-signs with one approver",
       [](World& w) {
         w.approval_signers = {K().appr[0].get(), K().outsider.get()};
       },
       {"APPROVAL_UNKNOWN_SIGNER", "APPROVAL_THRESHOLD_NOT_MET"}},
      {"an outsider adds a signature to a valid 2-of-3 approval",
       [](World& w) {
         w.approval_signers = {K().appr[0].get(), K().appr[1].get(), K().outsider.get()};
       },
       {"APPROVAL_UNKNOWN_SIGNER"}},
      {"an approver of another product signs",
       [](World& w) {
         auto* p = w.policy.add_products();
         *p = w.policy.products(0);
         p->set_name("IC-30");
         p->mutable_approvers()->clear_keys();
         *p->mutable_approvers()->add_keys() = Trusted("IC-30 approver", *K().outsider);
         p->mutable_approvers()->set_threshold(1);
         w.approval_signers = {K().appr[0].get(), K().outsider.get()};
       },
       {"APPROVAL_UNKNOWN_SIGNER", "APPROVAL_THRESHOLD_NOT_MET"}},
      {"the approval payload changed after signing",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.approval, [](Envelope& e) { e.payload += " "; });
         };
       },
       {"APPROVAL_SIGNATURE_INVALID", "APPROVAL_THRESHOLD_NOT_MET"}},
      {"one approval signature has a flipped bit",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.approval, [](Envelope& e) { e.signatures[1].sig[5] ^= 1; });
         };
       },
       {"APPROVAL_SIGNATURE_INVALID", "APPROVAL_THRESHOLD_NOT_MET"}},
      {"the approval expired",
       [](World& w) { *w.approval.mutable_expires() = Ts("2026-03-10T11:59:59Z"); },
       {"APPROVAL_EXPIRED"}},
      {"the approval is dated in the future",
       [](World& w) { *w.approval.mutable_approved_at() = Ts("2026-03-11T00:00:00Z"); },
       {"APPROVAL_NOT_YET_VALID"}},
      {"the approval is for another product",
       [](World& w) { w.approval.set_product("IC-21"); },
       {"APPROVAL_PRODUCT_MISMATCH"}},
      {"the approval is for another version",
       [](World& w) { w.approval.set_version("5.4.4"); },
       {"APPROVAL_VERSION_MISMATCH"}},
      {"the approval lacks one artifact",
       [](World& w) { w.approval_subjects.pop_back(); },
       {"APPROVAL_SUBJECT_MISMATCH"}},
      {"the approval names an extra artifact",
       [](World& w) {
         w.approval_subjects.push_back({"extra.bin", Sha256Hex("extra")});
       },
       {"APPROVAL_SUBJECT_MISMATCH"}},
      {"the approval has a different digest for an artifact",
       [](World& w) { w.approval_subjects[0].sha256 = Sha256Hex("other image"); },
       {"APPROVAL_SUBJECT_MISMATCH"}},
      {"an exclusion without a reason",
       [](World& w) { w.approval.mutable_exclusions(0)->clear_reason(); },
       {"APPROVAL_EXCLUSION_INCOMPLETE"}},
      {"an exclusion without a follow-up date",
       [](World& w) { w.approval.mutable_exclusions(0)->clear_follow_up_date(); },
       {"APPROVAL_EXCLUSION_INCOMPLETE"}},
      {"an exclusion with a follow-up date that is not a date",
       [](World& w) { w.approval.mutable_exclusions(0)->set_follow_up_date("next month"); },
       {"APPROVAL_EXCLUSION_INCOMPLETE"}},
      {"the regional configuration neither approved nor excluded",
       [](World& w) { w.approval.clear_exclusions(); },
       {"APPROVAL_SCOPE_CONFLICT"}},
      {"a configuration in scope that the policy does not know",
       [](World& w) { w.approval.mutable_scope()->add_configurations("marine"); },
       {"APPROVAL_SCOPE_CONFLICT", "EVIDENCE_REQUIRED_MISSING"}},
  };
}

std::vector<Case> EvidenceCases() {
  return {
      {"the regional configuration included without its tests",
       [](World& w) {
         w.approval.clear_exclusions();
         w.approval.mutable_scope()->add_configurations("regional");
       },
       {"EVIDENCE_REQUIRED_MISSING"}},
      {"a configuration both in scope and excluded",
       [](World& w) { w.approval.mutable_scope()->add_configurations("regional"); },
       {"APPROVAL_SCOPE_CONFLICT", "EVIDENCE_REQUIRED_MISSING"}},
      {"the recovery test missing for the reference configuration",
       [](World& w) { w.evidence[0].passed = {"rollback"}; },
       {"EVIDENCE_REQUIRED_MISSING"}},
      {"a test run that reports FAILED",
       [](World& w) { w.evidence[0].result = "FAILED"; },
       {"EVIDENCE_REQUIRED_MISSING"}},
      {"the recovery test listed as failed",
       [](World& w) { w.evidence[0].failed = {"recovery"}; },
       {"EVIDENCE_REQUIRED_MISSING"}},
      {"evidence for another configuration",
       [](World& w) { w.evidence[0].configuration = "regional"; },
       {"EVIDENCE_REQUIRED_MISSING"}},
      {"no evidence at all", [](World& w) { w.evidence.clear(); }, {"EVIDENCE_REQUIRED_MISSING"}},
      {"evidence signed by an untrusted lab",
       [](World& w) { w.evidence[0].signers = {K().rogue_lab.get()}; },
       {"EVIDENCE_SIGNER_UNTRUSTED", "EVIDENCE_REQUIRED_MISSING"}},
      {"evidence about a different artifact",
       [](World& w) {
         w.evidence[0].subjects = {{"old.bin", Sha256Hex("IC-22 firmware 5.4.2 image")}};
       },
       {"EVIDENCE_SUBJECT_MISMATCH", "EVIDENCE_REQUIRED_MISSING"}},
      {"evidence altered after signing",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.evidence[0], [](Envelope& e) { e.payload += "\n"; });
         };
       },
       {"EVIDENCE_SIGNATURE_INVALID", "EVIDENCE_REQUIRED_MISSING"}},
  };
}

std::vector<Case> ProvenanceCases() {
  return {
      {"provenance signed by an untrusted builder",
       [](World& w) { w.prov_signers = {K().rogue_builder.get()}; },
       {"PROVENANCE_BUILDER_UNTRUSTED"}},
      {"unsigned provenance",
       [](World& w) { w.prov_signers = {}; },
       {"PROVENANCE_BUILDER_UNTRUSTED"}},
      {"provenance naming another builder.id",
       [](World& w) { w.prov_builder_id = "https://ci.example.com/builders/firmware@v4"; },
       {"PROVENANCE_BUILDER_ID_MISMATCH"}},
      {"provenance from a source repository not allowed",
       [](World& w) { w.prov_repo = "https://git.example.com/someone/fork"; },
       {"PROVENANCE_SOURCE_NOT_ALLOWED"}},
      {"provenance with a buildType not allowed",
       [](World& w) { w.prov_build_type = "https://ci.example.com/buildtypes/adhoc/v1"; },
       {"PROVENANCE_BUILD_TYPE_NOT_ALLOWED"}},
      {"provenance lacking one artifact",
       [](World& w) { w.prov_subjects.pop_back(); },
       {"PROVENANCE_SUBJECT_MISMATCH"}},
      {"provenance with a different digest",
       [](World& w) { w.prov_subjects[1].sha256 = Sha256Hex("tampered manifest"); },
       {"PROVENANCE_SUBJECT_MISMATCH"}},
      {"provenance altered after signing",
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.provenance, [](Envelope& e) { e.payload += " "; });
         };
       },
       {"PROVENANCE_SIGNATURE_INVALID"}},
      {"provenance built from a source revision the approval does not name",
       [](World& w) {
         w.prov_ref = "refs/heads/experimental";
         w.prov_commit = "0000000000000000000000000000000000000001";
       },
       {"PROVENANCE_SOURCE_VERSION_NOT_ELIGIBLE"}},
  };
}

std::vector<Case> KeyAndLogCases() {
  return {
      {"a signing key without authorization",
       [](World& w) { w.request.key_fingerprint = K().other_signing->KeyId(); },
       {"KEY_NOT_AUTHORIZED"}},
      {"a key authorized for another product",
       [](World& w) { w.policy.mutable_key_authorizations(0)->set_product("IC-21"); },
       {"KEY_NOT_AUTHORIZED"}},
      {"a key authorized for other versions",
       [](World& w) { w.policy.mutable_key_authorizations(0)->set_max_version("5.4.2"); },
       {"KEY_NOT_AUTHORIZED"}},
      {"a key authorized for another purpose",
       [](World& w) { w.policy.mutable_key_authorizations(0)->set_purpose("csr-signing"); },
       {"KEY_NOT_AUTHORIZED"}},
      {"an authorization that has ended",
       [](World& w) {
         *w.policy.mutable_key_authorizations(0)->mutable_not_after() = Ts("2026-03-01T00:00:00Z");
       },
       {"KEY_AUTHORIZATION_EXPIRED"}},
      {"an authorization that has not started",
       [](World& w) {
         *w.policy.mutable_key_authorizations(0)->mutable_not_before() = Ts("2026-06-01T00:00:00Z");
       },
       {"KEY_AUTHORIZATION_NOT_YET_VALID"}},
      {"a revoked signing key",
       [](World& w) {
         auto* r = w.policy.add_revoked_keys();
         r->set_key_fingerprint(K().signing->KeyId());
         r->set_reason("custodian left");
       },
       {"KEY_REVOKED"}},
      {"the same version as the last signed",
       [](World& w) { w.facts.last_signed_version = "5.4.3"; },
       {"VERSION_NOT_ABOVE_LAST_SIGNED"}},
      {"a version below the last signed",
       [](World& w) { w.facts.last_signed_version = "5.10.0"; },
       {"VERSION_NOT_ABOVE_LAST_SIGNED"}},
      {"another artifact for a version already signed",
       [](World& w) {
         w.facts.last_signed_version = "5.4.3";
         w.facts.signed_releases.push_back({"5.4.3", {Sha256Hex("a different 5.4.3")}});
       },
       {"VERSION_NOT_ABOVE_LAST_SIGNED", "VERSION_ARTIFACT_CONFLICT"}},
  };
}

}  // namespace

std::size_t PolicyAndInputCaseCount();  // gate_input_test.cc

namespace {

TEST_CASE(
    "gate: the reference scenario (2 of 3 approvers, regional excluded) is allowed with its "
    "bindings") {
  World w;
  GateInputs in = w.Build();
  policy::Decision d = policy::Evaluate(w.request, in, w.facts, w.now);
  INFO(Describe(d));
  REQUIRE(d.allowed());
  const auto& b = d.bindings;
  CHECK(b.key_authorization_id() == "auth-ic22-fw-2026");
  CHECK(b.policy_version() == 3);
  CHECK(b.policy_digest() == Sha256Hex(ToJson(w.policy)));
  CHECK(b.approver_fingerprints_size() == 2);
  CHECK(b.builder_id() == w.prov_builder_id);
  CHECK(b.source_repository() == w.prov_repo);
  CHECK(b.source_revision() == w.prov_commit);
  CHECK(b.scope().cohorts(0) == "A");
  CHECK(b.exclusions(0).configuration() == "regional");
  CHECK(b.vulnerabilities(0) == "VULN-2026-014");
  CHECK(b.approval_digest() == Sha256Hex(in.approval));
  CHECK(b.provenance_digest() == Sha256Hex(in.provenance));
  CHECK(b.evidence_digests_size() == 1);
  CHECK(b.artifacts_size() == 2);
}

TEST_CASE(
    "gate: accepted variants (three approvers, URL-safe base64, regional included with its "
    "tests)") {
  SUBCASE("all three approvers sign") {
    World w;
    w.approval_signers = {K().appr[0].get(), K().appr[1].get(), K().appr[2].get()};
    CHECK(w.Evaluate().allowed());
  }
  SUBCASE("the approval encoded with the URL-safe base64 alphabet") {
    World w;
    w.tamper = [](GateInputs& in) {
      auto env = policy::ParseEnvelope(in.approval, "t");
      std::string out = "{\"payloadType\":\"" + env->payload_type + "\",\"payload\":\"" +
                        Base64UrlEncode(env->payload) + "\",\"signatures\":[";
      for (std::size_t i = 0; i < env->signatures.size(); ++i)
        out += std::string(i ? "," : "") + "{\"sig\":\"" + Base64UrlEncode(env->signatures[i].sig) +
               "\"}";
      in.approval = out + "]}";
    };
    CHECK(w.Evaluate().allowed());
  }
  SUBCASE("the regional configuration in scope once its tests passed") {
    World w;
    w.approval.clear_exclusions();
    w.approval.mutable_scope()->add_configurations("regional");
    EvidenceSpec ev = w.evidence[0];
    ev.configuration = "regional";
    w.evidence.push_back(ev);
    CHECK(w.Evaluate().allowed());
  }
  SUBCASE("no version signed before for the product") {
    World w;
    w.facts.last_signed_version.reset();
    w.facts.signed_releases.clear();
    CHECK(w.Evaluate().allowed());
  }
}

TEST_CASE("gate: refuses a bad release approval with the exact reason codes") {
  RunCases(ApprovalCases());
}
TEST_CASE("gate: refuses missing or untrusted test evidence with the exact reason codes") {
  RunCases(EvidenceCases());
}
TEST_CASE("gate: refuses untrusted or mismatched provenance with the exact reason codes") {
  RunCases(ProvenanceCases());
}
TEST_CASE("gate: refuses unauthorized keys and rollbacks with the exact reason codes") {
  RunCases(KeyAndLogCases());
}
// What `audit replay` relies on to judge an "already signed" retry without
// parsing its documents again: the checks that read no document find the
// same key and log reasons as the whole gate, and nothing the documents
// decide.
TEST_CASE("gate: EvaluateWithoutDocuments finds the key, policy and log reasons Evaluate finds") {
  auto run = [](const std::vector<Case>& cases, bool decided_without_documents) {
    for (const Case& c : cases) {
      SUBCASE(c.name) {
        World w;
        c.change(w);
        GateInputs in = w.Build();
        auto lp = policy::ParsePolicy(in.policy);
        REQUIRE(lp.ok());
        policy::Decision all = policy::Evaluate(w.request, in, w.facts, w.now);
        policy::Decision bare =
            policy::EvaluateWithoutDocuments(w.request, &lp.value(), w.facts, w.now);
        INFO("case: ", c.name, Describe(bare));
        std::set<std::string> found = Names(bare), everything = Names(all);
        for (const std::string& r : found) CHECK(everything.count(r) == 1);
        if (decided_without_documents)
          CHECK(found == c.reasons);
        else
          CHECK(bare.allowed());
      }
    }
  };
  run(KeyAndLogCases(), true);
  run(ApprovalCases(), false);
  run(ProvenanceCases(), false);
  run(EvidenceCases(), false);
  SUBCASE("no policy") {
    World w;
    policy::Decision bare = policy::EvaluateWithoutDocuments(w.request, nullptr, w.facts, w.now);
    CHECK(Names(bare) == std::set<std::string>{"INPUT_MISSING"});
  }
}

TEST_CASE("gate: the refusal table has at least 40 cases") {
  std::size_t n = ApprovalCases().size() + EvidenceCases().size() + ProvenanceCases().size() +
                  KeyAndLogCases().size() + PolicyAndInputCaseCount();
  CHECK(n >= 40);
}

TEST_CASE("gate: several failures at once are all listed, not only the first") {
  World w;
  *w.approval.mutable_expires() = Ts("2026-03-01T00:00:00Z");
  w.prov_signers = {K().rogue_builder.get()};
  auto* r = w.policy.add_revoked_keys();
  r->set_key_fingerprint(K().signing->KeyId());
  w.facts.last_signed_version = "5.4.3";
  policy::Decision d = w.Evaluate();
  CHECK(Names(d) == std::set<std::string>{"APPROVAL_EXPIRED", "PROVENANCE_BUILDER_UNTRUSTED",
                                          "KEY_REVOKED", "VERSION_NOT_ABOVE_LAST_SIGNED"});
  CHECK(d.ToProto().failures_size() == 4);
  CHECK_FALSE(d.ToProto().has_bindings());
}

TEST_CASE("gate: every reason code is explained in docs/policy.md") {
  std::string doc = ReadFile(std::string(STRONGROOM_SOURCE_DIR) + "/docs/policy.md").value();
  for (auto r : policy::AllReasons()) {
    std::string code = "| `" + std::string(policy::ReasonName(r)) + "` |";
    CHECK_MESSAGE(doc.find(code) != std::string::npos, code);
  }
}

TEST_CASE("gate: every reason code has a distinct stable name") {
  std::set<std::string> names;
  for (auto r : policy::AllReasons()) names.insert(std::string(policy::ReasonName(r)));
  CHECK(names.size() == policy::AllReasons().size());
  CHECK(policy::ReasonName(policy::Reason::kApprovalThresholdNotMet) ==
        "APPROVAL_THRESHOLD_NOT_MET");
}

TEST_CASE("gate: times beyond the clock's range (years 1-1677, 2262-9999) compare as never") {
  // The clock counts nanoseconds in 64 bits; a Timestamp names any second of
  // years 1 to 9999. Found by the policy fuzzer: the conversion overflowed.
  {
    World w;  // validity that ends in 9999: valid now
    *w.policy.mutable_expires() = Ts("9999-12-31T23:59:59Z");
    *w.policy.mutable_key_authorizations(0)->mutable_not_after() = Ts("9999-12-31T23:59:59Z");
    *w.approval.mutable_expires() = Ts("9999-12-31T23:59:59Z");
    policy::Decision d = w.Evaluate();
    INFO(Describe(d));
    CHECK(d.allowed());
  }
  {
    World w;  // an authorization that starts in 9000: not yet
    *w.policy.mutable_key_authorizations(0)->mutable_not_before() = Ts("9000-01-01T00:00:00Z");
    CHECK(Names(w.Evaluate()) == std::set<std::string>{"KEY_AUTHORIZATION_NOT_YET_VALID"});
  }
  {
    World w;  // an approval that expired in year 1
    *w.approval.mutable_expires() = Ts("0001-01-01T00:00:00Z");
    CHECK(Names(w.Evaluate()).count("APPROVAL_EXPIRED") == 1);
  }
}

}  // namespace
}  // namespace sr::testing
