// Issue 19: the whole station on a second PKCS#11 module, tpm2-pkcs11 over a
// software TPM (swtpm + tpm2-abrmd on a private session bus:
// tests/testing/tpm.h). A TPM has no Ed25519, so the station's log key is
// ECDSA P-256 and its checkpoints are C2SP signed-note type 0x02; they are
// checked by strongroom and by an independent implementation
// (tests/interop/ecdsa_note_check.py, python3-cryptography). One TPM and as
// few signings as show each point: a TPM is slow.
#include <doctest/doctest.h>

#include <string>

#include "base/file.h"
#include "log/record.h"
#include "tests/testing/run.h"
#include "tests/testing/sign_station.h"
#include "tests/testing/tpm.h"

namespace sr::testing {
namespace {

bool Has(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

std::string ModuleArgs(const std::string& release, const std::string& log) {
  return std::string(" --module ") + kTpm2Pkcs11Module + " --token pkcs11:token=" + release +
         " --log-token pkcs11:token=" + log;
}

CmdResult IndependentCheck(const std::string& vkey_file, const std::string& files) {
  return Run("python3 '" + std::string(STRONGROOM_SOURCE_DIR) +
             "/tests/interop/ecdsa_note_check.py' '" + vkey_file + "' " + files);
}

TEST_CASE(
    "tpm: a station on tpm2-pkcs11 over swtpm inits, generates, signs, refuses, recovers "
    "from a crash and verifies, with ECDSA P-256 checkpoints") {
  // SignStation's PIN files hold "pin-of-<name>": the tokens get those PINs.
  SoftwareTpm tpm({{"release", "so-of-release", "pin-of-release"},
                   {"log", "so-of-log", "pin-of-log"},
                   {"demo-release", "so-of-demo-release", "pin-of-demo-release"},
                   {"demo-log", "so-of-demo-log", "pin-of-demo-log"}});
  tpm.Start();

  // station init: the module has no Ed25519, so the log key is P-256.
  SignStation st("ecdsa-p256", "rel", "", {}, ModuleArgs("release", "log"));
  auto json = ReadFile(st.station + "/station.json", 1 << 20);
  REQUIRE(json.ok());
  CHECK(Has(*json, "\"softhsm2_conf\"") == false);
  CHECK_MESSAGE(Has(*json, "\"algorithm\": \"ecdsa-p256\""), *json);
  CHECK_FALSE(Has(*json, "ed25519"));
  // The verifier key is type 0x02 (base64 "Aj..." of 0x02 || SPKI DER).
  CHECK_MESSAGE(Has(st.vkey, "+AjBZMBMG"), st.vkey);
  // No SoftHSMv2 token-file copies on another module.
  CHECK_FALSE(PathExists(st.station + "/token-backups"));
  CHECK_FALSE(PathExists(st.station + "/softhsm2.conf"));

  // key generate: what the TPM offers; Ed25519 refused with the list.
  CmdResult ed = st.Sr("key generate --station " + st.station +
                       " --label no-ed --algorithm ed25519" + st.Pins());
  CHECK(ed.rc != 0);
  CHECK_MESSAGE(Has(ed.all(), "does not offer ed25519"), ed.all());
  CHECK_MESSAGE(Has(ed.all(), "it offers ecdsa-p256, ecdsa-p384"), ed.all());
  CHECK_FALSE(PathExists(st.station + "/keys/no-ed.pem"));
  CHECK(ed.rc == 10);
  CHECK_MESSAGE(Has(ed.all(), "refusal logged as event"), ed.all());
  CHECK(st.Events().back().kind() == strongroom::v1::EVENT_KIND_REFUSAL);
  bool rsa = Has(ed.all(), "rsa-pss-3072");
  CmdResult p384 = st.Sr("key generate --station " + st.station +
                         " --label k384 --algorithm ecdsa-p384" + st.Pins());
  CHECK_MESSAGE(p384.rc == 0, p384.all());
  std::string k = st.station + "/keys/";
  CHECK(Run("openssl dgst -sha384 -verify " + k + "k384.pem -signature " + k + "k384.pop.sig " + k +
            "k384.pop")
            .rc == 0);
  if (rsa) {
    CmdResult r = st.Sr("key generate --station " + st.station +
                        " --label k3072 --algorithm rsa-pss-3072" + st.Pins());
    CHECK_MESSAGE(r.rc == 0, r.all());
    CHECK(Run("openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
              "-verify " +
              k + "k3072.pem -signature " + k + "k3072.pop.sig " + k + "k3072.pop")
              .rc == 0);
  }
  // The log key's own proof of possession, by openssl.
  CHECK(Run("openssl dgst -sha256 -verify " + k + "log.pem -signature " + k + "log.pop.sig " + k +
            "log.pop")
            .rc == 0);

  // sign, killed once in the middle (after the TPM signed, before the
  // SIGNING event): nothing is released; the retry signs.
  World w = st.Scenario();
  CmdResult pol = st.InstallPolicy(w);
  REQUIRE_MESSAGE(pol.rc == 0, pol.all());
  Inputs in = st.Write(w);
  ::setenv("STRONGROOM_TEST_CRASH_AT", "after-hsm", 1);
  CmdResult killed = st.Sign(in, "out");
  ::unsetenv("STRONGROOM_TEST_CRASH_AT");
  CHECK(killed.rc != 0);
  CHECK_FALSE(PathExists(st.root + "/out"));
  CmdResult signed_ = st.Sign(in, "out");
  REQUIRE_MESSAGE(signed_.rc == 0, signed_.all());

  // verify: strongroom (signature, policy, tlog-proof against the P-256
  // checkpoint), openssl for the detached signature, and the independent
  // ECDSA note check for the log's checkpoint and the proof's.
  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
  std::string out = st.root + "/out/";
  CHECK(Run("openssl dgst -sha256 -verify " + k + "rel.pem -signature " + out +
            "ic22-fw-5.4.3.bin.sig " + in.artifacts[0])
            .rc == 0);
  CmdResult ind = IndependentCheck(
      st.root + "/log.vkey", st.station + "/log/checkpoint " + out + "signing-event.tlog-proof");
  CHECK_MESSAGE(ind.rc == 0, ind.all());
  CHECK(Has(ind.out, "ok " + out + "signing-event.tlog-proof"));
  // ... and it is not a check that cannot fail: a changed checkpoint fails it.
  std::string cp = ReadFile(st.station + "/log/checkpoint", 1 << 16).value();
  std::string bad = cp;
  bad[bad.find('\n') + 1] ^= 1;  // the tree size's first digit
  REQUIRE(WriteFileAtomic(st.root + "/bad.checkpoint", bad).ok());
  CHECK(IndependentCheck(st.root + "/log.vkey", st.root + "/bad.checkpoint").rc != 0);

  // A refusal: the same version again (anti-rollback), logged.
  CmdResult again = st.Sign(in, "again");
  CHECK(again.rc != 0);
  CHECK_MESSAGE(Has(again.all(), "VERSION_NOT_ABOVE_LAST_SIGNED"), again.all());
  CHECK_FALSE(PathExists(st.root + "/again"));

  // A kill inside an append leaves a torn record: `log recover` cuts it and
  // logs that it did, under a new ECDSA checkpoint.
  std::string events = st.station + "/log/" + std::string(log::kEventsFile);
  std::string bytes = ReadFile(events, 1u << 20).value();
  REQUIRE(WriteFileAtomic(events, bytes + std::string("\x00\x00\x01\x00", 4) + "half", 0600).ok());
  CmdResult rec =
      st.Sr("log recover --station " + st.station + " --log-pin-source file:" + st.pins + "/log");
  CHECK_MESSAGE(rec.rc == 0, rec.all());
  CHECK(Has(rec.out, "removed a torn tail of 8 bytes"));

  // The auditor's check of the whole log (every ECDSA checkpoint).
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());

  // The IC-22 demo (scripts/demo.sh) on the module, on its own two tokens.
  std::string build = STRONGROOM_BINARY;
  build = build.substr(0, build.rfind("/cli/"));
  CmdResult demo =
      Run("DEMO_MODULE=" + std::string(kTpm2Pkcs11Module) +
          " DEMO_TOKENS='demo-release demo-log' DEMO_TOKEN_SECRETS='" + tpm.Sub("pins") + "' '" +
          STRONGROOM_SOURCE_DIR + "/scripts/demo.sh' '" + build + "'");
  INFO(demo.out);
  CHECK(demo.rc == 0);
  CHECK(Has(demo.out, "key protection: module " + std::string(kTpm2Pkcs11Module)));
  CHECK(Has(demo.out, "algorithm: ecdsa-p256"));
  CHECK(Has(demo.out, "does not offer ed25519"));
  CHECK(Has(demo.out, "REFUSED IC-22 5.4.3"));
  CHECK(Has(demo.out, "SIGNED IC-22 5.4.3"));
  CHECK(Has(demo.out, "verified: IC-22 5.4.3 is signed by an authorized key"));
  CHECK(Has(demo.out, "VERSION_NOT_ABOVE_LAST_SIGNED"));
  CHECK(Has(demo.out, "log verified: strongroom/"));
  CHECK(Has(demo.out, "CEREMONY_COMPLETED     1"));
}

}  // namespace
}  // namespace sr::testing
