// `make demo` is part of the product: the firmware 5.4.3 ceremony must keep
// running end to end and tell the story of the seed (refused with the
// regional configuration in scope, signed with it excluded, verified), the
// signing as a ceremony run of the signing-session definition with
// authenticated participants, a witnessed clock check and the release PIN
// from two custodians' shares, and its transcript printed from the log.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/testing/run.h"

namespace {

TEST_CASE("demo: make demo runs the firmware 5.4.3 ceremony end to end in under a minute") {
  std::string build = STRONGROOM_BINARY;
  build = build.substr(0, build.rfind("/cli/"));
  std::string cmd = "'" + std::string(STRONGROOM_SOURCE_DIR) + "/scripts/demo.sh' '" + build + "'";
  auto t0 = std::chrono::steady_clock::now();
  sr::testing::CmdResult r = sr::testing::Run(cmd);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string& out = r.out;
  INFO(out);
  REQUIRE(r.rc != -1);  // exited (not killed by a signal)
  CHECK(r.rc == 0);
  CHECK(seconds < 60);
  auto has = [&](const char* s) { return out.find(s) != std::string::npos; };
  // Keys of all four algorithms prove possession to openssl.
  auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (auto at = out.find(s); at != std::string::npos; at = out.find(s, at + 1)) ++n;
    return n;
  };
  // openssl dgst: P-256, P-384, RSA-PSS proofs and the boot loader's check;
  // openssl pkeyutl: the Ed25519 proofs (a demo key and the log key).
  CHECK(count("Verified OK") == 4);
  CHECK(count("Signature Verified Successfully") == 2);
  CHECK(has("KEY_GENERATED          6"));
  // The refusal names the untested configuration and the missing test.
  CHECK(has("REFUSED IC-22 5.4.3"));
  CHECK(has("EVIDENCE_REQUIRED_MISSING"));
  CHECK(has("configuration \"regional\" is in scope but has no passing \"recovery\""));
  // The seed's approval is signed, verified by strongroom and by openssl.
  CHECK(has("SIGNED IC-22 5.4.3"));
  CHECK(has("verified: IC-22 5.4.3 is signed by an authorized key"));
  CHECK(has("Verified OK"));
  CHECK(has("VERSION_NOT_ABOVE_LAST_SIGNED"));
  CHECK(has("log verified: strongroom/"));
  // The auditor's replay: the signing and both refusals judged again.
  CHECK(has("replay: every event of the log is justified by its evidence"));
  CHECK(has("ok      gate: 1 passed, 0 failed"));
  CHECK(has("ok      refusal: 2 passed, 0 failed"));
  CHECK(has("SIGNING                1"));
  CHECK(has("REFUSAL                2"));
  // The station's release PINs are in custody, 2 of 3; two shares open the token.
  CHECK(has("CUSTODY_SHARES_ISSUED  3"));
  CHECK(has("--pin-source shares:"));
  // The signing is a ceremony: five people authenticated by their keys, the
  // clock checked with witnesses, four steps, completed; its transcript shown.
  CHECK(count("  authenticated: ") == 5);
  CHECK(has("CLOCK_CHECKED          1"));
  CHECK(has("CEREMONY_STEP          4"));
  CHECK(has("CEREMONY_COMPLETED     1"));
  CHECK(has("== Step 3 of 4: sign-release"));
  CHECK(has("completed (4 steps, each logged)"));
  CHECK(has("| Outcome | completed |"));
  CHECK(has("custodian: Heidi (authenticated, key "));
  // Issue 17, acceptance 1: signed with product security's OpenVEX and the
  // bound documents; lifecycle records; the auditor's report answers the
  // seed's five questions (each cited event's proof accepted by log
  // verify-proof), reference at Level 5 (verified and its deployment
  // retained), regional excluded; on 2026-12-16 the regional follow-up is
  // overdue until the release owner's recorded decision clears it (the demo
  // fails when it does not).
  CHECK(has("ok      record: 2 passed, 0 failed"));
  CHECK(has("LIFECYCLE_RECORDED     3"));
  CHECK(has("ALREADY RECORDED"));
  const char* const questions[] = {
      "Was the update approved before signing and deployment?",
      "Is the update package signed by an authorized key for this product and release?",
      "Is the affected-version analysis tied to product versions and vulnerability records?",
      "Are rollback and recovery conditions documented and tested?",
      "Are deployment failures, exclusions, and customer notification decisions retained?"};
  for (int i = 0; i < 5; ++i) {
    std::string row = "| " + std::to_string(i + 1) + " | " + questions[i] + " | yes |";
    CHECK_MESSAGE(has(row.c_str()), row);
  }
  CHECK(has("| yes | OpenVEX "));
  CHECK(has("VULN-2026-014 fixed, affected: 5.4.2, fixed in: 5.4.3"));
  CHECK(has("Level 5 for reference, Level 2 for regional; not Level 5 for regional: excluded"));
  CHECK(has("log verify-proof accepted every one"));
  CHECK(has("| overdue-follow-up | configuration regional | 2026-12-15 |"));
  CHECK(has("RECORDED exclusion-decision extend for IC-22 5.4.3, configuration regional"));
  CHECK(has("On 2026-12-16 nothing is overdue any more"));
}

}  // namespace
