// Issue 21, the station side of keyless builders: a policy trusting the SLSA
// GitHub generator's Maven builder by identity, its Sigstore trusted root
// installed with it, and the real jar signed with the real bundle as the
// builder published it (tests/testdata/realworld/). The certificate is from
// 2025 and valid for ten minutes: the gate checks it at Rekor's integrated
// time, so the test passes whatever today is.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>

#include "base/file.h"
#include "base/hash.h"
#include "proto/event.pb.h"
#include "tests/testing/audit_replay.h"
#include "tests/testing/files.h"
#include "tests/testing/sign_helpers.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

const std::string kData = std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/";
const std::string kRoot = kData + "sigstore/trusted_root.json";
const std::string kBundle =
    kData + "realworld/gha-maven-v2.1.0-binary-linux-amd64-push-v14.build.slsa";
const std::string kJar = kData + "realworld/gha-maven-v2.1.0-binary-linux-amd64-push-v14";
const std::string kJarName = "test-java-project-1.23.90.jar";  // the provenance's subject
const std::string kGenerator =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";
const std::string kIssuer = "https://token.actions.githubusercontent.com";
const std::string kBuilderId = kGenerator + "builder_maven_slsa3.yml@refs/tags/v2.1.0";
// The workflow whose certificate signs the Maven builder's provenance.
const std::string kSigner = kGenerator + "delegator_lowperms-generic_slsa3.yml";
const std::string kRepo = "https://github.com/slsa-framework/example-package";

// The reference scenario re-bound to the real jar and the keyless Maven
// builder: the policy names the builder's identity and the trusted root.
World KeylessScenario(const SignStation& st, const std::string& workflow = kSigner) {
  World w = st.Scenario();
  w.ForRelease({{kJarName, Sha256Hex(ReadAll(kJar))}}, "5.4.3", "5.4.2");
  w.approval.clear_eligible_source_versions();
  w.approval.add_eligible_source_versions("refs/tags/v14");
  auto* b = w.policy.mutable_products(0)->mutable_builders(0);
  b->Clear();
  b->set_id(kBuilderId);
  b->add_allowed_source_repositories(kRepo);
  b->add_allowed_build_types(
      "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0");
  b->set_slsa_build_level(3);
  auto* id = b->mutable_identity();
  id->set_issuer(kIssuer);
  id->set_workflow(workflow);
  id->add_allowed_refs("refs/tags/v2.*");
  w.policy.set_sigstore_trusted_root_sha256(Sha256Hex(ReadAll(kRoot)));
  return w;
}

CmdResult Install(const SignStation& st, const World& w, const std::string& root_args) {
  REQUIRE(WriteFileAtomic(st.root + "/policy.env", w.Build().policy).ok());
  return st.Sr("policy install --station " + st.station + " --in " + st.root + "/policy.env" +
               root_args + " --log-pin-source file:" + st.pins + "/log");
}

// The media: the real jar under its subject name, the approval and
// evidence of w, and the real bundle, unchanged.
Inputs Media(const SignStation& st, const World& w) {
  REQUIRE(MakeDirs(st.root + "/media", 0755).ok());
  REQUIRE(WriteFileAtomic(st.root + "/media/" + kJarName, ReadAll(kJar)).ok());
  Inputs in = st.Write(w);
  in.provenance = kBundle;
  return in;
}

std::string EvidencePath(const SignStation& st, const std::string& sha) {
  return st.station + "/evidence/" + sha;
}

// Rewrites an evidence object (mode 0444) with other bytes.
void Overwrite(const std::string& path, const std::string& bytes) {
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  REQUIRE(WriteFileAtomic(path, bytes, 0444).ok());
}

TEST_CASE(
    "sign_keyless: the SLSA generator's Maven builder trusted by identity; the real jar signs "
    "with its real bundle unchanged, verifies, and audit replay re-verifies it") {
  SignStation st;
  World w = KeylessScenario(st);
  CmdResult inst = Install(st, w, " --trusted-root " + kRoot);
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  // The root is kept in the evidence store under the digest the policy names.
  const std::string root_sha = Sha256Hex(ReadAll(kRoot));
  CHECK(ReadAll(EvidencePath(st, root_sha)) == ReadAll(kRoot));

  Inputs in = Media(st, w);
  CmdResult s = st.Sign(in, "out");
  REQUIRE_MESSAGE(s.rc == 0, s.all());
  auto events = st.Events();
  const v1::Event& e = events.back();
  REQUIRE(e.kind() == v1::EVENT_KIND_SIGNING);
  CHECK(e.signing().provenance_sha256() == Sha256Hex(ReadAll(kBundle)));
  CHECK(e.signing().builder_id() == kBuilderId);
  REQUIRE(e.signing().has_keyless_provenance());
  const v1::KeylessProvenanceRecord& k = e.signing().keyless_provenance();
  CHECK(k.issuer() == kIssuer);
  CHECK(k.identity() == kSigner + "@refs/tags/v2.1.0");
  CHECK(k.source_repository() == kRepo);
  CHECK(k.source_ref() == "refs/tags/v14");
  CHECK(k.source_digest() == "4d329c75e7ec1725f7c9ce917a8799d408d06be3");
  CHECK(k.certificate_sha256().size() == 64);
  CHECK(k.rekor_log_index() > 0);
  CHECK(k.rekor_log_id().size() == 64);
  CHECK(k.integrated_time() == 1740517941);  // 2025-02-25T21:12:21Z, the bundle's
  CHECK(k.trusted_root_sha256() == root_sha);

  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
  Replayed r = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence",
                      " --policies " + st.station + "/policy");
  CHECK_MESSAGE(r.r.rc == 0, r.r.all());
  CHECK(Failures(r.j).empty());

  SUBCASE("an altered stored bundle fails replay, naming the SIGNING event") {
    std::string path = EvidencePath(st, e.signing().provenance_sha256());
    Overwrite(path, ReplaceOnce(ReadAll(path), "\"logIndex\"", "\"logIndex\" "));
    Replayed bad = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence",
                          " --policies " + st.station + "/policy");
    CHECK(bad.r.rc != 0);
    CHECK(Failures(bad.j).count({events.size() - 1, "evidence", e.signing().provenance_sha256()}) ==
          1);
  }
  SUBCASE("an altered stored trusted root fails replay, naming the SIGNING event") {
    std::string path = EvidencePath(st, root_sha);
    Overwrite(path, ReadAll(path) + "\n");
    Replayed bad = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence",
                          " --policies " + st.station + "/policy");
    CHECK(bad.r.rc != 0);
    CHECK(Failures(bad.j).count({events.size() - 1, "evidence", root_sha}) == 1);
  }
}

TEST_CASE(
    "sign_keyless: a policy naming the Maven builder's own workflow instead of the one that "
    "signs is refused with CERT_IDENTITY_MISMATCH, logged") {
  SignStation st;
  World w = KeylessScenario(st, kGenerator + "builder_maven_slsa3.yml");
  CmdResult inst = Install(st, w, " --trusted-root " + kRoot);
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  Inputs in = Media(st, w);
  CmdResult s = st.Sign(in, "out");
  CHECK(s.rc == 1);
  CHECK_MESSAGE(StderrReasons(s.err).count({"CERT_IDENTITY_MISMATCH", "provenance"}) == 1, s.err);
  const v1::Event e = st.Events().back();
  REQUIRE(e.kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(e.refusal()).count({"CERT_IDENTITY_MISMATCH", "provenance"}) == 1);
  CHECK(!PathExists(st.root + "/out"));
}

TEST_CASE(
    "sign_keyless: the trusted root the policy names is required at install and at sign, and "
    "each refusal is logged") {
  SignStation st;
  World w = KeylessScenario(st);
  auto last_refusal = [&] {
    const v1::Event e = st.Events().back();
    REQUIRE(e.kind() == v1::EVENT_KIND_REFUSAL);
    return EventReasons(e.refusal());
  };

  SUBCASE("install without --trusted-root") {
    CmdResult r = Install(st, w, "");
    CHECK(r.rc == 1);
    CHECK(r.err.find("TRUSTED_ROOT_MISSING") != std::string::npos);
    CHECK(r.err.find("--trusted-root") != std::string::npos);
    CHECK(last_refusal().count({"TRUSTED_ROOT_MISSING", "trusted_root"}) == 1);
  }
  SUBCASE("install with another file than the one the policy names") {
    std::string other = st.root + "/other_root.json";
    REQUIRE(WriteFileAtomic(other, ReadAll(kRoot) + " ").ok());
    CmdResult r = Install(st, w, " --trusted-root " + other);
    CHECK(r.rc == 1);
    CHECK(r.err.find("TRUSTED_ROOT_MISSING") != std::string::npos);
    CHECK(r.err.find(Sha256Hex(ReadAll(other))) != std::string::npos);
    CHECK(last_refusal().count({"TRUSTED_ROOT_MISSING", "trusted_root"}) == 1);
    CHECK(!PathExists(EvidencePath(st, Sha256Hex(ReadAll(other)))));
  }
  SUBCASE("install with a file that is not a trusted root, named by the policy") {
    std::string bad = st.root + "/not_a_root.json";
    REQUIRE(WriteFileAtomic(bad, "{\"mediaType\": 3}").ok());
    w.policy.set_sigstore_trusted_root_sha256(Sha256Hex(ReadAll(bad)));
    CmdResult r = Install(st, w, " --trusted-root " + bad);
    CHECK(r.rc == 1);
    CHECK(r.err.find("is not a usable Sigstore trusted root") != std::string::npos);
    CHECK(last_refusal().size() == 1);
  }
  SUBCASE("install of a policy naming no root, with --trusted-root") {
    w.policy.clear_sigstore_trusted_root_sha256();
    w.policy.mutable_products(0)->mutable_builders(0)->clear_identity();
    *w.policy.mutable_products(0)->mutable_builders(0)->mutable_key() =
        Trusted("firmware CI", *Keys().builder);
    CmdResult r = Install(st, w, " --trusted-root " + kRoot);
    CHECK(r.rc != 0);
    CHECK(r.err.find("names no trusted root") != std::string::npos);
  }
  SUBCASE("sign when the stored root is gone") {
    CmdResult inst = Install(st, w, " --trusted-root " + kRoot);
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    REQUIRE(::unlink(EvidencePath(st, Sha256Hex(ReadAll(kRoot))).c_str()) == 0);
    Inputs in = Media(st, w);
    CmdResult s = st.Sign(in, "out");
    CHECK(s.rc == 1);
    CHECK_MESSAGE(StderrReasons(s.err).count({"TRUSTED_ROOT_MISSING", "trusted_root"}) == 1, s.err);
    CHECK(last_refusal().count({"TRUSTED_ROOT_MISSING", "trusted_root"}) == 1);
  }
}

}  // namespace
}  // namespace sr::testing
