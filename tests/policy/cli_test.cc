// End-to-end through the real `strongroom` binary: policy init, sign with two
// governance keys, install (first install, rotation, rollback refused), show;
// approve create, sign by two approvers separately, merge; and the merged
// approval meets the gate's 2-of-3 threshold.
#include <doctest/doctest.h>

#include <filesystem>

#include "base/file.h"
#include "tests/testing/files.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

struct Station {
  TempDir tmp{"sr-cli"};
  std::string dir = tmp.path();
  std::string P(const std::string& name) const { return dir + "/" + name; }

  // Runs strongroom with args in dir; returns the exit code, stdout in *out.
  int Run(const std::string& args, std::string* out = nullptr) const {
    CmdResult r =
        testing::Run("cd '" + dir + "' && '" + STRONGROOM_BINARY + "' " + args, P("stderr.txt"));
    if (out) *out = r.out;
    return r.rc;
  }
  std::string Stderr() const { return ReadAll(P("stderr.txt")); }

  // A real station (its own SoftHSMv2 tokens and log) in dir/station.
  void InitStation() const {
    REQUIRE(MakeDirs(P("pins"), 0700).ok());
    for (const char* n : {"rso", "rel", "lso", "log"})
      REQUIRE(
          WriteFileAtomic(P(std::string("pins/") + n), std::string("pin-") + n + "\n", 0600).ok());
    REQUIRE(Run("station init --station station --release-so-pin-source file:pins/rso"
                " --release-pin-source file:pins/rel --log-so-pin-source file:pins/lso"
                " --log-pin-source file:pins/log") == 0);
  }
  static std::string LogPin() { return " --log-pin-source file:pins/log"; }

  void NewKey(const std::string& name) const {
    SecretBytes pem = NewKeyPem("ec256");
    WriteAll(P(name + ".key"), AsText(pem), 0600);
    auto s = KeyFileSigner::FromPem(pem);
    REQUIRE(s.ok());
    WriteAll(P(name + ".pub"), s.value()->Public().pem(), 0644);
  }
};

std::string InitArgs(int version) {
  return "policy init --force --out policy.json --product IC-22 --version " +
         std::to_string(version) +
         " --governance-key g1.pub --governance-key g2.pub --governance-key g3.pub "
         "--governance-threshold 2"
         " --approver-key a1.pub --approver-key a2.pub --approver-key a3.pub --approval-threshold 2"
         " --builder-id https://ci.example.com/b --builder-key b.pub --source-repo "
         "https://git.example.com/fw"
         " --build-type https://ci.example.com/bt --test-lab-key lab.pub --required-test rollback"
         " --required-test recovery --configuration reference --configuration regional "
         "--signing-key s.pub"
         " --min-version 5.0.0";
}

TEST_CASE("cli: each verb's help, and the top-level help lists every verb") {
  Station st;
  const char* verbs[] = {"station", "key", "policy", "approve", "sign", "verify", "log"};
  std::string top;
  REQUIRE(st.Run("--help", &top) == 0);
  for (const char* v : verbs) {
    CAPTURE(v);
    CHECK(top.find("\n  " + std::string(v) + " ") != std::string::npos);
    // A command line naming a verb builds only that verb (signer/main.cc):
    // its help, its subcommands' help and a misuse must still work.
    for (const std::string& pre : {std::string(), std::string("--json ")}) {
      std::string out;
      CHECK(st.Run(pre + v + " --help", &out) == 0);
      CHECK(out.find("Usage: strongroom " + std::string(v)) != std::string::npos);
    }
    CHECK(st.Run(std::string(v) + " --no-such-option") == 2);
    CHECK(st.Stderr().find("Run with --help") != std::string::npos);
  }
  std::string out;
  CHECK(st.Run("log vkey --help", &out) == 0);
  CHECK(out.find("Usage: strongroom log vkey") != std::string::npos);
  CHECK(st.Run("sgn") == 2);  // not a verb: every verb is built, and none matches
  CHECK(st.Run("--version", &out) == 0);
  CHECK(out.find("strongroom ") == 0);
}

TEST_CASE(
    "cli: policy init, sign by two governance keys, install, rotate, refuse a rollback, show") {
  Station s;
  for (const char* k : {"g1", "g2", "g3", "a1", "a2", "a3", "b", "lab", "s"}) s.NewKey(k);
  s.InitStation();
  REQUIRE(s.Run(InitArgs(1)) == 0);
  REQUIRE(s.Run("policy sign --key g1.key --in policy.json --out policy.v1.env") == 0);
  CHECK(s.Run("policy install --station station --in policy.v1.env" + s.LogPin()) == 1);
  CHECK(s.Stderr().find("POLICY_GOVERNANCE_THRESHOLD_NOT_MET") != std::string::npos);
  REQUIRE(s.Run("policy sign --key g2.key --in policy.v1.env") == 0);
  REQUIRE(s.Run("policy install --station station --in policy.v1.env" + s.LogPin()) == 0);
  CHECK(PathExists(s.P("station/policy/current.json")));

  std::string out;
  REQUIRE(s.Run("--json policy show --station station", &out) == 0);
  CHECK(out.find("\"valid\":true") != std::string::npos);
  CHECK(out.find("\"version\":\"1\"") != std::string::npos);
  REQUIRE(s.Run("policy show --station station", &out) == 0);
  CHECK(out.find("governance: 2 of 3") != std::string::npos);

  // Version 2, signed by two current keys (which are also its own): accepted.
  REQUIRE(s.Run(InitArgs(2)) == 0);
  REQUIRE(s.Run("policy sign --key g3.key --in policy.json --out policy.v2.env") == 0);
  CHECK(s.Run("policy install --station station --in policy.v2.env" + s.LogPin()) == 1);
  REQUIRE(s.Run("policy sign --key g2.key --in policy.v2.env") == 0);
  REQUIRE(s.Run("--json policy install --station station --in policy.v2.env" + s.LogPin(), &out) ==
          0);
  CHECK(out.find("\"previous_version\":1") != std::string::npos);
  // Re-installing version 1 is a rollback.
  CHECK(s.Run("policy install --station station --in policy.v1.env" + s.LogPin()) == 1);
  CHECK(s.Stderr().find("POLICY_VERSION_NOT_HIGHER") != std::string::npos);
  int kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(s.P("station/policy")))
    kept += e.path().filename().string().size() == 64 + 5;
  CHECK(kept == 2);

  // The log, not the files, says what is installed: both installations and
  // the three refusals are events.
  REQUIRE(s.Run("--json log show --station station", &out) == 0);
  auto count = [&](const std::string& what) {
    int n = 0;
    for (auto at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count("\"EVENT_KIND_POLICY_INSTALLED\"") == 2);
  CHECK(count("\"EVENT_KIND_REFUSAL\"") == 3);
  CHECK(count("POLICY_VERSION_NOT_HIGHER") == 1);
  // current.json replaced by the older policy: installing the current one
  // again only repairs the file (no new event), as after a crash mid-install.
  std::filesystem::copy_file(s.P("policy.v1.env"), s.P("station/policy/current.json"),
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(s.Run("policy install --station station --in policy.v2.env" + s.LogPin(), &out) == 0);
  CHECK(out.find("already installed") != std::string::npos);
  CHECK(ReadFile(s.P("station/policy/current.json")).value() ==
        ReadFile(s.P("policy.v2.env")).value());
  // A policy file that cannot be read is refused, logged, and changes nothing.
  CHECK(s.Run("policy install --station station --in no-such-policy.env" + s.LogPin()) == 4);
  CHECK(s.Stderr().find("no-such-policy.env") != std::string::npos);
  REQUIRE(s.Run("--json log show --station station", &out) == 0);
  CHECK(count("\"EVENT_KIND_REFUSAL\"") == 4);
  CHECK(count("INPUT_MISSING") == 1);
  CHECK(ReadFile(s.P("station/policy/current.json")).value() ==
        ReadFile(s.P("policy.v2.env")).value());
  // A policy file the log never recorded is refused as tampering.
  Station other;
  other.InitStation();
  REQUIRE(MakeDirs(other.P("station/policy")).ok());
  std::filesystem::copy_file(s.P("policy.v1.env"), other.P("station/policy/current.json"));
  CHECK(other.Run("policy install --station station --in " + s.P("policy.v2.env") +
                  other.LogPin()) == 6);
  CHECK(other.Stderr().find("log records no policy installation") != std::string::npos);
}

TEST_CASE("cli: approve create, two approvers sign separately, merge meets the 2-of-3 threshold") {
  Station s;
  for (const char* k : {"g1", "g2", "g3", "a1", "a2", "a3", "b", "lab", "s"}) s.NewKey(k);
  REQUIRE(WriteFileAtomic(s.P("fw.bin"), "IC-22 firmware 5.4.3").ok());
  REQUIRE(
      s.Run(
          "approve create --product IC-22 --version 5.4.3 --previous-version 5.4.2 --artifact "
          "fw.bin"
          " --cohort A --configuration reference --exclusion"
          " 'regional;recovery test not yet passed;stays on 5.4.2;2026-04-15'"
          " --vulnerability VULN-2026-014 --required-evidence rollback --required-evidence recovery"
          " --out approval.json") == 0);
  CHECK(
      s.Run(
          "approve create --product IC-22 --version 5.4.3 --artifact fw.bin --out approval.json") ==
      11);
  std::filesystem::copy_file(s.P("approval.json"), s.P("a1.json"));
  std::filesystem::copy_file(s.P("approval.json"), s.P("a2.json"));
  REQUIRE(s.Run("approve sign --key a1.key --in a1.json") == 0);
  REQUIRE(s.Run("approve sign --key a2.key --in a2.json") == 0);
  REQUIRE(s.Run("approve merge --in a1.json --in a2.json --out merged.json") == 0);
  std::string out;
  REQUIRE(s.Run("--json approve show --in merged.json", &out) == 0);
  CHECK(out.find("\"signatures\":2") != std::string::npos);
  CHECK(out.find("VULN-2026-014") != std::string::npos);

  auto env = policy::ParseEnvelope(ReadFile(s.P("merged.json")).value(), "merged");
  REQUIRE(env.ok());
  std::vector<policy::PublicKey> approvers;
  for (const char* k : {"a1", "a2", "a3"})
    approvers.push_back(
        policy::PublicKey::FromPem(ReadFile(s.P(std::string(k) + ".pub")).value()).value());
  CHECK(policy::VerifySignatures(env.value(), approvers).accepted.size() == 2);
  auto a = policy::ParseApproval(env.value(), "merged");
  REQUIRE(a.ok());
  CHECK(a->predicate.exclusions(0).follow_up_date() == "2026-04-15");
  CHECK(a->statement.subjects[0].digest.at("sha256") == Sha256Hex("IC-22 firmware 5.4.3"));

  // Merging an approval of different content is refused.
  REQUIRE(
      s.Run("approve create --product IC-22 --version 5.4.4 --artifact fw.bin --out other.json") ==
      0);
  CHECK(s.Run("approve merge --in merged.json --in other.json --out bad.json") == 3);
  CHECK_FALSE(PathExists(s.P("bad.json")));
}

TEST_CASE("cli: every policy and approve verb has operator help") {
  Station s;
  for (const char* verb : {"policy init", "policy sign", "policy install", "policy show",
                           "approve create", "approve sign", "approve merge", "approve show"}) {
    std::string out;
    CHECK(s.Run(std::string(verb) + " --help", &out) == 0);
    CHECK(out.size() > 100);
  }
}

}  // namespace
}  // namespace sr::testing
