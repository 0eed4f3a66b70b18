// `strongroom verify` end to end against releases the real station signed:
// what a device or deployment service rejects (each failure named by its
// check, exit 1), and the trusted-policy path.
#include <filesystem>
#include <memory>

#include "log/note.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBin = "ic22-fw-5.4.3.bin";
const std::string kManifest = "ic22-fw-5.4.3.manifest";

// A station that signed 5.4.3 into "out" and 5.4.4 into "out2", with a second
// key "other" the policy does not authorize. Built once for all subcases.
struct Released {
  SignStation st;
  Inputs in, in2;
  std::string other_pem;
  Released() {
    CmdResult inst = st.InstallPolicy(st.Scenario());
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    in = st.Write(st.Scenario());
    CmdResult r = st.Sign(in, "out");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    World w2 = st.Scenario();
    ForVersion(w2, "5.4.4", "5.4.3");
    in2 = st.Write(w2, "media2");
    r = st.Sign(in2, "out2", "", "IC-22", "5.4.4");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    CmdResult gen = st.Sr("key generate --station " + st.station +
                          " --label other --algorithm ecdsa-p256" + st.Pins());
    REQUIRE_MESSAGE(gen.rc == 0, gen.all());
    other_pem = st.station + "/keys/other.pem";
  }
};

Released& R() {
  static std::unique_ptr<Released> r;
  if (!r) r = std::make_unique<Released>();
  return *r;
}

// A copy of the good release in root/<name>, for one case to damage.
std::string CopyOfRelease(const std::string& name) {
  std::string dir = R().st.root + "/" + name;
  fs::remove_all(dir);
  fs::copy(R().st.root + "/out", dir, fs::copy_options::recursive);
  return dir;
}

CmdResult VerifyWith(const std::string& release, const std::vector<std::string>& artifacts,
                     const std::string& trust) {
  std::string args = "verify --release " + release + " " + trust;
  for (const auto& a : artifacts) args += " --artifact " + a;
  return R().st.Sr(args);
}

std::string TrustStation() {
  return "--key " + R().st.station + "/keys/rel.pem --vkey " + R().st.root + "/log.vkey";
}

// Rewrites the payload of the DSSE envelope at path, keeping its signatures.
void EditPayload(const std::string& path, const std::string& from, const std::string& to) {
  auto env = policy::ParseEnvelope(ReadAll(path), "test");
  REQUIRE(env.ok());
  env->payload = ReplaceOnce(env->payload, from, to);
  WriteAll(path, policy::SerializeEnvelope(*env));
}

void ExpectFailed(const CmdResult& v, const std::set<std::string>& checks) {
  INFO(v.all());
  CHECK(v.rc == 1);
  CHECK(FailedChecks(v.err) == checks);
  CHECK(v.err.find("verification FAILED") != std::string::npos);
  CHECK(v.out.find("verified:") == std::string::npos);
}

TEST_CASE("verify: a damaged or substituted release is rejected, naming the failed check") {
  Released& r = R();
  SUBCASE("an untouched copy of the release verifies (the baseline of every case below)") {
    std::string dir = CopyOfRelease("copy");
    CmdResult v = VerifyWith(dir, r.in.artifacts, TrustStation());
    CHECK_MESSAGE(v.rc == 0, v.all());
    CHECK(FailedChecks(v.err).empty());
    CHECK(v.out.find("verified: IC-22 5.4.3") != std::string::npos);
  }
  SUBCASE("an artifact with one byte changed") {
    std::string dir = CopyOfRelease("tampered-artifact");
    std::string art = dir + "/" + kBin;
    std::string bytes = ReadAll(r.in.artifacts[0]);
    bytes[3] ^= 0x01;
    WriteAll(art, bytes);
    ExpectFailed(VerifyWith(dir, {art, r.in.artifacts[1]}, TrustStation()),
                 {"artifact-digest [" + kBin + "]", "artifact-signature [" + kBin + "]"});
  }
  SUBCASE("the detached signatures of the two artifacts swapped") {
    std::string dir = CopyOfRelease("swapped-sig");
    std::string a = ReadAll(dir + "/" + kBin + ".sig"), b = ReadAll(dir + "/" + kManifest + ".sig");
    WriteAll(dir + "/" + kBin + ".sig", b);
    WriteAll(dir + "/" + kManifest + ".sig", a);
    ExpectFailed(
        VerifyWith(dir, r.in.artifacts, TrustStation()),
        {"artifact-signature [" + kBin + "]", "artifact-signature [" + kManifest + "]", "event"});
  }
  SUBCASE("the manifest payload edited to drop the exclusion of the regional configuration") {
    std::string dir = CopyOfRelease("edited-manifest");
    EditPayload(dir + "/manifest.dsse.json", "\"regional\"", "\"nowhere\"");
    ExpectFailed(VerifyWith(dir, r.in.artifacts, TrustStation()), {"manifest-signature", "event"});
  }
  SUBCASE("the tlog-proof of another signing (5.4.4)") {
    std::string dir = CopyOfRelease("other-proof");
    WriteAll(dir + "/signing-event.tlog-proof",
             ReadAll(r.st.root + "/out2/signing-event.tlog-proof"));
    ExpectFailed(VerifyWith(dir, r.in.artifacts, TrustStation()), {"event"});
  }
  SUBCASE("verified against the wrong --key") {
    std::string dir = CopyOfRelease("wrong-key");
    ExpectFailed(VerifyWith(dir, r.in.artifacts,
                            "--key " + r.other_pem + " --vkey " + r.st.root + "/log.vkey"),
                 {"manifest-signature", "artifact-signature [" + kBin + "]",
                  "artifact-signature [" + kManifest + "]", "event"});
  }
  SUBCASE("verified against a --vkey of another log with the same name") {
    std::string dir = CopyOfRelease("wrong-vkey");
    auto vk = log::NoteVerifier::Parse(r.st.vkey);
    REQUIRE(vk.ok());
    auto other = log::Ed25519NoteSigner::Generate(vk->name());
    REQUIRE(other.ok());
    WriteAll(r.st.root + "/other.vkey",
             log::EncodeVerifierKey((*other)->Name(), (*other)->PublicKey()) + "\n");
    ExpectFailed(
        VerifyWith(dir, r.in.artifacts,
                   "--key " + r.st.station + "/keys/rel.pem --vkey " + r.st.root + "/other.vkey"),
        {"tlog-proof"});
  }
  SUBCASE("the VSA payload edited to claim SLSA build level 3") {
    std::string dir = CopyOfRelease("edited-vsa");
    EditPayload(dir + "/vsa.dsse.json", "SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_3");
    ExpectFailed(VerifyWith(dir, r.in.artifacts, TrustStation()), {"vsa"});
  }
}

TEST_CASE("verify: with the trusted policy, the release's key must be authorized by it") {
  Released& r = R();
  std::string policy = "--policy " + r.st.root + "/policy.env";
  SUBCASE("the station's release passes (verifier key taken from the policy)") {
    CmdResult v = VerifyWith(r.st.root + "/out", r.in.artifacts, policy);
    CHECK_MESSAGE(v.rc == 0, v.all());
    CHECK(v.out.find("auth-ic22-fw-2026") != std::string::npos);
    CHECK(v.out.find("verified: IC-22 5.4.3") != std::string::npos);
  }
  SUBCASE("a release whose signing-key.pem is a key the policy does not authorize") {
    std::string dir = CopyOfRelease("unauthorized-key");
    WriteAll(dir + "/signing-key.pem", ReadAll(r.other_pem));
    ExpectFailed(VerifyWith(dir, r.in.artifacts, policy), {"trusted-key"});
  }
  SUBCASE("a validly signed policy that authorizes only the other key") {
    World w = r.st.Scenario();
    auto pk = policy::PublicKey::FromPem(ReadAll(r.other_pem));
    REQUIRE(pk.ok());
    w.policy.mutable_key_authorizations(0)->set_key_fingerprint(pk->fingerprint());
    WriteAll(r.st.root + "/policy-other.env", w.Build().policy);
    ExpectFailed(VerifyWith(r.st.root + "/out", r.in.artifacts,
                            "--policy " + r.st.root + "/policy-other.env"),
                 {"trusted-key"});
  }
}

}  // namespace
}  // namespace sr::testing
