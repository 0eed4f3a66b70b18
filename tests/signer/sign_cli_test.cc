// `strongroom sign` and `strongroom verify` end to end: the real binary, a
// real SoftHSMv2 station, the IC-22 reference scenario.
#include "tests/signer/sign_fixture.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

int CountKind(const std::vector<v1::Event>& evs, v1::EventKind k) {
  int n = 0;
  for (const auto& e : evs) n += e.kind() == k;
  return n;
}

TEST_CASE("sign: the reference release is signed, logged before its outputs, and verifies") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE_MESSAGE(st.InstallPolicy(w).rc == 0, st.InstallPolicy(w).all());
  Inputs in = st.Write(w);
  CmdResult r = st.Sign(in, "out", " --operator erin --operator frank");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(r.out.find("SIGNED IC-22 5.4.3") != std::string::npos);
  for (const char* f :
       {"manifest.dsse.json", "ic22-fw-5.4.3.bin.sig", "ic22-fw-5.4.3.manifest.sig",
        "signing-event.tlog-proof", "vsa.dsse.json", "signing-key.pem", "station-attestation.pem"})
    CHECK_MESSAGE(PathExists(st.root + "/out/" + f), f);

  auto evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_SIGNING);
  const v1::SigningEvent& s = evs.back().signing();
  CHECK(s.product() == "IC-22");
  CHECK(s.version() == "5.4.3");
  CHECK(s.key_fingerprint() == st.key_fingerprint);
  CHECK(s.key_authorization_id() == "auth-ic22-fw-2026");
  CHECK(s.approvers_size() == 2);
  CHECK(s.previous_version().empty());
  CHECK(s.artifacts_size() == 2);
  CHECK(s.signatures_size() == 4);  // two artifacts, the manifest, the VSA
  CHECK(evs[s.intent_index()].kind() == v1::EVENT_KIND_SIGNING_INTENT);
  CHECK(evs.back().operators_size() == 2);
  CHECK(CountKind(evs, v1::EVENT_KIND_POLICY_INSTALLED) == 1);

  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
  CHECK(st.LogVerify().rc == 0);
}

}  // namespace
}  // namespace sr::testing
