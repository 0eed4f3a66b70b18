// `strongroom sign` and `strongroom verify` end to end: the real binary, a
// real SoftHSMv2 station, the IC-22 reference scenario.
#include <filesystem>
#include <map>

#include "tests/testing/sign_helpers.h"

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

TEST_CASE("sign: a release of 40 artifacts gets all its outputs, and verifies") {
  // 45 output files: more than a session creates on its own thread, so the
  // output directory is prepared on a second one while the HSM signs.
  SignStation st;
  World w = st.Scenario();
  std::vector<policy::Artifact> arts;
  for (int i = 0; i < 40; ++i) {
    std::string name = "part-" + std::to_string(i) + ".bin";
    arts.push_back({name, Sha256Hex(SignStation::ContentOf(name))});
  }
  w.ForRelease(arts, "5.4.3", "5.4.2");
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  CmdResult r = st.Sign(in, "out");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(st.root + "/out")) {
    CHECK(e.file_size() > 0);
    ++files;
  }
  CHECK(files == 45);
  for (const auto& a : arts) CHECK_MESSAGE(PathExists(st.root + "/out/" + a.name + ".sig"), a.name);
  CHECK(st.Events().back().signing().artifacts_size() == 40);
  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
}

// The openssl command that verifies a detached signature made by alg.
std::string OpensslVerify(const std::string& alg, const std::string& key, const std::string& sig,
                          const std::string& file) {
  if (alg == "ed25519")
    return "openssl pkeyutl -verify -pubin -inkey " + key + " -rawin -in " + file + " -sigfile " +
           sig;
  std::string opts = alg == "ecdsa-p384"     ? "-sha384"
                     : alg == "rsa-pss-3072" ? "-sha256 -sigopt rsa_padding_mode:pss -sigopt "
                                               "rsa_pss_saltlen:32"
                                             : "-sha256";
  return "openssl dgst " + opts + " -verify " + key + " -signature " + sig + " " + file;
}

TEST_CASE(
    "sign: each artifact's detached signature verifies with the openssl command line, for every "
    "key algorithm") {
  for (const char* alg : {"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss-3072"}) {
    SUBCASE(alg) {
      SignStation st(alg);
      World w = st.Scenario();
      CmdResult inst = st.InstallPolicy(w);
      REQUIRE_MESSAGE(inst.rc == 0, inst.all());
      Inputs in = st.Write(w);
      CmdResult r = st.Sign(in, "out");
      REQUIRE_MESSAGE(r.rc == 0, r.all());
      // The key we trust is the station's, not the release's copy; they must be the same key.
      std::string key = st.station + "/keys/" + st.key_label + ".pem";
      auto shipped = policy::PublicKey::FromPem(ReadAll(st.root + "/out/signing-key.pem"));
      REQUIRE(shipped.ok());
      CHECK(shipped->fingerprint() == st.key_fingerprint);
      for (const std::string& art : in.artifacts) {
        std::string name = art.substr(art.rfind('/') + 1);
        CmdResult v = Run(OpensslVerify(alg, key, st.root + "/out/" + name + ".sig", art),
                          st.root + "/.openssl-err");
        CHECK_MESSAGE(v.rc == 0, name, ": ", v.all());
      }
      // The same check over the other artifact fails: openssl really checks.
      CmdResult wrong =
          Run(OpensslVerify(alg, key, st.root + "/out/ic22-fw-5.4.3.bin.sig", in.artifacts[1]),
              st.root + "/.openssl-err");
      CHECK(wrong.rc != 0);
      auto evs = st.Events();
      REQUIRE(evs.back().kind() == v1::EVENT_KIND_SIGNING);
      const v1::SigningEvent& s = evs.back().signing();
      CHECK(s.key_algorithm() == alg);
      for (const auto& sig : s.signatures())
        if (sig.role() != "vsa") CHECK(sig.algorithm() == alg);
      CmdResult v = st.Verify("out", in);
      CHECK_MESSAGE(v.rc == 0, v.all());
    }
  }
}

TEST_CASE(
    "sign: the SIGNING event binds the release, key, policy, inputs and people, and every input "
    "is kept in the evidence store") {
  SignStation st;
  World w = st.Scenario();
  CmdResult inst = st.InstallPolicy(w);
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  Inputs in = st.Write(w);
  CmdResult r = st.Sign(in, "out", " --operator erin --operator frank --session-id fw-5.4.3");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  const v1::Event e = st.Events().back();
  REQUIRE(e.kind() == v1::EVENT_KIND_SIGNING);
  const v1::SigningEvent& s = e.signing();
  CHECK(s.product() == "IC-22");
  CHECK(s.version() == "5.4.3");
  REQUIRE(s.artifacts_size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(s.artifacts(i).name() == w.artifacts[i].name);
    CHECK(s.artifacts(i).sha256() == FileSha(in.artifacts[i]));
  }
  CHECK(s.key_label() == st.key_label);
  CHECK(s.key_fingerprint() == st.key_fingerprint);
  CHECK(s.key_authorization_id() == "auth-ic22-fw-2026");
  CHECK(s.policy_version() == 3);
  CHECK(s.policy_sha256() == Sha256Hex(EnvelopePayload(st.root + "/policy.env")));
  CHECK(s.approval_sha256() == FileSha(in.approval));
  CHECK(s.provenance_sha256() == FileSha(in.provenance));
  REQUIRE(s.evidence_sha256_size() == 1);
  CHECK(s.evidence_sha256(0) == FileSha(in.evidence[0]));
  std::set<std::pair<std::string, std::string>> approvers;
  for (const auto& a : s.approvers()) approvers.insert({a.fingerprint(), a.name()});
  CHECK(approvers ==
        std::set<std::pair<std::string, std::string>>{{Keys().appr[0]->KeyId(), "approver 0"},
                                                      {Keys().appr[1]->KeyId(), "approver 1"}});
  CHECK(s.builder_id() == w.prov_builder_id);
  CHECK(s.source_repository() == w.prov_repo);
  CHECK(s.source_revision() == w.prov_commit);
  CHECK(std::vector<std::string>(s.scope_cohorts().begin(), s.scope_cohorts().end()) ==
        std::vector<std::string>{"A"});
  CHECK(
      std::vector<std::string>(s.scope_configurations().begin(), s.scope_configurations().end()) ==
      std::vector<std::string>{"reference"});
  REQUIRE(s.exclusions_size() == 1);
  CHECK(s.exclusions(0).configuration() == "regional");
  CHECK(s.exclusions(0).reason() == w.approval.exclusions(0).reason());
  CHECK(s.exclusions(0).mitigation() == w.approval.exclusions(0).mitigation());
  CHECK(s.exclusions(0).follow_up() == "2026-04-15");
  CHECK(std::vector<std::string>(s.vulnerabilities().begin(), s.vulnerabilities().end()) ==
        std::vector<std::string>{"VULN-2026-014"});
  CHECK(std::vector<std::string>(e.operators().begin(), e.operators().end()) ==
        std::vector<std::string>{"erin", "frank"});
  CHECK(e.session_id() == "fw-5.4.3");
  CHECK(s.manifest_sha256() == Sha256Hex(EnvelopePayload(st.root + "/out/manifest.dsse.json")));
  CHECK(s.vsa_sha256() == Sha256Hex(EnvelopePayload(st.root + "/out/vsa.dsse.json")));
  // What the gate verified, as docs/policy.md promises: the approval's
  // eligible source versions, and for each configuration in scope each
  // required test with the evidence and test lab that showed it.
  CHECK(std::vector<std::string>(s.eligible_source_versions().begin(),
                                 s.eligible_source_versions().end()) ==
        std::vector<std::string>{"refs/tags/v5.4.3"});
  std::set<std::string> tests;
  for (const auto& t : s.verified_tests()) {
    tests.insert(t.test() + "@" + t.configuration());
    CHECK(t.evidence_sha256() == FileSha(in.evidence[0]));
    CHECK(t.lab_fingerprint() == Keys().lab->KeyId());
    CHECK(t.result() == "PASSED");
  }
  CHECK(tests == std::set<std::string>{"recovery@reference", "rollback@reference"});

  // Every input the decision rested on, by digest, byte for byte.
  std::vector<std::string> kept = {st.station + "/policy/current.json", in.approval, in.provenance,
                                   in.evidence[0]};
  for (const std::string& f : kept) {
    std::string obj = st.station + "/evidence/" + FileSha(f);
    REQUIRE_MESSAGE(PathExists(obj), f);
    CHECK(ReadAll(obj) == ReadAll(f));
  }
  for (const std::string& d : {s.manifest_sha256(), s.vsa_sha256()})
    CHECK(PathExists(st.station + "/evidence/" + d));
}

// Writes root/batch/batch.json listing one IC-22 release per version, each
// from the directory root/batch/<version> written by SignStation::Write (the
// paths in the file are relative to it).
std::string WriteBatch(const SignStation& st, const std::vector<std::string>& versions) {
  std::string json = "{\"releases\":[";
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const std::string& v = versions[i];
    json += std::string(i ? "," : "") + "{\"product\":\"IC-22\",\"version\":\"" + v +
            "\",\"artifacts\":[\"" + v + "/ic22-fw-" + v + ".bin\",\"" + v + "/ic22-fw-" + v +
            ".manifest\"],\"approval\":\"" + v + "/approval.dsse.json\",\"provenance\":\"" + v +
            "/provenance.dsse.json\",\"evidence\":[\"" + v + "/evidence0.dsse.json\"]}";
  }
  WriteAll(st.root + "/batch/batch.json", json + "]}");
  return st.root + "/batch/batch.json";
}

TEST_CASE(
    "sign: a batch signs every allowed release, logs the refused one without output, and exits 1") {
  SignStation st;
  CmdResult inst = st.InstallPolicy(st.Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  std::map<std::string, Inputs> in;
  for (auto [v, prev] : {std::pair{"5.4.3", "5.4.2"}, {"5.4.4", "5.4.3"}, {"5.4.5", "5.4.4"}}) {
    World w = st.Scenario();
    ForVersion(w, v, prev);
    if (std::string(v) == "5.4.4") w.approval_signers = {Keys().appr[0].get()};
    in[v] = st.Write(w, std::string("batch/") + v);
  }
  std::string batch = WriteBatch(st, {"5.4.3", "5.4.4", "5.4.5"});
  std::size_t before = st.Events().size();
  CmdResult r = st.Sr("sign --station " + st.station + " --key " + st.key_label + " --batch " +
                      batch + " --out " + st.root + "/releases" + st.Pins());
  INFO(r.all());
  CHECK(r.rc == 1);
  CHECK(r.out.find("SIGNED IC-22 5.4.3") != std::string::npos);
  CHECK(r.out.find("SIGNED IC-22 5.4.5") != std::string::npos);
  CHECK(r.err.find("REFUSED IC-22 5.4.4") != std::string::npos);
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"APPROVAL_THRESHOLD_NOT_MET", "approval"}});
  CHECK(DirNames(st.root + "/releases") == std::set<std::string>{"IC-22-5.4.3", "IC-22-5.4.5"});

  auto evs = st.Events();
  std::map<std::string, int> signed_versions, refused_versions;
  for (std::size_t i = before; i < evs.size(); ++i) {
    if (evs[i].kind() == v1::EVENT_KIND_SIGNING) ++signed_versions[evs[i].signing().version()];
    if (evs[i].kind() != v1::EVENT_KIND_REFUSAL) continue;
    const v1::RefusalEvent& ref = evs[i].refusal();
    ++refused_versions[ref.version()];
    CHECK(EventReasons(ref) == std::set<CodeAndInput>{{"APPROVAL_THRESHOLD_NOT_MET", "approval"}});
    bool approval_listed = false;
    for (const auto& x : ref.inputs())
      approval_listed |= x.role() == "approval" && x.sha256() == FileSha(in["5.4.4"].approval);
    CHECK(approval_listed);
  }
  CHECK(signed_versions == std::map<std::string, int>{{"5.4.3", 1}, {"5.4.5", 1}});
  CHECK(refused_versions == std::map<std::string, int>{{"5.4.4", 1}});
  for (const char* v : {"5.4.3", "5.4.5"}) {
    CmdResult ver = st.Verify(std::string("releases/IC-22-") + v, in[v]);
    CHECK_MESSAGE(ver.rc == 0, v, ver.all());
  }
  CHECK(st.LogVerify().rc == 0);
}

TEST_CASE("sign: a batch file that is not JSON is refused and logged, and nothing is signed") {
  SignStation st;
  CmdResult inst = st.InstallPolicy(st.Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  REQUIRE(MakeDirs(st.root + "/batch", 0755).ok());
  WriteAll(st.root + "/batch/batch.json", "{\"releases\":[{\"product\":\"IC-22\",");
  std::size_t before = st.Events().size();
  CmdResult r = st.Sr("sign --station " + st.station + " --key " + st.key_label + " --batch " +
                      st.root + "/batch/batch.json --out " + st.root + "/releases" + st.Pins());
  INFO(r.all());
  CHECK(r.rc == 1);
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"INPUT_BAD_JSON", "batch"}});
  auto evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(evs.back().refusal()) == std::set<CodeAndInput>{{"INPUT_BAD_JSON", "batch"}});
  CHECK_FALSE(PathExists(st.root + "/releases"));
  CHECK(st.LogVerify().rc == 0);
}

TEST_CASE("sign: a batch release whose product cannot name its output directory is refused") {
  SignStation st;
  REQUIRE(st.InstallPolicy(st.Scenario()).rc == 0);
  REQUIRE(MakeDirs(st.root + "/batch", 0755).ok());
  WriteAll(st.root + "/batch/batch.json",
           "{\"releases\":[{\"product\":\"../"
           "IC-22\",\"version\":\"5.4.3\",\"artifacts\":[\"fw.bin\"]}]}");
  CmdResult r = st.Sr("sign --station " + st.station + " --key " + st.key_label + " --batch " +
                      st.root + "/batch/batch.json --out " + st.root + "/releases" + st.Pins());
  CHECK(r.rc == 1);
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"REQUEST_MALFORMED", "request"}});
  CHECK(r.err.find("do not make a directory name under --out") != std::string::npos);
  auto evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(evs.back().refusal().product() == "../IC-22");
  CHECK_FALSE(PathExists(st.root + "/IC-22-5.4.3"));
  CHECK_FALSE(PathExists(st.root + "/releases"));
}

TEST_CASE(
    "log outputs: re-issues the byte-identical outputs of a signing event with a tlog-proof that "
    "verifies, and refuses any other event") {
  SignStation st;
  CmdResult inst = st.InstallPolicy(st.Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  Inputs in = st.Write(st.Scenario());
  REQUIRE(st.Sign(in, "out").rc == 0);
  std::uint64_t index = st.Events().back().sequence();
  // The log grows after it: the re-issued proof is against a newer checkpoint.
  World w2 = st.Scenario();
  ForVersion(w2, "5.4.4", "5.4.3");
  REQUIRE(st.Sign(st.Write(w2, "media2"), "out2", "", "IC-22", "5.4.4").rc == 0);

  CmdResult re = st.Sr("log outputs --station " + st.station + " --index " + std::to_string(index) +
                       " --out " + st.root + "/reissued");
  REQUIRE_MESSAGE(re.rc == 0, re.all());
  CHECK(DirNames(st.root + "/reissued") == DirNames(st.root + "/out"));
  for (const char* f : {"manifest.dsse.json", "ic22-fw-5.4.3.bin.sig", "ic22-fw-5.4.3.manifest.sig",
                        "vsa.dsse.json", "signing-key.pem", "station-attestation.pem"})
    CHECK_MESSAGE(ReadAll(st.root + "/reissued/" + f) == ReadAll(st.root + "/out/" + f), f);
  CmdResult proof = st.Sr("log verify-proof " + st.root +
                          "/reissued/signing-event.tlog-proof --vkey " + st.root + "/log.vkey");
  CHECK_MESSAGE(proof.rc == 0, proof.all());
  CHECK(proof.out.find("event " + std::to_string(index) + " is in") != std::string::npos);
  CmdResult v = st.Verify("reissued", in);
  CHECK_MESSAGE(v.rc == 0, v.all());

  SUBCASE("the SIGNING_INTENT before it") {
    CmdResult bad = st.Sr("log outputs --station " + st.station + " --index " +
                          std::to_string(index - 1) + " --out " + st.root + "/not-signing");
    CHECK(bad.rc == 3);
    CHECK(bad.err.find("not a SIGNING event") != std::string::npos);
    CHECK_FALSE(PathExists(st.root + "/not-signing"));
  }
  SUBCASE("the POLICY_INSTALLED event") {
    std::uint64_t policy_index = 0;
    for (const auto& e : st.Events())
      if (e.kind() == v1::EVENT_KIND_POLICY_INSTALLED) policy_index = e.sequence();
    CmdResult bad = st.Sr("log outputs --station " + st.station + " --index " +
                          std::to_string(policy_index) + " --out " + st.root + "/not-signing");
    CHECK(bad.rc == 3);
    CHECK(bad.err.find("not a SIGNING event") != std::string::npos);
    CHECK_FALSE(PathExists(st.root + "/not-signing"));
  }
  SUBCASE("an index past the end of the log") {
    CmdResult bad = st.Sr("log outputs --station " + st.station + " --index 999 --out " + st.root +
                          "/not-signing");
    CHECK(bad.rc == 4);
    CHECK_FALSE(PathExists(st.root + "/not-signing"));
  }
  SUBCASE("an output directory holding another release") {
    std::string before = ReadAll(st.root + "/out2/manifest.dsse.json");
    CmdResult bad = st.Sr("log outputs --station " + st.station + " --index " +
                          std::to_string(index) + " --out " + st.root + "/out2");
    CHECK(bad.rc == 11);
    CHECK(ReadAll(st.root + "/out2/manifest.dsse.json") == before);
  }
}

TEST_CASE(
    "sign: two sign processes started at once on one station are serialized by the station lock") {
  SignStation st;
  // Two products, so that either order is allowed (within one product a later
  // 5.4.3 after 5.4.4 would rightly be refused as a rollback).
  World w = st.Scenario();
  auto* p30 = w.policy.add_products();
  *p30 = w.policy.products(0);
  p30->set_name("IC-30");
  auto* a30 = w.policy.add_key_authorizations();
  *a30 = w.policy.key_authorizations(0);
  a30->set_id("auth-ic30-fw-2026");
  a30->set_product("IC-30");
  CmdResult inst = st.InstallPolicy(w);
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  Inputs in22 = st.Write(w, "media22");
  World w30 = w;
  ForVersion(w30, "5.4.4", "5.4.3");
  w30.approval.set_product("IC-30");
  Inputs in30 = st.Write(w30, "media30");

  std::string bin = std::string("'") + STRONGROOM_BINARY + "' sign ";
  std::string p = st.root + "/p";
  std::string cmd = "(" + bin + SignArgsWithKey(st, in22, "out22", "IC-22", "5.4.3", st.key_label) +
                    " >" + p + "1.out 2>" + p + "1.err; echo $? >" + p + "1.rc) & (" + bin +
                    SignArgsWithKey(st, in30, "out30", "IC-30", "5.4.4", st.key_label) + " >" + p +
                    "2.out 2>" + p + "2.err; echo $? >" + p + "2.rc) & wait";
  CmdResult both = Run(cmd, st.root + "/.both-err");
  REQUIRE(both.rc == 0);
  for (const char* n : {"1", "2"}) {
    auto rc = ReadFile(p + n + ".rc"), err = ReadFile(p + n + ".err");
    REQUIRE_MESSAGE(rc.ok(), "process ", n, " did not finish");
    CHECK_MESSAGE(*rc == "0\n", "process ", n, ": ", err.ok() ? *err : "");
  }

  auto evs = st.Events();
  std::map<std::string, int> signings;
  int intents = 0;
  for (const auto& e : evs) {
    CHECK(e.kind() != v1::EVENT_KIND_REFUSAL);
    intents += e.kind() == v1::EVENT_KIND_SIGNING_INTENT;
    if (e.kind() != v1::EVENT_KIND_SIGNING) continue;
    const v1::SigningEvent& s = e.signing();
    ++signings[s.product() + " " + s.version()];
    // One session at a time: the intent directly precedes its signing and
    // named the index the signing took.
    CHECK(s.intent_index() == e.sequence() - 1);
    CHECK(evs[s.intent_index()].signing_intent().signing_index() == e.sequence());
  }
  CHECK(signings == std::map<std::string, int>{{"IC-22 5.4.3", 1}, {"IC-30 5.4.4", 1}});
  CHECK(intents == 2);
  CHECK(st.Verify("out22", in22).rc == 0);
  CHECK(st.Verify("out30", in30).rc == 0);
  CHECK(st.LogVerify().rc == 0);
}

}  // namespace
}  // namespace sr::testing

namespace sr::testing {
namespace {

TEST_CASE("sign: an unreadable evidence file is named, and the others keep their position") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  w.evidence[0].signers = {Keys().rogue_lab.get()};  // the second file given, below
  Inputs in = st.Write(w);
  in.evidence.insert(in.evidence.begin(), st.root + "/media/no-such-evidence.dsse.json");
  CmdResult r = st.Sign(in, "out");
  CHECK(r.rc == 1);
  std::set<CodeAndInput> want = {{"INPUT_MISSING", "evidence[0]"},
                                 {"EVIDENCE_SIGNER_UNTRUSTED", "evidence[1]"},
                                 {"EVIDENCE_REQUIRED_MISSING", "evidence"}};
  CHECK(StderrReasons(r.err) == want);
  auto evs = st.Events();
  REQUIRE(evs.back().kind() == strongroom::v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(evs.back().refusal()) == want);
  CHECK_FALSE(PathExists(st.root + "/out"));
}

TEST_CASE(
    "sign: inputs the evidence store cannot keep fail the release: logged, nothing released") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  // The store cannot take the approval: a directory holds its name.
  const std::string blocked = st.station + "/evidence/" + FileSha(in.approval);
  REQUIRE(MakeDirs(blocked, 0700).ok());
  const std::size_t before = st.Events().size();
  CmdResult r = st.Sign(in, "out");
  CHECK(r.rc != 0);
  CHECK_MESSAGE(r.err.find("evidence store") != std::string::npos, r.all());
  CHECK_FALSE(PathExists(st.root + "/out"));
  auto evs = st.Events();
  REQUIRE(evs.size() > before);
  CHECK(CountKind(evs, v1::EVENT_KIND_SIGNING) == 0);
  // What the log says of it: a failed signing, never a SIGNING event.
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(evs.back().refusal().reasons(0).code() == "SIGNING_FAILED");
  CHECK(st.LogVerify().rc == 0);
  // With the obstacle gone, the same release signs.
  std::filesystem::remove_all(blocked);
  CmdResult again = st.Sign(in, "out");
  CHECK_MESSAGE(again.rc == 0, again.all());
  CHECK(PathExists(st.root + "/out/manifest.dsse.json"));
}

}  // namespace
}  // namespace sr::testing
