// `strongroom verify --witness VKEY --witness-threshold K` against a release
// the real station signed: refused while its tlog-proof's checkpoint is not
// cosigned, accepted once a witness cosigned the exported checkpoint, the
// station stored the cosignature and `log outputs` re-issued the release.
#include <filesystem>
#include <memory>

#include "log/proof.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace fs = std::filesystem;

// A station that signed one release into "out", its log exported to
// "tiles" and cosigned there by witness w1 (w2 never cosigns), the
// cosignature given back to the station and the release re-issued into
// "out-witnessed".
struct Witnessed {
  SignStation st;
  Inputs in;
  std::string w1, w2;  // vkey files
  Witnessed() {
    CmdResult inst = st.InstallPolicy(st.Scenario());
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    in = st.Write(st.Scenario());
    CmdResult r = st.Sign(in, "out");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    for (const char* n : {"w1", "w2"}) {
      CmdResult k = st.Sr(std::string("log witness-key --name witness.test/") + n + " --out " +
                          st.root + "/" + n + ".pem --vkey-out " + st.root + "/" + n + ".vkey");
      REQUIRE_MESSAGE(k.rc == 0, k.all());
    }
    w1 = st.root + "/w1.vkey";
    w2 = st.root + "/w2.vkey";
    std::string tiles = st.root + "/tiles";
    r = st.Sr("log export --station " + st.station + " --tiles " + tiles);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    r = st.Sr("log cosign --witness-key " + st.root + "/w1.pem --witness-vkey " + w1 + " --log " +
              tiles + " --state " + st.root + "/w1.state --init --vkey " + st.root +
              "/log.vkey --out " + st.root + "/w1.cosig");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    r = st.Sr("log add-cosignature --station " + st.station + " --checkpoint " + tiles +
              "/checkpoint --cosignature " + st.root + "/w1.cosig --witness " + w1);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    std::uint64_t signing = 0;
    for (const auto& e : st.Events())
      if (e.kind() == strongroom::v1::EVENT_KIND_SIGNING) signing = e.sequence();
    r = st.Sr("log outputs --station " + st.station + " --index " + std::to_string(signing) +
              " --out " + st.root + "/out-witnessed");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
  }
};

Witnessed& W() {
  static std::unique_ptr<Witnessed> w;
  if (!w) w = std::make_unique<Witnessed>();
  return *w;
}

TEST_CASE("verify: --witness-threshold 1 accepts a release whose tlog-proof is cosigned") {
  CmdResult r =
      W().st.Verify("out-witnessed", W().in,
                    " --witness " + W().w1 + " --witness " + W().w2 + " --witness-threshold 1");
  CHECK_MESSAGE(r.rc == 0, r.all());
  CHECK(r.out.find("ok      witness: the proof's checkpoint is cosigned by 1 of 2 witnesses "
                   "(witness.test/w1), 1 required") != std::string::npos);
  // Without --witness the cosignatures change nothing.
  CHECK(W().st.Verify("out-witnessed", W().in).rc == 0);
}

TEST_CASE("verify: a release whose proof lacks K valid cosignatures is refused, check witness") {
  SUBCASE("the release as signed: its checkpoint was never cosigned") {
    CmdResult r = W().st.Verify("out", W().in, " --witness " + W().w1 + " --witness-threshold 1");
    CHECK(r.rc == 1);
    CHECK_MESSAGE(r.all().find("FAILED  witness") != std::string::npos, r.all());
    CHECK(r.all().find("0 valid cosignature(s)") != std::string::npos);
  }
  SUBCASE("cosigned by another witness than the one required") {
    CmdResult r = W().st.Verify("out-witnessed", W().in, " --witness " + W().w2);
    CHECK(r.rc == 1);
    CHECK(r.all().find("FAILED  witness") != std::string::npos);
  }
  SUBCASE("two required, one cosigned") {
    CmdResult r =
        W().st.Verify("out-witnessed", W().in,
                      " --witness " + W().w1 + " --witness " + W().w2 + " --witness-threshold 2");
    CHECK(r.rc == 1);
    CHECK(r.all().find("1 valid cosignature(s) by the given witnesses, 2 required") !=
          std::string::npos);
  }
  SUBCASE("the cosignature altered in the proof") {
    std::string dir = W().st.root + "/out-altered";
    fs::remove_all(dir);
    fs::copy(W().st.root + "/out-witnessed", dir, fs::copy_options::recursive);
    std::string path = dir + "/signing-event.tlog-proof";
    std::string proof = ReadAll(path);
    std::size_t at = proof.find("witness.test/w1 ");
    REQUIRE(at != std::string::npos);
    std::size_t c = at + std::string("witness.test/w1 ").size() + 30;
    proof[c] = proof[c] == 'A' ? 'B' : 'A';
    WriteAll(path, proof);
    CmdResult r = W().st.Sr("verify --release " + dir + " --key " + W().st.station +
                            "/keys/rel.pem --vkey " + W().st.root + "/log.vkey --artifact " +
                            W().in.artifacts[0] + " --witness " + W().w1);
    CHECK(r.rc == 1);
    CHECK(r.all().find("FAILED  witness") != std::string::npos);
    CHECK(r.all().find("ok      tlog-proof") != std::string::npos);
  }
  SUBCASE("a threshold above the keys given is a usage error") {
    CmdResult r =
        W().st.Verify("out-witnessed", W().in, " --witness " + W().w1 + " --witness-threshold 2");
    CHECK(r.rc == 3);
  }
}

}  // namespace
}  // namespace sr::testing
