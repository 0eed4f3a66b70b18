// The gate with builders trusted by identity (Sigstore keyless): the real
// bundles pass under a policy naming their builders and pinning the
// public-good trusted root; the trusted root must be the one pinned; the
// certificate's source repository must be the provenance's; the SIGNING
// bindings record the keyless verification; policies are validated.
#include <doctest/doctest.h>

#include "tests/testing/policy_fixtures.h"
#include "tests/testing/sigstore_fixtures.h"

namespace sr::testing {
namespace {

struct RealBuilder {
  const RealBundle* bundle;
  const char* builder_id;
  const char* build_type;
};

// builder.id and buildType as the provenance states them (realworld_test).
const std::vector<RealBuilder>& RealBuilders() {
  static const std::vector<RealBuilder> k = {
      {&RealBundles()[0],
       "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/"
       "v7.1.0",
       "https://actions.github.io/buildtypes/workflow/v1"},
      {&RealBundles()[1],
       "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/"
       "v0.0.1",
       "https://actions.github.io/buildtypes/workflow/v1"},
      {&RealBundles()[2],
       "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
       "builder_maven_slsa3.yml@refs/tags/v2.1.0",
       "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"},
  };
  return k;
}

// The World trusting one builder by identity (instead of the firmware CI's
// key), pinning `root`, for a release of `artifact`.
void TrustByIdentity(World& w, const std::string& builder_id, const std::string& build_type,
                     const std::string& repo, const std::string& issuer,
                     const std::string& workflow, const std::string& ref,
                     const std::string& root_text, const Artifact& artifact) {
  auto* b = w.policy.mutable_products(0)->mutable_builders(0);
  b->clear_key();
  b->set_id(builder_id);
  b->clear_allowed_source_repositories();
  b->add_allowed_source_repositories(repo);
  b->clear_allowed_build_types();
  b->add_allowed_build_types(build_type);
  b->mutable_identity()->set_issuer(issuer);
  b->mutable_identity()->set_workflow(workflow);
  b->mutable_identity()->add_allowed_refs(ref);
  w.policy.set_sigstore_trusted_root_sha256(Sha256Hex(root_text));
  w.approval.clear_eligible_source_versions();
  w.approval_subjects = {artifact};
  for (auto& e : w.evidence) e.subjects = {artifact};
  w.request.artifacts = {artifact};
}

Artifact RealArtifact(const char* name) {
  return {name, Sha256Hex(ReadData(std::string("realworld/") + name))};
}

policy::Decision EvaluateWith(const World& w, const std::string& provenance,
                              const std::string& trusted_root) {
  policy::GateInputs in = w.Build();
  in.provenance = provenance;
  in.trusted_root = trusted_root;
  return policy::Evaluate(w.request, in, w.facts, w.now);
}

std::string Names(const policy::Decision& d) {
  std::string out;
  for (const auto& n : d.ReasonNames()) out += (out.empty() ? "" : ",") + n;
  for (const auto& f : d.failures) MESSAGE(policy::FormatFailure(f));
  return out;
}

TEST_CASE(
    "gate keyless: each real bundle passes unchanged under a policy trusting its builder by "
    "identity, and the bindings record the verification") {
  const std::string root = ReadData("sigstore/trusted_root.json");
  for (const RealBuilder& rb : RealBuilders()) {
    SUBCASE(rb.bundle->file) {
      World w;
      TrustByIdentity(w, rb.builder_id, rb.build_type, rb.bundle->source_repository, kGithubIssuer,
                      rb.bundle->workflow, rb.bundle->ref, root, RealArtifact(rb.bundle->artifact));
      policy::Decision d = EvaluateWith(w, ReadData(rb.bundle->file), root);
      REQUIRE(Names(d) == "");
      const auto& k = d.bindings.keyless_provenance();
      CHECK(k.issuer() == kGithubIssuer);
      CHECK(k.identity() == std::string(rb.bundle->workflow) + "@" + rb.bundle->ref);
      CHECK(k.source_repository() == rb.bundle->source_repository);
      CHECK(k.certificate_sha256().size() == 64);
      CHECK(k.rekor_log_index() > 0);
      CHECK(k.rekor_log_id().size() == 64);
      CHECK(k.integrated_time() > 0);
      CHECK(k.trusted_root_sha256() == Sha256Hex(root));
      CHECK(d.bindings.builder_id() == rb.builder_id);
      CHECK(d.bindings.source_repository() == rb.bundle->source_repository);

      // Another ref allowed only: refused by identity.
      World other = w;
      auto* id = other.policy.mutable_products(0)->mutable_builders(0)->mutable_identity();
      id->clear_allowed_refs();
      id->add_allowed_refs("refs/heads/main");
      CHECK(Names(EvaluateWith(other, ReadData(rb.bundle->file), root)) ==
            "CERT_IDENTITY_MISMATCH");
      // Another artifact than the bundle's subject.
      World wrong = w;
      wrong.request.artifacts = {{rb.bundle->artifact, Sha256Hex("another file")}};
      wrong.approval_subjects = wrong.request.artifacts;
      for (auto& e : wrong.evidence) e.subjects = wrong.request.artifacts;
      CHECK(Names(EvaluateWith(wrong, ReadData(rb.bundle->file), root)) ==
            "PROVENANCE_SUBJECT_MISMATCH");
    }
  }
}

TEST_CASE("gate keyless: TRUSTED_ROOT_MISSING when none is installed or it is not the one pinned") {
  const std::string root = ReadData("sigstore/trusted_root.json");
  const RealBuilder& rb = RealBuilders()[0];
  World w;
  TrustByIdentity(w, rb.builder_id, rb.build_type, rb.bundle->source_repository, kGithubIssuer,
                  rb.bundle->workflow, rb.bundle->ref, root, RealArtifact(rb.bundle->artifact));
  policy::Decision none = EvaluateWith(w, ReadData(rb.bundle->file), "");
  CHECK(Names(none) == "TRUSTED_ROOT_MISSING");
  REQUIRE(!none.failures.empty());
  CHECK(none.failures[0].message.find(Sha256Hex(root)) != std::string::npos);
  CHECK(none.failures[0].message.find("policy install --trusted-root") != std::string::npos);

  MiniSigstore ms;
  const std::string other = ms.TrustedRootJson();
  policy::Decision wrong = EvaluateWith(w, ReadData(rb.bundle->file), other);
  CHECK(Names(wrong) == "TRUSTED_ROOT_MISSING");
  REQUIRE(!wrong.failures.empty());
  CHECK(wrong.failures[0].message.find(Sha256Hex(root)) != std::string::npos);
  CHECK(wrong.failures[0].message.find(Sha256Hex(other)) != std::string::npos);
}

TEST_CASE("gate keyless: the certificate's source repository must be the provenance's") {
  MiniSigstore ms;
  const std::string root = ms.TrustedRootJson();
  World w;
  const std::string wf = "https://github.com/acme/firmware/.github/workflows/release.yml";
  TrustByIdentity(w, w.prov_builder_id, w.prov_build_type, w.prov_repo, kGithubIssuer, wf,
                  "refs/tags/v5.4.3", root, w.artifacts[0]);
  w.prov_subjects = {w.artifacts[0]};
  MiniSigstore::Options o;
  o.payload = w.ProvenanceJson();
  o.id.san = wf + "@refs/tags/v5.4.3";
  o.id.source_repository = w.prov_repo;
  CHECK(Names(EvaluateWith(w, ms.Bundle(o), root)) == "");

  o.id.source_repository = "https://github.com/mallory/firmware";
  policy::Decision d = EvaluateWith(w, ms.Bundle(o), root);
  CHECK(Names(d) == "CERT_IDENTITY_MISMATCH");
  REQUIRE(!d.failures.empty());
  CHECK(d.failures[0].message.find("mallory") != std::string::npos);

  // A plain envelope with a certificate: TLOG_ENTRY_MISSING through the gate.
  const std::string go =
      ReadData("realworld/gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl");
  CHECK(Names(EvaluateWith(w, go, root)).find("TLOG_ENTRY_MISSING") != std::string::npos);
}

TEST_CASE("gate keyless: a product with no identity builder still refuses keyless provenance") {
  World w;
  const RealBuilder& rb = RealBuilders()[0];
  policy::Decision d =
      EvaluateWith(w, ReadData(rb.bundle->file), ReadData("sigstore/trusted_root.json"));
  CHECK(d.Has(policy::Reason::kProvenanceBuilderUntrusted));
  bool said = false;
  for (const auto& f : d.failures)
    said = said || f.message.find("signed only with a keyless") != std::string::npos;
  CHECK(said);
}

TEST_CASE("gate keyless: policy validation of identity builders") {
  const std::string root = ReadData("sigstore/trusted_root.json");
  const RealBuilder& rb = RealBuilders()[0];
  World w;
  TrustByIdentity(w, rb.builder_id, rb.build_type, rb.bundle->source_repository, kGithubIssuer,
                  rb.bundle->workflow, rb.bundle->ref, root, RealArtifact(rb.bundle->artifact));
  auto parse = [](const v1::TrustPolicy& p) {
    auto r = policy::ParsePolicyJson(ToJson(p), "policy");
    return r.ok() ? std::string("OK") : r.failure().message;
  };
  CHECK(parse(w.policy) == "OK");

  v1::TrustPolicy both = w.policy;
  *both.mutable_products(0)->mutable_builders(0)->mutable_key() = Trusted("ci", *Keys().builder);
  CHECK(parse(both).find("exactly one of key") != std::string::npos);
  v1::TrustPolicy neither = w.policy;
  neither.mutable_products(0)->mutable_builders(0)->clear_identity();
  CHECK(parse(neither).find("exactly one of key") != std::string::npos);
  v1::TrustPolicy no_root = w.policy;
  no_root.clear_sigstore_trusted_root_sha256();
  CHECK(parse(no_root).find("sigstoreTrustedRootSha256") != std::string::npos);
  v1::TrustPolicy bad_root = w.policy;
  bad_root.set_sigstore_trusted_root_sha256("abc");
  CHECK(parse(bad_root).find("sigstoreTrustedRootSha256") != std::string::npos);
  v1::TrustPolicy http = w.policy;
  http.mutable_products(0)->mutable_builders(0)->mutable_identity()->set_issuer("http://x");
  CHECK(parse(http).find("identity.issuer") != std::string::npos);
  v1::TrustPolicy no_wf = w.policy;
  no_wf.mutable_products(0)->mutable_builders(0)->mutable_identity()->clear_workflow();
  CHECK(parse(no_wf).find("identity.workflow") != std::string::npos);
  v1::TrustPolicy no_refs = w.policy;
  no_refs.mutable_products(0)->mutable_builders(0)->mutable_identity()->clear_allowed_refs();
  CHECK(parse(no_refs).find("allowedRefs") != std::string::npos);
}

}  // namespace
}  // namespace sr::testing
