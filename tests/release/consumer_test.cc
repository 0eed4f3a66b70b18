// What a device checks that only it knows: artifacts matched by digest under
// any file name, the product it is, its configuration and cohort against the
// approved scope and exclusions, anti-rollback against its installed version;
// and an auditor's older checkpoint given as a release's tlog-proof.
#include <filesystem>
#include <memory>

#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBin = "ic22-fw-5.4.3.bin";

// A station whose policy covers IC-22 and IC-23 with one key authorized for
// both; it signed IC-22 5.4.3 into "out".
struct TwoProducts {
  SignStation st;
  Inputs in;
  std::string policy_path;
  TwoProducts() {
    World w = st.Scenario();
    auto* second = w.policy.add_products();
    *second = w.policy.products(0);
    second->set_name("IC-23");
    auto* auth = w.policy.add_key_authorizations();
    *auth = w.policy.key_authorizations(0);
    auth->set_id("auth-ic23-fw-2026");
    auth->set_product("IC-23");
    CmdResult inst = st.InstallPolicy(w);
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    policy_path = st.root + "/policy.env";
    in = st.Write(w);
    CmdResult r = st.Sign(in, "out");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
  }
  CmdResult Verify(const std::string& artifact, const std::string& extra) const {
    return st.Sr("verify --release " + st.root + "/out --policy " + policy_path + " --artifact " +
                 artifact + extra);
  }
};

TwoProducts& T() {
  static std::unique_ptr<TwoProducts> t;
  if (!t) t = std::make_unique<TwoProducts>();
  return *t;
}

std::string Artifact() { return T().st.root + "/media/" + kBin; }

TEST_CASE("verify: the right bytes under another file name verify, named as the manifest's subject") {
  std::string renamed = T().st.root + "/download.bin";
  fs::copy_file(Artifact(), renamed, fs::copy_options::overwrite_existing);
  CmdResult r = T().Verify(renamed, " --product IC-22");
  CHECK_MESSAGE(r.rc == 0, r.all());
  CHECK(r.out.find("is the manifest's artifact '" + kBin + "'") != std::string::npos);
  CHECK(r.out.find("checked as the file 'download.bin'") != std::string::npos);

  SUBCASE("--name makes the file name part of the check") {
    CmdResult n = T().Verify(renamed, " --product IC-22 --name");
    CHECK(n.rc == 1);
    CHECK(n.err.find("the file is named 'download.bin' but the manifest names this artifact '" +
                     kBin + "'") != std::string::npos);
    CHECK(T().Verify(Artifact(), " --product IC-22 --name").rc == 0);
  }
  SUBCASE("other bytes are refused whatever their name") {
    std::string other = T().st.root + "/other.bin";
    REQUIRE(WriteFileAtomic(other, "not the firmware").ok());
    CmdResult o = T().Verify(other, " --product IC-22");
    CHECK(o.rc == 1);
    CHECK(o.err.find("is not the digest of any artifact of this manifest") != std::string::npos);
  }
}

TEST_CASE("verify: a device says which product it is; another product's release is refused") {
  SUBCASE("the policy covers two products: --product is required") {
    CmdResult r = T().Verify(Artifact(), "");
    CHECK(r.rc == 1);
    CHECK(r.err.find("covers 2 products: give --product") != std::string::npos);
  }
  SUBCASE("an IC-23 device refuses the IC-22 release signed by a key authorized for both") {
    CmdResult r = T().Verify(Artifact(), " --product IC-23");
    CHECK(r.rc == 1);
    CHECK(r.err.find("FAILED  product") != std::string::npos);
    CHECK(r.err.find("the release is for product IC-22, not IC-23") != std::string::npos);
  }
  SUBCASE("the IC-22 device accepts it") {
    CmdResult r = T().Verify(Artifact(), " --product IC-22");
    CHECK_MESSAGE(r.rc == 0, r.all());
    CHECK(r.out.find("ok      product: the release is for product IC-22") != std::string::npos);
  }
}

TEST_CASE("verify: the deployment scope and the installed version are enforced on the device") {
  struct Row {
    const char* extra;
    int rc;
    const char* says;
  };
  const Row rows[] = {
      {" --configuration reference --cohort A --installed-version 5.4.2", 0,
       "configuration reference is approved"},
      {" --configuration regional", 1,
       "configuration regional is excluded from this release (recovery test not yet passed"},
      {" --configuration lab-bench", 1,
       "configuration lab-bench is not in the release's approved scope (reference)"},
      {" --cohort B", 1, "cohort B is not approved for this release"},
      {" --installed-version 5.4.3", 1, "not above the installed 5.4.3: installing it would be a rollback"},
      {" --installed-version 6.0.0", 1, "not above the installed 6.0.0"},
      {" --installed-version 5.4.2", 0, "version 5.4.3 is above the installed 5.4.2"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.extra);
    CmdResult r = T().Verify(Artifact(), std::string(" --product IC-22") + row.extra);
    CHECK_MESSAGE(r.rc == row.rc, r.all());
    CHECK(r.all().find(row.says) != std::string::npos);
  }
}

TEST_CASE("log: an auditor's older checkpoint may be a release's tlog-proof") {
  const SignStation& st = T().st;
  std::string proof = st.root + "/out/signing-event.tlog-proof";
  std::string vkey = " --vkey " + st.root + "/log.vkey";
  SUBCASE("log verify --since a tlog-proof") {
    CmdResult r = st.Sr("log verify --station " + st.station + vkey + " --since " + proof);
    CHECK_MESSAGE(r.rc == 0, r.all());
    CHECK(r.out.find("consistent with your checkpoint") != std::string::npos);
  }
  SUBCASE("log consistency --from a tlog-proof, then verify-proof --old the same proof") {
    CmdResult c = st.Sr("log consistency --station " + st.station + " --from " + proof +
                        " --out " + st.root + "/c.proof");
    REQUIRE_MESSAGE(c.rc == 0, c.all());
    CmdResult v = st.Sr("log verify-proof" + vkey + " " + st.root + "/c.proof --old " + proof);
    CHECK_MESSAGE(v.rc == 0, v.all());
    SUBCASE("without --old nothing was checked against a checkpoint you hold: not a success") {
      CmdResult n = st.Sr("log verify-proof" + vkey + " " + st.root + "/c.proof");
      CHECK(n.rc != 0);
      CHECK(n.err.find("give --old CHECKPOINT") != std::string::npos);
      CHECK(n.out.find("proof verified") == std::string::npos);
    }
  }
  SUBCASE("the wrong kind of file is named as such, not as tampering") {
    CmdResult r = st.Sr("log verify --station " + st.station + vkey + " --since " + st.root +
                        "/out/manifest.dsse.json");
    CHECK(r.rc == 3);
    CHECK(r.err.find("is not a checkpoint: give a checkpoint note you kept") != std::string::npos);
    CHECK(r.err.find("altered or forged") == std::string::npos);
  }
}

}  // namespace
}  // namespace sr::testing
