// Issue 15, through the real `strongroom` binary: `policy init` defaults to a
// majority and takes several products, builders and test labs; `policy
// sign|show` name every key with its role and fingerprint and who is still
// needed; `approve show --policy` names the approvers behind each signature;
// `approve create` draws sign's progress bar on a terminal.
#include <doctest/doctest.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <map>

#include "base/file.h"
#include "policy/dsse.h"
#include "policy/keys.h"
#include "policy/trust_policy.h"
#include "release/key_file.h"
#include "tests/testing/files.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

struct Dir {
  TempDir tmp{"sr-witness"};
  std::string dir = tmp.path();
  std::string P(const std::string& name) const { return dir + "/" + name; }
  CmdResult Sr(const std::string& args) const {
    return Run("cd '" + dir + "' && '" + STRONGROOM_BINARY + "' " + args, P(".stderr"));
  }
  // name.key / name.pub; returns the fingerprint.
  std::string NewKey(const std::string& name) const {
    SecretBytes pem = NewKeyPem("ec256");
    WriteAll(P(name + ".key"), AsText(pem), 0600);
    auto s = KeyFileSigner::FromPem(pem);
    REQUIRE(s.ok());
    WriteAll(P(name + ".pub"), s.value()->Public().pem(), 0644);
    return s.value()->Public().fingerprint();
  }
};

// The policy JSON `policy init` wrote (a template may not pass ParsePolicyJson).
strongroom::v1::TrustPolicy ReadPolicyJson(const std::string& path) {
  strongroom::v1::TrustPolicy p;
  REQUIRE(google::protobuf::util::JsonStringToMessage(ReadAll(path), &p).ok());
  return p;
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}
int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("policy init: thresholds default to a majority, and --help says so") {
  Dir d;
  for (const char* k : {"g1", "g2", "g3", "g4", "a1", "a2", "a3"}) d.NewKey(k);
  CmdResult r = d.Sr("policy init --help");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "majority"));
  CHECK(Has(r.out, "2 of 3"));
  r = d.Sr("policy init --out p.json --product IC-22 --governance-key g1.pub --governance-key "
           "g2.pub --governance-key g3.pub --approver-key a1.pub --approver-key a2.pub");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  auto p = ReadPolicyJson(d.P("p.json"));
  CHECK(p.governance().threshold() == 2);              // 2 of 3, not 3 of 3
  CHECK(p.products(0).approvers().threshold() == 2);  // 2 of 2
  r = d.Sr("policy init --force --out p.json --governance-key g1.pub --governance-key g2.pub "
           "--governance-key g3.pub --governance-key g4.pub --approver-key a1.pub");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  auto p4 = ReadPolicyJson(d.P("p.json"));
  CHECK(p4.governance().threshold() == 3);  // 3 of 4
  CHECK(p4.products(0).approvers().threshold() == 1);
  // An explicit threshold still wins.
  r = d.Sr("policy init --force --out p.json --governance-key g1.pub --governance-key g2.pub "
           "--governance-key g3.pub --governance-threshold 3");
  REQUIRE(r.rc == 0);
  CHECK(Has(ReadAll(d.P("p.json")), "\"threshold\": 3"));
}

// Four builders, two products, two test labs; signed by 1 then 2 of 3.
struct Fleet : Dir {
  std::map<std::string, std::string> fp;
  Fleet() {
    for (const char* k : {"g1", "g2", "g3", "a1", "a2", "a3", "b1", "b2", "b3", "b4", "lab1",
                          "lab2", "s", "x"})
      fp[k] = NewKey(k);
    std::string args =
        "policy init --out policy.json --product IC-22 --product IC-23 --governance-key g1.pub "
        "--governance-key g2.pub --governance-key g3.pub --approver-key a1.pub --approver-key "
        "a2.pub --approver-key a3.pub --source-repo https://git.example.com/fw --build-type "
        "https://ci.example.com/bt --test-lab lab1.pub --test-lab-key lab2.pub --required-test "
        "rollback --configuration reference --signing-key s.pub --min-version 5.0.0";
    for (int i = 1; i <= 4; ++i)
      args += " --builder https://ci" + std::to_string(i) + ".example.com/b=b" +
              std::to_string(i) + ".pub";
    CmdResult r = Sr(args);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    CHECK(Has(r.out, "(complete)"));
  }
};

TEST_CASE("policy init: repeatable --product, --builder ID=KEYFILE and --test-lab") {
  Fleet f;
  auto p = policy::ParsePolicyJson(ReadAll(f.P("policy.json")));
  REQUIRE(p.ok());
  REQUIRE(p->products_size() == 2);
  CHECK(p->products(0).name() == "IC-22");
  CHECK(p->products(1).name() == "IC-23");
  for (const auto& prod : p->products()) {
    REQUIRE(prod.builders_size() == 4);
    for (int i = 0; i < 4; ++i) {
      CHECK(prod.builders(i).id() == "https://ci" + std::to_string(i + 1) + ".example.com/b");
      CHECK(prod.builders(i).key().name() == "b" + std::to_string(i + 1));
      CHECK(prod.builders(i).allowed_source_repositories(0) == "https://git.example.com/fw");
    }
    CHECK(prod.test_labs_size() == 2);
    CHECK(prod.approvers().threshold() == 2);
  }
  REQUIRE(p->key_authorizations_size() == 2);
  CHECK(p->key_authorizations(1).product() == "IC-23");
  CHECK(p->key_authorizations(1).key_fingerprint() == f.fp["s"]);
  // A --builder without its key file is a usage error, and writes nothing.
  CmdResult r = f.Sr("policy init --out other.json --builder https://ci.example.com/b");
  CHECK(r.rc != 0);
  CHECK(Has(r.err, "ID=KEYFILE"));
  CHECK_FALSE(PathExists(f.P("other.json")));
}

TEST_CASE("policy sign and show: who signed, who is still needed, every key with its role") {
  Fleet f;
  CmdResult r = f.Sr("policy sign --key g1.key --in policy.json --out policy.env");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(Has(r.out, "1 more governance signature(s) needed"));
  CHECK(Has(r.out, "g2 (" + f.fp["g2"] + ")"));
  CHECK(Has(r.out, "g3 (" + f.fp["g3"] + ")"));
  CHECK_FALSE(Has(r.out, f.fp["g1"] + ")"));

  r = f.Sr("policy show --in policy.env");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(Has(r.out, "governance: 2 of 3; 1 more governance signature(s) needed"));
  CHECK(Has(r.out, "signed     g1 (" + f.fp["g1"] + ")"));
  CHECK(Has(r.out, "not signed g2 (" + f.fp["g2"] + ")"));
  CHECK(Has(r.out, "governance: g3 " + f.fp["g3"]));
  CHECK(Has(r.out, "approver for IC-22: a1 " + f.fp["a1"]));
  CHECK(Has(r.out, "approver for IC-23: a3 " + f.fp["a3"]));
  CHECK(Has(r.out, "builder https://ci4.example.com/b for IC-23: b4 " + f.fp["b4"]));
  CHECK(Has(r.out, "test lab for IC-22: lab2 " + f.fp["lab2"]));
  CHECK(Has(r.out, "key authorization auth-IC-23-1 for IC-23: " + f.fp["s"]));
  CHECK(Count(r.out, "    builder ") == 8);

  r = f.Sr("--json policy show --in policy.env");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(Has(r.out, "\"valid\":false"));
  CHECK(Has(r.out, "\"more_needed\":1"));
  CHECK(Has(r.out, "{\"name\":\"g1\",\"fingerprint\":\"" + f.fp["g1"] + "\"}"));
  CHECK(Count(r.out, "\"role\":\"builder\"") == 8);
  CHECK(Count(r.out, "\"role\":\"governance\"") == 3);
  CHECK(Count(r.out, "\"role\":\"test lab\"") == 4);
  CHECK(Count(r.out, "\"role\":\"key authorization\"") == 2);

  // A key the policy does not list adds nothing; g2 meets the threshold.
  r = f.Sr("policy sign --key x.key --in policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "1 more governance signature(s) needed"));
  r = f.Sr("policy sign --key g2.key --in policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "threshold met: 2 governance signature(s), 2 required"));
  r = f.Sr("policy show --in policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "(governance threshold met)"));
  CHECK(Has(r.out, "signature unknown key: keyid " + f.fp["x"]));
  r = f.Sr("--json policy sign --key g3.key --in policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "\"governance\":{\"threshold\":2,\"signed\":3,\"met\":true"));
}

TEST_CASE("approve show --policy: each signature named valid, invalid or unknown; threshold") {
  Fleet f;
  REQUIRE(f.Sr("policy sign --key g1.key --in policy.json --out policy.env").rc == 0);
  WriteAll(f.P("fw.bin"), "IC-23 firmware 5.1.0");
  CmdResult r = f.Sr(
      "approve create --product IC-23 --version 5.1.0 --artifact fw.bin --out approval.json");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  REQUIRE(f.Sr("approve sign --key a1.key --in approval.json").rc == 0);
  REQUIRE(f.Sr("approve sign --key x.key --in approval.json").rc == 0);
  // A signature claiming a2's keyid but made by a1: invalid, named a2.
  auto env = policy::ParseEnvelope(ReadAll(f.P("approval.json")), "approval");
  REQUIRE(env.ok());
  policy::DsseSignature forged = env->signatures[0];
  forged.keyid = f.fp["a2"];
  forged.sig[forged.sig.size() / 2] ^= 1;
  env->signatures.push_back(forged);
  WriteAll(f.P("approval.json"), policy::SerializeEnvelope(env.value()), 0644);

  r = f.Sr("approve show --in approval.json --policy policy.env");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(Has(r.out, "signature valid: a1 (" + f.fp["a1"] + ")"));
  CHECK(Has(r.out, "signature unknown key: keyid " + f.fp["x"]));
  CHECK(Has(r.out, "signature invalid: a2 (" + f.fp["a2"] + ")"));
  CHECK(Has(r.out, "approvers of IC-23: 1 more approver signature(s) needed (1 of 2 required)"));
  CHECK(Has(r.out, "a3 (" + f.fp["a3"] + ")"));
  r = f.Sr("--json approve show --in approval.json --policy policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "\"approvers\":{\"threshold\":2,\"signed\":1,\"met\":false,\"more_needed\":1"));
  CHECK(Has(r.out, "\"status\":\"invalid\""));
  CHECK(Has(r.out, "\"status\":\"unknown key\""));

  REQUIRE(f.Sr("approve sign --key a3.key --in approval.json").rc == 0);
  r = f.Sr("approve show --in approval.json --policy policy.env");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "approvers of IC-23: threshold met: 2 approver signature(s), 2 required"));
  // Without a policy the signatures are listed unchecked, as before.
  r = f.Sr("approve show --in approval.json");
  REQUIRE(r.rc == 0);
  CHECK(Has(r.out, "not checked"));
  // A policy without the approval's product cannot name its approvers.
  REQUIRE(f.Sr("approve create --product IC-99 --version 1.0.0 --artifact fw.bin --out "
               "other.json")
              .rc == 0);
  r = f.Sr("approve show --in other.json --policy policy.env");
  CHECK(r.rc != 0);
  CHECK(Has(r.err, "no product \"IC-99\""));
}

TEST_CASE("approve create: sign's progress bar for a 64 MiB artifact, on a terminal only") {
  Dir d;
  {
    std::string mib(1 << 20, 'x');
    std::string big;
    for (int i = 0; i < 64; ++i) big += mib;
    WriteAll(d.P("big.bin"), big, 0644);
  }
  std::string cmd = "approve create --product IC-22 --version 1.0.0 --artifact big.bin --out ";
  CmdResult r = d.Sr(cmd + "a1.json");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK_FALSE(Has(r.all(), "hashing"));
  // script(1) gives the command a terminal.
  r = Run("cd '" + d.dir + "' && script -qec \"'" + STRONGROOM_BINARY + "' " + cmd +
          "a2.json\" /dev/null");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(Has(r.out, "hashing big.bin ["));
  CHECK(Has(r.out, "100%"));
  WriteAll(d.P("small.bin"), "small", 0644);
  r = Run("cd '" + d.dir + "' && script -qec \"'" + STRONGROOM_BINARY +
          "' approve create --product IC-22 --version 1.0.0 --artifact small.bin --out "
          "a3.json\" /dev/null");
  REQUIRE(r.rc == 0);
  CHECK_FALSE(Has(r.out, "hashing"));
}

}  // namespace
}  // namespace sr::testing
