// A signed release checked by implementations we did not write: the update
// manifest and the VSA by @sigstore/core's DSSE PAE + node:crypto
// (tests/interop/node/dsse.js), the tlog-proof of the signing event and the
// station's checkpoint by Go's golang.org/x/mod/sumdb note and tlog
// (tests/interop/go/checker.go), the detached signature by openssl.
#include "base/hash.h"
#include "log/proof.h"
#include "policy/dsse.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

const std::string kNodeDir = std::string(STRONGROOM_SOURCE_DIR) + "/tests/interop/node";

CmdResult Cmd(const SignStation& st, const std::string& cmd) {
  return Run(cmd, st.root + "/.interop-stderr");
}

// Builds the Go checker in GOPATH mode with private caches (CI's HOME may be unusable).
std::string GoChecker(const SignStation& st) {
  std::string out = st.root + "/checker";
  CmdResult r = Cmd(st, "cd " + std::string(GO_CHECKER_DIR) +
                            " && GO111MODULE=off GOFLAGS= GOPATH=" + st.root +
                            "/gopath:/usr/share/gocode GOCACHE=" + st.root +
                            "/gocache HOME=" + st.root + " go build -o " + out + " checker.go");
  REQUIRE_MESSAGE(r.rc == 0, "go build failed: ", r.all());
  return out;
}

void Flip(const std::string& path, const std::string& from, const std::string& to) {
  WriteAll(path, ReplaceOnce(ReadAll(path), from, to));
}

TEST_CASE("interop: the manifest and the VSA verify with @sigstore/core + node:crypto") {
  REQUIRE_MESSAGE(PathExists(kNodeDir + "/node_modules/@sigstore/core/package.json"),
                  "run scripts/install-deps (npm ci in tests/interop/node)");
  for (const char* alg : {"ecdsa-p256", "ecdsa-p384"}) {
    SUBCASE(alg) {
      SignStation st(alg);
      World w = st.Scenario();
      REQUIRE(st.InstallPolicy(w).rc == 0);
      Inputs in = st.Write(w);
      CmdResult r = st.Sign(in, "out");
      REQUIRE_MESSAGE(r.rc == 0, r.all());
      std::string o = st.root + "/out/";
      auto node = [&](const std::string& key, const std::string& env) {
        return Cmd(
            st, "cd '" + kNodeDir + "' && node dsse.js verify '" + o + key + "' '" + o + env + "'");
      };
      CmdResult m = node("signing-key.pem", "manifest.dsse.json");
      CHECK_MESSAGE(m.rc == 0, m.all());
      CmdResult v = node("station-attestation.pem", "vsa.dsse.json");
      CHECK_MESSAGE(v.rc == 0, v.all());
      // The VSA is signed by the station, not by the release key, and vice versa.
      CHECK(node("signing-key.pem", "vsa.dsse.json").rc != 0);
      CHECK(node("station-attestation.pem", "manifest.dsse.json").rc != 0);
      // An envelope whose payload changed no longer verifies there either.
      auto env = policy::ParseEnvelope(ReadFile(o + "manifest.dsse.json").value(), "manifest");
      REQUIRE(env.ok());
      std::string payload = env->payload;
      auto at = payload.find("\"5.4.3\"");
      REQUIRE(at != std::string::npos);
      env.value().payload = payload.replace(at, 7, "\"5.4.9\"");
      REQUIRE(WriteFileAtomic(o + "manifest.dsse.json", policy::SerializeEnvelope(*env)).ok());
      CHECK(node("signing-key.pem", "manifest.dsse.json").rc != 0);
    }
  }
}

TEST_CASE(
    "interop: Go's sumdb tlog and note accept the signing event's tlog-proof and checkpoint") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  REQUIRE(st.Sign(in, "out").rc == 0);
  std::string checker = GoChecker(st);
  std::string vkey = st.root + "/log.vkey", proof = st.root + "/out/signing-event.tlog-proof";
  CmdResult inc = Cmd(st, checker + " inclusion " + vkey + " " + proof);
  CHECK_MESSAGE(inc.rc == 0, inc.all());
  CmdResult cp = Cmd(st, checker + " checkpoint " + vkey + " " + st.station + "/log/checkpoint");
  CHECK_MESSAGE(cp.rc == 0, cp.all());
  CmdResult vk = Cmd(st, checker + " vkey " + vkey);
  CHECK_MESSAGE(vk.rc == 0, vk.all());

  // What the Go checker proved is the SIGNING event of exactly this manifest.
  auto f = log::InclusionProofFile::Parse(ReadFile(proof).value());
  REQUIRE(f.ok());
  REQUIRE(f->extra.has_value());
  v1::Event ev;
  REQUIRE(ev.ParseFromString(*f->extra));
  CHECK(ev.kind() == v1::EVENT_KIND_SIGNING);
  auto env = policy::ParseEnvelope(ReadFile(st.root + "/out/manifest.dsse.json").value(), "m");
  REQUIRE(env.ok());
  CHECK(ev.signing().manifest_sha256() == Sha256Hex(env->payload));

  SUBCASE("a proof whose event was altered is rejected") {
    (*f->extra)[10] ^= 1;
    REQUIRE(WriteFileAtomic(proof, f->Format()).ok());
    CHECK(Cmd(st, checker + " inclusion " + vkey + " " + proof).rc != 0);
  }
  SUBCASE("a proof checked under another log's key is rejected") {
    SignStation other;
    CHECK(Cmd(st, checker + " inclusion " + other.root + "/log.vkey " + proof).rc != 0);
  }
  SUBCASE("a checkpoint with an altered tree size is rejected") {
    std::string c = st.root + "/checkpoint";
    REQUIRE(WriteFileAtomic(c, ReadFile(st.station + "/log/checkpoint").value()).ok());
    std::string text = ReadFile(c).value();
    auto nl = text.find('\n');
    text.replace(nl + 1, text.find('\n', nl + 1) - nl - 1, "999");
    REQUIRE(WriteFileAtomic(c, text).ok());
    CHECK(Cmd(st, checker + " checkpoint " + vkey + " " + c).rc != 0);
  }
}

TEST_CASE("interop: the detached signature verifies with the openssl command line alone") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  REQUIRE(st.Sign(in, "out").rc == 0);
  std::string o = st.root + "/out/";
  for (const std::string& a : in.artifacts) {
    std::string name = a.substr(a.rfind('/') + 1);
    CmdResult r = Cmd(st, "openssl dgst -sha256 -verify " + o + "signing-key.pem -signature " + o +
                              name + ".sig " + a);
    CHECK_MESSAGE(r.rc == 0, r.all());
    CHECK(r.out.find("Verified OK") != std::string::npos);
  }
  Flip(in.artifacts[0], "5.4.3", "5.4.4");
  std::string name0 = in.artifacts[0].substr(in.artifacts[0].rfind('/') + 1);
  CHECK(Cmd(st, "openssl dgst -sha256 -verify " + o + "signing-key.pem -signature " + o + name0 +
                    ".sig " + in.artifacts[0])
            .rc != 0);
}

}  // namespace
}  // namespace sr::testing
