// Test fixtures for the signing gate: real keys (OpenSSL-generated ECDSA
// P-256/P-384 and Ed25519), real DSSE signing, and a World holding the IC-22
// reference scenario (5.4.2 -> 5.4.3, 2 of 3 approvers, rollback + recovery
// required per configuration, cohort A, regional configuration excluded,
// VULN-2026-014) that each test case mutates before building the inputs.
#ifndef STRONGROOM_TESTS_TESTING_POLICY_FIXTURES_H_
#define STRONGROOM_TESTS_TESTING_POLICY_FIXTURES_H_

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/hash.h"
#include "policy/approval.h"
#include "policy/dsse.h"
#include "policy/gate.h"
#include "policy/provenance.h"
#include "policy/trust_policy.h"
#include "release/key_file.h"

namespace sr::testing {

namespace v1 = strongroom::v1;
using policy::Artifact;
using policy::Clock;
using policy::Signer;
using release::KeyFileSigner;

// A fresh private key in PEM: "ec256", "ec384", "ed25519" or "rsa" (2048).
inline SecretBytes NewKeyPem(const std::string& kind) {
  EVP_PKEY* k = kind == "ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                : kind == "ec384" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")
                : kind == "rsa"
                    ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  SecretBytes pem(data, data + n);
  BIO_free(bio);
  EVP_PKEY_free(k);
  return pem;
}

inline std::unique_ptr<KeyFileSigner> NewKey(const std::string& kind) {
  auto s = KeyFileSigner::FromPem(NewKeyPem(kind));
  return std::move(s).value();
}

struct KeyRing {
  std::vector<std::unique_ptr<KeyFileSigner>> gov, appr;
  std::unique_ptr<KeyFileSigner> outsider, builder, rogue_builder, lab, rogue_lab, signing,
      other_signing;
  KeyRing() {
    gov.push_back(NewKey("ec256"));
    gov.push_back(NewKey("ed25519"));
    gov.push_back(NewKey("ec384"));
    appr.push_back(NewKey("ec256"));
    appr.push_back(NewKey("ed25519"));
    appr.push_back(NewKey("ec384"));
    outsider = NewKey("ec256");
    builder = NewKey("ec256");
    rogue_builder = NewKey("ec256");
    lab = NewKey("ed25519");
    rogue_lab = NewKey("ed25519");
    signing = NewKey("ec256");
    other_signing = NewKey("ec256");
  }
};

inline KeyRing& Keys() {
  static KeyRing ring;
  return ring;
}

inline google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  google::protobuf::util::TimeUtil::FromString(rfc3339, &t);
  return t;
}

inline google::protobuf::Timestamp TsAt(Clock::time_point t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  return ts;
}

inline std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

inline v1::TrustedKey Trusted(const std::string& name, const Signer& s) {
  v1::TrustedKey k;
  k.set_name(name);
  k.set_public_key_pem(s.Public().pem());
  return k;
}

inline std::string SignEnvelope(const std::string& type, const std::string& payload,
                                const std::vector<Signer*>& signers) {
  policy::Envelope env{type, payload, {}, false};
  for (Signer* s : signers) (void)policy::AddSignature(&env, *s);
  return policy::SerializeEnvelope(env);
}

inline std::string SubjectsJson(const std::vector<Artifact>& arts) {
  std::string out = "[";
  for (std::size_t i = 0; i < arts.size(); ++i)
    out += std::string(i ? "," : "") + "{\"name\":\"" + arts[i].name +
           "\",\"digest\":{\"sha256\":\"" + arts[i].sha256 + "\"}}";
  return out + "]";
}

struct EvidenceSpec {
  std::string configuration = "reference";
  std::vector<std::string> passed = {"rollback", "recovery"};
  std::vector<std::string> failed;
  std::string result = "PASSED";
  std::vector<Artifact> subjects;
  std::vector<Signer*> signers;
};

inline std::string StringArray(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += std::string(i ? "," : "") + "\"" + v[i] + "\"";
  return out + "]";
}

// The reference scenario, fully valid; test cases change one thing.
struct World {
  std::vector<Artifact> artifacts;
  v1::TrustPolicy policy;
  std::vector<Signer*> policy_signers;
  v1::ReleaseApproval approval;
  std::vector<Artifact> approval_subjects;
  std::vector<Signer*> approval_signers;
  std::string prov_statement_type = "https://in-toto.io/Statement/v1";
  std::string prov_builder_id = "https://ci.example.com/builders/firmware@v3";
  std::string prov_build_type = "https://ci.example.com/buildtypes/firmware/v1";
  std::string prov_repo = "https://git.example.com/ic22/firmware";
  std::string prov_ref = "refs/tags/v5.4.3";
  std::string prov_commit = "8f70009fde0c94ade6ce2a054b94718c819126ec";
  std::vector<Artifact> prov_subjects;
  std::vector<Signer*> prov_signers;
  std::vector<EvidenceSpec> evidence;
  policy::SigningRequest request;
  policy::LogFacts facts;
  Clock::time_point now = policy::ToTimePoint(Ts("2026-03-10T12:00:00Z"));
  std::function<void(policy::GateInputs&)> tamper;

  World() {
    KeyRing& k = Keys();
    artifacts = {{"ic22-fw-5.4.3.bin", Sha256Hex("IC-22 firmware 5.4.3 image")},
                 {"ic22-fw-5.4.3.manifest", Sha256Hex("IC-22 firmware 5.4.3 manifest")}};
    BuildPolicy();
    policy_signers = {k.gov[0].get(), k.gov[1].get()};
    approval.set_product("IC-22");
    approval.set_version("5.4.3");
    approval.set_previous_version("5.4.2");
    approval.add_eligible_source_versions("refs/tags/v5.4.3");
    approval.mutable_scope()->add_cohorts("A");
    approval.mutable_scope()->add_configurations("reference");
    auto* x = approval.add_exclusions();
    x->set_configuration("regional");
    x->set_reason("recovery test not yet passed on the regional configuration");
    x->set_mitigation("regional devices stay on firmware 5.4.2");
    x->set_follow_up_date("2026-04-15");
    approval.add_vulnerabilities("VULN-2026-014");
    approval.add_required_evidence("rollback");
    approval.add_required_evidence("recovery");
    *approval.mutable_approved_at() = Ts("2026-03-09T09:00:00Z");
    *approval.mutable_expires() = Ts("2026-04-09T09:00:00Z");
    approval_subjects = artifacts;
    approval_signers = {k.appr[0].get(), k.appr[1].get()};
    prov_subjects = artifacts;
    prov_signers = {k.builder.get()};
    EvidenceSpec ev;
    ev.subjects = {artifacts[0]};
    ev.signers = {k.lab.get()};
    evidence.push_back(ev);
    request.product = "IC-22";
    request.version = "5.4.3";
    request.artifacts = artifacts;
    request.key_fingerprint = k.signing->KeyId();
    facts.installed_policy_version = 3;
    facts.last_signed_version = "5.4.2";
    facts.signed_releases.push_back({"5.4.2", {Sha256Hex("IC-22 firmware 5.4.2 image")}});
  }

  void BuildPolicy() {
    KeyRing& k = Keys();
    policy.set_version(3);
    *policy.mutable_issued() = Ts("2026-01-01T00:00:00Z");
    *policy.mutable_expires() = Ts("2027-01-01T00:00:00Z");
    auto* gov = policy.mutable_governance();
    for (int i = 0; i < 3; ++i)
      *gov->add_keys() = Trusted("governance " + std::to_string(i), *k.gov[i]);
    gov->set_threshold(2);
    auto* p = policy.add_products();
    p->set_name("IC-22");
    for (int i = 0; i < 3; ++i)
      *p->mutable_approvers()->add_keys() = Trusted("approver " + std::to_string(i), *k.appr[i]);
    p->mutable_approvers()->set_threshold(2);
    auto* b = p->add_builders();
    b->set_id(prov_builder_id);
    *b->mutable_key() = Trusted("firmware CI", *k.builder);
    b->add_allowed_source_repositories(prov_repo);
    b->add_allowed_build_types(prov_build_type);
    *p->add_test_labs() = Trusted("hardware test lab", *k.lab);
    p->add_required_tests("rollback");
    p->add_required_tests("recovery");
    p->add_configurations("reference");
    p->add_configurations("regional");
    auto* a = policy.add_key_authorizations();
    a->set_id("auth-ic22-fw-2026");
    a->set_key_fingerprint(k.signing->KeyId());
    a->set_product("IC-22");
    a->set_min_version("5.0.0");
    a->set_max_version("5.99.0");
    *a->mutable_not_before() = Ts("2026-01-01T00:00:00Z");
    *a->mutable_not_after() = Ts("2027-01-01T00:00:00Z");
    a->set_purpose("release-signing");
    policy.set_log_verifier_key("strongroom-log+1a2b3c4d+AQIDBA==");
  }

  std::string ProvenanceJson() const {
    return "{\"_type\":\"" + prov_statement_type + "\",\"subject\":" + SubjectsJson(prov_subjects) +
           ",\"predicateType\":\"https://slsa.dev/provenance/"
           "v1\",\"predicate\":{\"buildDefinition\":{"
           "\"buildType\":\"" +
           prov_build_type + "\",\"externalParameters\":{\"workflow\":{\"repository\":\"" +
           prov_repo + "\",\"ref\":\"" + prov_ref +
           "\",\"path\":\"build.yml\"}},\"resolvedDependencies\":[{"
           "\"uri\":\"git+" +
           prov_repo + "@" + prov_ref + "\",\"digest\":{\"gitCommit\":\"" + prov_commit +
           "\"}}]},\"runDetails\":{\"builder\":{\"id\":\"" + prov_builder_id + "\"}}}}";
  }

  static std::string EvidenceJson(const EvidenceSpec& e) {
    return "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" +
           SubjectsJson(e.subjects) +
           ",\"predicateType\":\"https://in-toto.io/attestation/test-result/v0.1\",\"predicate\":{"
           "\"result\":\"" +
           e.result + "\",\"configuration\":[{\"name\":\"" + e.configuration +
           "\",\"uri\":\"https://lab.example.com/configs/" + e.configuration +
           "\"}],"
           "\"url\":\"https://lab.example.com/runs/42\",\"passedTests\":" +
           StringArray(e.passed) + ",\"failedTests\":" + StringArray(e.failed) + "}}";
  }

  // Re-binds the scenario to another release of IC-22 made of `arts`: the
  // approval (version, previous version, eligible tag v<version>), the
  // provenance (tag v<version>, subjects), the evidence subjects (the first
  // artifact) and the request.
  void ForRelease(std::vector<Artifact> arts, const std::string& version,
                  const std::string& previous) {
    artifacts = std::move(arts);
    approval.set_version(version);
    approval.set_previous_version(previous);
    approval.clear_eligible_source_versions();
    approval.add_eligible_source_versions("refs/tags/v" + version);
    prov_ref = "refs/tags/v" + version;
    approval_subjects = artifacts;
    prov_subjects = artifacts;
    for (auto& e : evidence) e.subjects = {artifacts[0]};
    request.version = version;
    request.artifacts = artifacts;
  }

  // Re-times the scenario to `at` (policy and authorization valid from a day
  // before for a year, approval from an hour before for 30 days) and binds it
  // to a real station's release key and log verifier key.
  void ForStation(Clock::time_point at, const std::string& key_fingerprint,
                  const std::string& log_vkey) {
    using std::chrono::hours;
    *policy.mutable_issued() = TsAt(at - hours(24));
    *policy.mutable_expires() = TsAt(at + hours(24 * 365));
    auto* a = policy.mutable_key_authorizations(0);
    a->set_key_fingerprint(key_fingerprint);
    *a->mutable_not_before() = TsAt(at - hours(24));
    *a->mutable_not_after() = TsAt(at + hours(24 * 365));
    policy.set_log_verifier_key(log_vkey);
    *approval.mutable_approved_at() = TsAt(at - hours(1));
    *approval.mutable_expires() = TsAt(at + hours(24 * 30));
    request.key_fingerprint = key_fingerprint;
    now = at;
  }

  policy::GateInputs Build() const {
    policy::GateInputs in;
    in.policy =
        SignEnvelope(std::string(policy::kPolicyPayloadType), ToJson(policy), policy_signers);
    in.approval =
        SignEnvelope(std::string(policy::kInTotoPayloadType),
                     policy::ApprovalStatementJson(approval_subjects, approval), approval_signers);
    in.provenance =
        SignEnvelope(std::string(policy::kInTotoPayloadType), ProvenanceJson(), prov_signers);
    for (const EvidenceSpec& e : evidence)
      in.evidence.push_back(
          SignEnvelope(std::string(policy::kInTotoPayloadType), EvidenceJson(e), e.signers));
    if (tamper) tamper(in);
    return in;
  }

  policy::Decision Evaluate() const { return policy::Evaluate(request, Build(), facts, now); }
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_POLICY_FIXTURES_H_
