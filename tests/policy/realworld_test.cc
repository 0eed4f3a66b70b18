// Real provenance from public builders (tests/testdata/realworld): the parsers must
// accept it unmodified, match its subjects against the real artifacts, and
// extract builder.id, buildType and the source repository. The signatures are
// Sigstore keyless, so the gate test re-signs the unchanged payload with a
// test builder key.
#include <doctest/doctest.h>

#include "base/file.h"
#include "tests/testing/policy_fixtures.h"

namespace sr::testing {
namespace {

struct Sample {
  const char* artifact;
  const char* provenance;
  bool bundle;
  const char* statement;
  const char* slsa;
  const char* builder_id;
  const char* build_type;
  const char* source;
};

const Sample kSamples[] = {
    {"bcr-rules_lint-v1.3.1.tar.gz", "bcr-rules_lint-v1.3.1.tar.gz.intoto.jsonl", true,
     "https://in-toto.io/Statement/v1", "v1",
     "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/"
     "v7.1.0",
     "https://actions.github.io/buildtypes/workflow/v1",
     "https://github.com/aspect-build/rules_lint"},
    {"bcr-MODULE.bazel", "bcr-MODULE.bazel.intoto.jsonl", true, "https://in-toto.io/Statement/v1",
     "v1",
     "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/"
     "v0.0.1",
     "https://actions.github.io/buildtypes/workflow/v1",
     "https://github.com/aspect-build/rules_lint"},
    {"gha-maven-v2.1.0-binary-linux-amd64-push-v14",
     "gha-maven-v2.1.0-binary-linux-amd64-push-v14.build.slsa", true,
     "https://in-toto.io/Statement/v0.1", "v1",
     "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
     "builder_maven_slsa3.yml@refs/tags/v2.1.0",
     "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0",
     "https://github.com/slsa-framework/example-package"},
    {"gha-go-v1.2.1-binary-linux-amd64-push-v14",
     "gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl", false,
     "https://in-toto.io/Statement/v0.1", "v0.2",
     "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
     "builder_go_slsa3.yml@refs/tags/v1.2.1",
     "https://github.com/slsa-framework/slsa-github-generator/go@v1",
     "https://github.com/slsa-framework/example-package"},
};

std::string Path(const char* name) {
  return std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/realworld/" + name;
}

Artifact ArtifactOf(const char* name) {
  auto d = Sha256File(Path(name));
  REQUIRE(d.ok());
  return {name, HexEncode(DigestToString(d.value()))};
}

TEST_CASE(
    "realworld: every sample parses, names its builder, buildType and source, and matches its "
    "artifact") {
  for (const Sample& s : kSamples) {
    SUBCASE(s.provenance) {
      auto text = ReadFile(Path(s.provenance));
      REQUIRE(text.ok());
      auto env = policy::ParseEnvelope(text.value(), s.provenance);
      REQUIRE(env.ok());
      CHECK(env->from_sigstore_bundle == s.bundle);
      CHECK(env->signatures.size() == 1);
      auto p = policy::ParseProvenance(env.value(), s.provenance);
      REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : policy::FormatFailure(p.failure())));
      CHECK(p->statement.type == s.statement);
      CHECK(p->slsa_version == s.slsa);
      CHECK(p->builder_id == s.builder_id);
      CHECK(p->build_type == s.build_type);
      CHECK(p->source_repository == s.source);
      CHECK(policy::SubjectDifference(p->statement.subjects, {ArtifactOf(s.artifact)}).empty());
      CHECK_FALSE(
          policy::SubjectDifference(p->statement.subjects, {{"x", Sha256Hex("x")}}).empty());
    }
  }
}

TEST_CASE("realworld: the Sigstore keyless signature is not accepted as a trusted builder key") {
  auto text = ReadFile(Path(kSamples[3].provenance));
  REQUIRE(text.ok());
  auto env = policy::ParseEnvelope(text.value(), "go");
  REQUIRE(env.ok());
  CHECK(policy::VerifySignatures(env.value(), {Keys().builder->Public()}).accepted.empty());
}

TEST_CASE(
    "realworld: the gate allows the real v0.2 Go provenance re-signed by a trusted builder key") {
  const Sample& s = kSamples[3];
  auto text = ReadFile(Path(s.provenance));
  REQUIRE(text.ok());
  auto env = policy::ParseEnvelope(text.value(), "go");
  REQUIRE(env.ok());
  World w;
  Artifact art = ArtifactOf(s.artifact);
  w.artifacts = {art};
  w.request.artifacts = {art};
  w.approval_subjects = {art};
  w.evidence[0].subjects = {art};
  auto* b = w.policy.mutable_products(0)->mutable_builders(0);
  b->set_id(s.builder_id);
  b->set_allowed_source_repositories(0, s.source);
  b->set_allowed_build_types(0, s.build_type);
  w.approval.set_eligible_source_versions(0, "16fd7557ee886bdc622b95e6eb3b44de3ebf56df");
  std::string payload = env->payload;
  w.tamper = [payload](policy::GateInputs& in) {
    in.provenance =
        SignEnvelope(std::string(policy::kInTotoPayloadType), payload, {Keys().builder.get()});
  };
  policy::GateInputs in = w.Build();
  policy::Decision d = policy::Evaluate(w.request, in, w.facts, w.now);
  std::string why;
  for (const auto& f : d.failures) why += policy::FormatFailure(f) + "\n";
  INFO(why);
  CHECK(d.allowed());
  CHECK(d.bindings.builder_id() == s.builder_id);
  CHECK(d.bindings.source_revision() == "16fd7557ee886bdc622b95e6eb3b44de3ebf56df");
}

}  // namespace
}  // namespace sr::testing
