// `strongroom key revoke|retire|csr` end to end on a real station, and what
// revocation means for `sign` (refused, logged) and for `verify` (a release
// the log proves was signed before the revocation stays valid; one signed
// after a backdated compromise does not). The openssl command line checks
// the certification requests.
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

std::string LogPin(const SignStation& st) { return " --log-pin-source file:" + st.pins + "/log"; }

CmdResult Revoke(const SignStation& st, const std::string& label, const std::string& extra = "") {
  return st.Sr("key revoke --station " + st.station + " --label " + label +
               " --reason 'rotated in ceremony KR-7'" + LogPin(st) + extra);
}

CmdResult VerifyUnder(const SignStation& st, const std::string& release, const Inputs& in,
                      const std::string& policy_file) {
  std::string args =
      "verify --release " + st.root + "/" + release + " --policy " + st.root + "/" + policy_file;
  for (const auto& a : in.artifacts) args += " --artifact " + a;
  return st.Sr(args);
}

// w's policy, one version up, listing the station key as revoked by rk.
void WritePolicyRevoking(const SignStation& st, World w, std::uint64_t version,
                         const v1::RevokedKey& rk, const std::string& name) {
  w.policy.set_version(version);
  *w.policy.add_revoked_keys() = rk;
  WriteAll(st.root + "/" + name, w.Build().policy);
}

const v1::Event& Last(const std::vector<v1::Event>& events) {
  REQUIRE(!events.empty());
  return events.back();
}

TEST_CASE(
    "key revoke: a release signed before stays valid; sign refuses the key, logged; a "
    "backdated compromise invalidates it") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  CmdResult s = st.Sign(in, "out");
  REQUIRE_MESSAGE(s.rc == 0, s.all());
  std::uint64_t signing_index = 0;
  for (const auto& e : st.Events())
    if (e.kind() == v1::EVENT_KIND_SIGNING) signing_index = e.sequence();
  REQUIRE(signing_index > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the revocation's second is later

  CmdResult rev = Revoke(st, st.key_label);
  REQUIRE_MESSAGE(rev.rc == 0, rev.all());
  v1::Event revoked = Last(st.Events());
  CHECK(revoked.kind() == v1::EVENT_KIND_KEY_REVOKED);
  CHECK(revoked.key_revoked().fingerprint() == st.key_fingerprint);
  CHECK(revoked.key_revoked().key_label() == st.key_label);
  CHECK(revoked.key_revoked().reason() == "rotated in ceremony KR-7");
  CHECK(revoked.key_revoked().effective_time() == revoked.time());
  std::uint64_t R = revoked.sequence();
  CHECK(R > signing_index);
  CHECK(rev.out.find("event " + std::to_string(R) + " (KEY_REVOKED)") != std::string::npos);
  CHECK(st.Sr("key list --station " + st.station)
            .out.find("revoked (event " + std::to_string(R) + ")") != std::string::npos);
  CHECK(st.LogVerify().rc == 0);

  SUBCASE("revoking it again, or a key the station does not have, is refused and logged") {
    CmdResult again = Revoke(st, st.key_label);
    CHECK(again.rc == 10);
    CHECK(again.all().find("already revoked (event " + std::to_string(R)) != std::string::npos);
    v1::Event refusal = Last(st.Events());
    REQUIRE(refusal.kind() == v1::EVENT_KIND_REFUSAL);
    CHECK(refusal.refusal().key_fingerprint() == st.key_fingerprint);
    CHECK(EventReasons(refusal.refusal()) == std::set<CodeAndInput>{{"KEY_REVOKED", "log"}});
    CmdResult unknown = Revoke(st, "no-such-key");
    CHECK(unknown.rc == 4);
    CHECK(unknown.all().find("no key labelled 'no-such-key'") != std::string::npos);
    refusal = Last(st.Events());
    REQUIRE(refusal.kind() == v1::EVENT_KIND_REFUSAL);
    CHECK(refusal.refusal().key_label() == "no-such-key");
    CHECK(EventReasons(refusal.refusal()) ==
          std::set<CodeAndInput>{{"REQUEST_MALFORMED", "request"}});
    CHECK(st.Sr("key list --station " + st.station)
              .out.find("revoked (event " + std::to_string(R) + ")") != std::string::npos);
    CHECK(st.LogVerify().rc == 0);
  }

  SUBCASE("sign refuses the revoked key at once, though the installed policy authorizes it") {
    World w2 = st.Scenario();
    ForVersion(w2, "5.4.4", "5.4.3");
    Inputs in2 = st.Write(w2, "media2");
    CmdResult r = st.Sign(in2, "out2", "", "IC-22", "5.4.4");
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err).count({"KEY_REVOKED", "log"}) == 1);
    v1::Event refusal = Last(st.Events());
    REQUIRE(refusal.kind() == v1::EVENT_KIND_REFUSAL);
    CHECK(EventReasons(refusal.refusal()).count({"KEY_REVOKED", "log"}) == 1);
    CHECK(!std::filesystem::exists(st.root + "/out2"));
  }

  SUBCASE("the new policy revokes the key at the KEY_REVOKED index: the old release verifies") {
    v1::RevokedKey rk;
    rk.set_key_fingerprint(st.key_fingerprint);
    rk.set_reason("rotated");
    rk.set_revoked_at_log_index(R);
    *rk.mutable_revoked_at() = Ts(revoked.time());
    WritePolicyRevoking(st, w, 4, rk, "policy-v4.env");
    CmdResult inst = st.Sr("policy install --station " + st.station + " --in " + st.root +
                           "/policy-v4.env" + LogPin(st));
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    CmdResult v = VerifyUnder(st, "out", in, "policy-v4.env");
    CHECK_MESSAGE(v.rc == 0, v.all());
    CHECK(v.out.find("before the revocation (event " + std::to_string(R) + ")") !=
          std::string::npos);

    // Signing under the new policy is refused by the policy and by the log.
    World w2 = st.Scenario();
    ForVersion(w2, "5.4.4", "5.4.3");
    w2.policy.set_version(4);
    *w2.policy.add_revoked_keys() = rk;
    Inputs in2 = st.Write(w2, "media2");
    CmdResult r = st.Sign(in2, "out2", "", "IC-22", "5.4.4");
    CHECK(r.rc == 1);
    std::set<CodeAndInput> reasons = StderrReasons(r.err);
    CHECK(reasons.count({"KEY_REVOKED", "log"}) == 1);
    CHECK(reasons.count({"KEY_REVOKED", "request"}) == 1);
    CHECK(Last(st.Events()).kind() == v1::EVENT_KIND_REFUSAL);
  }

  SUBCASE("verify --compromised-since: before the signing refused, after it accepted") {
    std::string args = "verify --release " + st.root + "/out --key " + st.station + "/keys/" +
                       st.key_label + ".pem --vkey " + st.root + "/log.vkey";
    for (const auto& a : in.artifacts) args += " --artifact " + a;
    CmdResult before = st.Sr(args + " --compromised-since 2026-01-01T00:00:00Z");
    CHECK(before.rc == 1);
    CHECK(FailedChecks(before.err) == std::set<std::string>{"revocation"});
    CmdResult after = st.Sr(args + " --compromised-since " + revoked.time());
    CHECK_MESSAGE(after.rc == 0, after.all());
    CHECK(st.Sr(args + " --compromised-since soon").rc == 3);
  }

  SUBCASE("by revocation time alone (revokedAt) the old release verifies too") {
    v1::RevokedKey rk;
    rk.set_key_fingerprint(st.key_fingerprint);
    rk.set_reason("rotated");
    *rk.mutable_revoked_at() = Ts(revoked.time());
    WritePolicyRevoking(st, w, 4, rk, "policy-time.env");
    CmdResult v = VerifyUnder(st, "out", in, "policy-time.env");
    CHECK_MESSAGE(v.rc == 0, v.all());
  }

  SUBCASE("without its tlog-proof the release of a revoked key does not verify, and says why") {
    v1::RevokedKey rk;
    rk.set_key_fingerprint(st.key_fingerprint);
    rk.set_revoked_at_log_index(R);
    WritePolicyRevoking(st, w, 4, rk, "policy-v4.env");
    CopyDir(st.root + "/out", st.root + "/no-proof");
    std::filesystem::remove(st.root + "/no-proof/signing-event.tlog-proof");
    CmdResult v = VerifyUnder(st, "no-proof", in, "policy-v4.env");
    CHECK(v.rc == 1);
    CHECK(FailedChecks(v.err).count("revocation") == 1);
    CHECK(v.all().find("pass the release's .tlog-proof to show it was signed before the "
                       "revocation") != std::string::npos);
  }

  SUBCASE(
      "refused: compromise backdated before the signing, a revocation index at or before "
      "it, or a revocation that names no point") {
    v1::RevokedKey rk;
    rk.set_key_fingerprint(st.key_fingerprint);
    std::string name;
    SUBCASE("compromisedSince before the signing") {
      rk.set_revoked_at_log_index(R);
      *rk.mutable_compromised_since() = TsAt(Clock::now() - std::chrono::hours(2));
    }
    SUBCASE("revokedAtLogIndex at the signing event") {
      rk.set_revoked_at_log_index(signing_index);
    }
    SUBCASE("neither an index nor a time") {}
    WritePolicyRevoking(st, w, 4, rk, "policy-bad.env");
    CmdResult v = VerifyUnder(st, "out", in, "policy-bad.env");
    CHECK(v.rc == 1);
    CHECK(FailedChecks(v.err) == std::set<std::string>{"revocation"});
    CHECK(v.all().find("KEY_REVOKED") != std::string::npos);
  }
}

TEST_CASE(
    "key retire: sign refuses a retired key whatever the policy says; revoke still works "
    "and logs the compromise time") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  CmdResult ret = st.Sr("key retire --station " + st.station + " --label " + st.key_label +
                        " --reason 'end of life' --operator alice" + LogPin(st));
  REQUIRE_MESSAGE(ret.rc == 0, ret.all());
  v1::Event retired = Last(st.Events());
  CHECK(retired.kind() == v1::EVENT_KIND_KEY_RETIRED);
  CHECK(retired.key_retired().fingerprint() == st.key_fingerprint);
  CHECK(retired.key_retired().reason() == "end of life");
  CHECK(retired.operators_size() == 1);
  CHECK(st.Sr("key list --station " + st.station).out.find("retired (event") != std::string::npos);

  Inputs in = st.Write(w);
  CmdResult r = st.Sign(in, "out");
  CHECK(r.rc == 1);
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"KEY_RETIRED", "log"}});
  v1::Event refusal = Last(st.Events());
  REQUIRE(refusal.kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(refusal.refusal()) == std::set<CodeAndInput>{{"KEY_RETIRED", "log"}});

  CmdResult again =
      st.Sr("key retire --station " + st.station + " --label " + st.key_label + LogPin(st));
  CHECK(again.rc == 10);
  CHECK(again.all().find("already retired") != std::string::npos);
  CHECK(EventReasons(Last(st.Events()).refusal()) ==
        std::set<CodeAndInput>{{"KEY_RETIRED", "log"}});

  CmdResult future = Revoke(st, st.key_label, " --compromised-since 2999-01-01T00:00:00Z");
  CHECK(future.rc == 3);
  CHECK(future.all().find("is in the future") != std::string::npos);
  CmdResult bad = Revoke(st, st.key_label, " --compromised-since yesterday");
  CHECK(bad.rc == 3);
  CmdResult rev = Revoke(st, st.key_label, " --compromised-since 2026-01-02T03:04:05Z");
  REQUIRE_MESSAGE(rev.rc == 0, rev.all());
  v1::Event revoked = Last(st.Events());
  CHECK(revoked.kind() == v1::EVENT_KIND_KEY_REVOKED);
  CHECK(revoked.key_revoked().compromised_since() == "2026-01-02T03:04:05Z");
  CHECK(rev.out.find("\"compromisedSince\": \"2026-01-02T03:04:05Z\"") != std::string::npos);
  r = st.Sign(in, "out");
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"KEY_REVOKED", "log"}});
  CHECK(st.LogVerify().rc == 0);
}

TEST_CASE(
    "key csr: a PKCS#10 request signed in the token, for each algorithm, that openssl "
    "verifies with the key's own public key and subject") {
  SignStation st;
  for (const char* alg : {"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss-3072"}) {
    CAPTURE(alg);
    std::string label = std::string("csr-") + alg;
    CmdResult gen = st.Sr("key generate --station " + st.station + " --label " + label +
                          " --algorithm " + alg + st.Pins());
    REQUIRE_MESSAGE(gen.rc == 0, gen.all());
    std::string csr = st.root + "/" + label + ".csr.pem";
    CmdResult c = st.Sr("key csr --station " + st.station + " --label " + label +
                        " --subject '/C=DE/O=Example Controls/CN=IC-22 release signing'" +
                        " --out " + csr + " --pin-source file:" + st.pins + "/release");
    REQUIRE_MESSAGE(c.rc == 0, c.all());
    // openssl 3.0's `req -verify` exits 0 even when the signature fails: read what it says.
    CmdResult v = Run("openssl req -verify -in " + csr + " -noout");
    CHECK_MESSAGE(v.rc == 0, v.all());
    CHECK_MESSAGE(v.all().find("self-signature verify OK") != std::string::npos, v.all());
    CmdResult subj = Run("openssl req -in " + csr + " -noout -subject -nameopt compat");
    CHECK(subj.out.find("/C=DE/O=Example Controls/CN=IC-22 release signing") != std::string::npos);
    CmdResult pub = Run("openssl req -in " + csr + " -noout -pubkey");
    CHECK(pub.out == ReadAll(st.station + "/keys/" + label + ".pem"));
    // A flipped byte in the request's body no longer verifies.
    CmdResult der = Run("openssl req -in " + csr + " -outform DER -out " + csr + ".der");
    REQUIRE(der.rc == 0);
    std::string bytes = ReadAll(csr + ".der");
    std::size_t at = bytes.find("IC-22 release");
    REQUIRE(at != std::string::npos);
    bytes[at] = 'X';
    WriteAll(csr + ".bad.der", bytes);
    CmdResult tampered = Run("openssl req -verify -inform DER -in " + csr + ".bad.der -noout");
    CHECK(tampered.all().find("verify OK") == std::string::npos);
    CHECK(tampered.all().find("verify failure") != std::string::npos);
  }
  CmdResult comma =
      st.Sr("key csr --station " + st.station + " --label " + st.key_label +
            " --subject 'CN=Release,O=Example' --pin-source file:" + st.pins + "/release");
  REQUIRE_MESSAGE(comma.rc == 0, comma.all());
  CHECK(comma.out.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
  CmdResult bad = st.Sr("key csr --station " + st.station + " --label " + st.key_label +
                        " --subject '/XX=nope' --pin-source file:" + st.pins + "/release");
  CHECK(bad.rc == 3);
  CHECK(bad.all().find("'XX=nope'") != std::string::npos);
  CmdResult unknown =
      st.Sr("key csr --station " + st.station +
            " --label missing --subject /CN=x --pin-source file:" + st.pins + "/release");
  CHECK(unknown.rc == 4);
}

}  // namespace
}  // namespace sr::testing
