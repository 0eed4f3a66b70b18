// M-of-N custody end to end: the real binary on a real SoftHSMv2 station
// whose release PINs `station init --custody 2-of-3` split among three
// custodians; `sign --pin-source shares:a,b`; every refused share; `custody
// resplit` and the old shares failing afterwards.
#include "station/custody.h"

#include <unistd.h>

#include "station/pin_source.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

const std::string kCustody2of3 =
    " --custody 2-of-3 --custodian alice --custodian bob --custodian carol --shares-out shares";

// key generate takes its release PIN from a file: the test recovers it from
// two shares in process, and SignStation deletes the file afterwards.
void RecoverReleasePin(const SignStation& st) {
  auto src = ParsePinSource("shares:" + st.root + "/shares/alice-release-user.share," + st.root +
                                "/shares/bob-release-user.share",
                            "release PIN", PinTarget{st.station});
  REQUIRE(src.ok());
  auto pin = (*src)->ReadPin();
  REQUIRE_MESSAGE(pin.ok(), pin.status().ToString());
  REQUIRE(WriteFileAtomic(st.pins + "/release", std::string(pin->begin(), pin->end()), 0600).ok());
}

std::string Share(const SignStation& st, const std::string& who, const std::string& dir = "shares",
                  const std::string& pin = "user") {
  return st.root + "/" + dir + "/" + who + "-release-" + pin + ".share";
}

std::vector<std::string> Fingerprints(const SignStation& st) {
  auto rec = custody::ReadRecord(st.station, "release", "user");
  REQUIRE(rec.ok());
  return rec->current.fingerprints;
}

TEST_CASE(
    "custody: a station split 2-of-3 signs with two custodians' shares, logged by fingerprint") {
  SignStation st("ecdsa-p256", "rel", kCustody2of3, RecoverReleasePin);
  for (const char* who : {"alice", "bob", "carol"})
    for (const char* f : {"-release-user.share", "-release-so.share", "-log-so.share"})
      CHECK_MESSAGE(PathExists(st.root + "/shares/" + who + f), who, f);
  CHECK_FALSE(PathExists(st.pins + "/release"));

  auto evs = st.Events();
  int issued = 0;
  for (const auto& e : evs) {
    if (e.kind() != v1::EVENT_KIND_CUSTODY_SHARES_ISSUED) continue;
    ++issued;
    CHECK(e.custody_shares_issued().threshold() == 2);
    CHECK(e.custody_shares_issued().share_fingerprints_size() == 3);
    CHECK(e.custody_shares_issued().custodians(2) == "carol");
  }
  CHECK(issued == 3);

  st.release_pin_source = "shares:" + Share(st, "carol") + "," + Share(st, "alice");
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  CmdResult r = st.Sign(in, "out");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_SIGNING);
  std::vector<std::string> fps = Fingerprints(st);
  const auto& used = evs.back().pin_share_fingerprints();
  REQUIRE(used.size() == 2);
  CHECK(used[0] == fps[2]);
  CHECK(used[1] == fps[0]);
  CHECK(evs[evs.back().signing().intent_index()].pin_share_fingerprints_size() == 2);
  CHECK(st.Verify("out", in).rc == 0);
  CHECK(st.LogVerify().rc == 0);
}

TEST_CASE("custody: bad shares are refused by name; after a resplit the old shares fail") {
  SignStation st("ecdsa-p256", "rel", kCustody2of3, RecoverReleasePin);
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  const std::string a = Share(st, "alice"), b = Share(st, "bob");
  const std::size_t logged = st.Events().size();
  auto refused = [&](const std::string& shares, const std::string& says) {
    st.release_pin_source = "shares:" + shares;
    CmdResult r = st.Sign(in, "out");
    CHECK_MESSAGE(r.rc != 0, r.all());
    CHECK_MESSAGE(r.err.find(says) != std::string::npos, r.err);
    CHECK_FALSE(PathExists(st.root + "/out/manifest.dsse.json"));
    CHECK_MESSAGE(r.err.find("(logged as event ") != std::string::npos, r.err);
  };
  refused(a, "2 of 3 shares are needed to open the release token's user PIN, 1 given");
  refused(a + "," + a, a + " is given twice");
  std::string text = *ReadFile(b);
  std::size_t data = text.find("data: ") + 6;
  text[data] = text[data] == 'a' ? 'b' : 'a';
  REQUIRE(WriteFileAtomic(st.root + "/corrupt.share", text, 0600).ok());
  refused(a + "," + st.root + "/corrupt.share",
          st.root + "/corrupt.share: line 14 (\"data: ...\") does not match its check");
  // Another station, split the same way.
  CmdResult other = st.Sr("station init --station other --log-pin-source file:" + st.pins +
                          "/log --custody 2-of-3 --custodian alice --custodian bob --custodian "
                          "carol --shares-out other-shares");
  REQUIRE_MESSAGE(other.rc == 0, other.all());
  refused(a + "," + Share(st, "bob", "other-shares"), " belongs to another station");
  // Nothing signed, the token never opened; each refusal is in the log.
  auto after = st.Events();
  REQUIRE(after.size() == logged + 4);
  for (std::size_t i = logged; i < after.size(); ++i) {
    CHECK(after[i].kind() == v1::EVENT_KIND_EXCEPTION_RECORDED);
    CHECK(after[i].exception_recorded().summary() == "custodian PIN shares refused by sign");
  }
  CHECK(after.back().exception_recorded().detail().find("belongs to another station") !=
        std::string::npos);

  // A custodian change: dan, erin and fay replace alice, bob and carol.
  RecoverReleasePin(st);  // the old PIN, kept to show it stops working
  CmdResult rs = st.Sr("custody resplit --station " + st.station + " --pin-source shares:" + a +
                       "," + b + " --log-pin-source file:" + st.pins +
                       "/log --threshold 2 --custodian dan --custodian erin --custodian fay "
                       "--shares-out new --operator erin");
  REQUIRE_MESSAGE(rs.rc == 0, rs.all());
  CHECK(rs.out.find("old shares no longer open") != std::string::npos);
  auto evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_CUSTODY_SHARES_ISSUED);
  CHECK(evs.back().custody_shares_issued().custodians(0) == "dan");
  CHECK(evs.back().pin_share_fingerprints_size() == 2);
  std::vector<std::string> fps = Fingerprints(st);
  CHECK(evs.back().custody_shares_issued().share_fingerprints(1) == fps[1]);

  refused(a + "," + b, a + " is from an older split");
  // The old PIN itself no longer opens the token (C_SetPIN changed it).
  st.release_pin_source = "file:" + st.pins + "/release";
  CmdResult old = st.Sign(in, "out");
  CHECK(old.rc != 0);
  CHECK_MESSAGE(old.err.find("CKR_PIN_INCORRECT") != std::string::npos, old.err);

  st.release_pin_source = "shares:" + Share(st, "dan", "new") + "," + Share(st, "fay", "new");
  CmdResult r = st.Sign(in, "out2");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_SIGNING);
  REQUIRE(evs.back().pin_share_fingerprints_size() == 2);
  CHECK(evs.back().pin_share_fingerprints(0) == fps[0]);
  CHECK(evs.back().pin_share_fingerprints(1) == fps[2]);
  CHECK(st.LogVerify().rc == 0);
}

}  // namespace
}  // namespace sr::testing

namespace sr::testing {
namespace {

// A station split 2-of-3 (bob's shares sealed with a passphrase), no keys.
struct CustodyStation {
  CustodyStation() {
    REQUIRE(WriteFileAtomic(root + "/log.pin", "log-pin-12345\n", 0600).ok());
    REQUIRE(WriteFileAtomic(root + "/bob.pass", "correct horse\n", 0600).ok());
    CmdResult init =
        Sr("station init --station st --log-pin-source file:log.pin --custody 2-of-3 "
           "--custodian alice --custodian bob --custodian carol --shares-out shares "
           "--passphrase-source bob=file:bob.pass");
    REQUIRE_MESSAGE(init.rc == 0, init.all());
  }
  CmdResult Sr(const std::string& args) const {
    return Run("cd '" + root + "' && '" + STRONGROOM_BINARY + "' " + args, root + "/.stderr");
  }
  std::string Resplit(const std::string& extra) const {
    return "custody resplit --station st --log-pin-source file:log.pin --threshold 2 "
           "--custodian dan --custodian erin" +
           extra;
  }
  TempDir tmp{"sr-custody"};
  std::string root = tmp.path();
};

TEST_CASE("custody: shares typed at the prompt, one sealed by a passphrase, open a resplit") {
  CustodyStation cs;
  const std::string alice = cs.root + "/shares/alice-release-user.share";
  const std::string bob = cs.root + "/shares/bob-release-user.share";
  CHECK(ReadFile(bob)->find("protection: scrypt") != std::string::npos);
  CHECK(ReadFile(alice)->find("protection: none") != std::string::npos);
  CmdResult r = Run("cd '" + cs.root + "' && python3 '" + std::string(PTY_ANSWER) + "' " + alice +
                    " " + bob + " 'correct horse' -- '" + STRONGROOM_BINARY + "' " +
                    cs.Resplit(" --pin-source shares:prompt --shares-out new"));
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(r.out.find("share 1 of 2 needed") != std::string::npos);
  CHECK(r.out.find("passphrase of share file " + bob) != std::string::npos);
  CHECK(PathExists(cs.root + "/new/erin-release-user.share"));
  auto rec = custody::ReadRecord(cs.root + "/st", "release", "user");
  REQUIRE(rec.ok());
  CHECK(rec->current.custodians == std::vector<std::string>{"dan", "erin"});
  CHECK_FALSE(rec->pending.has_value());
}

TEST_CASE("custody: a resplit of the SO PIN works; the log user PIN is not for custodians") {
  CustodyStation cs;
  CmdResult so =
      cs.Sr(cs.Resplit(" --so --pin-source shares:shares/alice-release-so.share,"
                       "shares/carol-release-so.share --shares-out so --json"));
  REQUIRE_MESSAGE(so.rc == 0, so.all());
  CHECK(so.out.find("\"pin\":\"so\"") != std::string::npos);
  // The old SO shares are retired, the user PIN's shares are untouched.
  CmdResult again =
      cs.Sr(cs.Resplit(" --so --pin-source shares:shares/alice-release-so.share,"
                       "shares/carol-release-so.share --shares-out so2"));
  CHECK(again.rc == 9);
  CHECK(again.err.find("older split") != std::string::npos);
  CHECK_FALSE(PathExists(cs.root + "/so2/dan-release-so.share"));
  CmdResult log = cs.Sr(cs.Resplit(" --token log --pin-source file:log.pin --shares-out l"));
  CHECK(log.rc == 10);
  CHECK(log.err.find("stays the station operator's") != std::string::npos);
  CmdResult change = cs.Sr(
      "station change-pin --station st --old-pin-source file:log.pin --new-pin-source "
      "file:log.pin --log-pin-source file:log.pin");
  CHECK(change.rc == 10);
  CHECK(change.err.find("held by custodians") != std::string::npos);
  CmdResult bad = cs.Sr(
      "custody resplit --station st --log-pin-source file:log.pin --threshold 3 "
      "--custodian dan --custodian erin --shares-out x --pin-source "
      "shares:shares/alice-release-user.share");
  CHECK(bad.rc == 3);
  CHECK(bad.err.find("threshold must be 2 to the number of custodians (2); got 3") !=
        std::string::npos);
}

}  // namespace
}  // namespace sr::testing
