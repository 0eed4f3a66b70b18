// `strongroom sign` and its neighbours given the wrong kind of input (issue
// 15, "Inputs and mistakes"), end to end through the real binary on a real
// SoftHSMv2 station: a FIFO as any input is refused at once and named; an
// oversized document names the 4 MiB limit; an empty file says it is empty;
// upper-case hex digests are accepted; a typo in the request (key label,
// --out, a missing file) is logged but exits 4 or 11; a version signed again
// names its SIGNING event and how to re-issue its outputs; keyless-only
// provenance says so. Every command runs under `timeout`: a FIFO that were
// opened for reading would block, and the test must fail, not hang.
#include <sys/stat.h>

#include <cctype>
#include <functional>

#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

constexpr int kTimedOut = 124;  // timeout(1)'s exit code

// st.Sr under a timeout of 60 s.
CmdResult Timed(const SignStation& st, const std::string& args) {
  return Run("cd '" + st.root + "' && timeout 60 '" + STRONGROOM_BINARY + "' " + args,
             st.root + "/.stderr");
}

std::string Fifo(const SignStation& st, const std::string& name) {
  std::string path = st.root + "/" + name;
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// The last event, which must be a REFUSAL of IC-22 5.4.3 listing (code, input).
void CheckLastRefusal(SignStation& st, std::size_t before, const CodeAndInput& reason) {
  auto evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(evs.back().refusal()).count(reason) == 1);
}

std::string MessageOf(const std::string& err, const std::string& code) {
  auto at = err.find("  " + code + " (");
  if (at == std::string::npos) return "";
  return err.substr(at, err.find('\n', at) - at);
}

struct Installed {
  SignStation st;
  Installed() {
    CmdResult inst = st.InstallPolicy(st.Scenario());
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  }
};

TEST_CASE(
    "inputs: a FIFO given as any input is refused at once by its kind, logged, and does not "
    "block the next sign") {
  Installed s;
  SignStation& st = s.st;
  struct Role {
    const char* name;
    CodeAndInput reason;
    std::function<void(Inputs&, const std::string&)> put;
  };
  const Role roles[] = {
      {"artifact", {"INPUT_NOT_REGULAR_FILE", "artifact"},
       [](Inputs& in, const std::string& f) { in.artifacts[0] = f; }},
      {"approval", {"INPUT_NOT_REGULAR_FILE", "approval"},
       [](Inputs& in, const std::string& f) { in.approval = f; }},
      {"provenance", {"INPUT_NOT_REGULAR_FILE", "provenance"},
       [](Inputs& in, const std::string& f) { in.provenance = f; }},
      {"evidence", {"INPUT_NOT_REGULAR_FILE", "evidence[0]"},
       [](Inputs& in, const std::string& f) { in.evidence[0] = f; }},
  };
  for (const Role& role : roles) {
    Inputs in = st.Write(st.Scenario(), std::string("media-") + role.name);
    role.put(in, Fifo(st, std::string("fifo-") + role.name));
    std::size_t before = st.Events().size();
    std::string out = std::string("out-") + role.name;
    CmdResult r = Timed(st, "sign " + st.SignArgs(in, out));
    INFO(role.name, ": ", r.all());
    REQUIRE(r.rc != kTimedOut);
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err).count(role.reason) == 1);
    CHECK(r.err.find("is a FIFO (named pipe), not a regular file") != std::string::npos);
    CheckLastRefusal(st, before, role.reason);
    CHECK_FALSE(PathExists(st.root + "/" + out));
  }

  SUBCASE("a FIFO as the batch file") {
    std::size_t before = st.Events().size();
    CmdResult r = Timed(st, "sign --station " + st.station + " --key " + st.key_label +
                                " --batch " + Fifo(st, "fifo-batch") + " --out " + st.root +
                                "/releases" + st.Pins());
    INFO(r.all());
    REQUIRE(r.rc != kTimedOut);
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err) ==
          std::set<CodeAndInput>{{"INPUT_NOT_REGULAR_FILE", "batch"}});
    auto evs = st.Events();
    REQUIRE(evs.size() == before + 1);
    CHECK(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  }
  SUBCASE("a FIFO as the PIN file (refused before the station is used: nothing to log)") {
    Inputs in = st.Write(st.Scenario(), "media-pin");
    std::string args = "sign --station " + st.station +
                       " --product IC-22 --version 5.4.3 --key " + st.key_label + " --out " +
                       st.root + "/out-pin --pin-source file:" + Fifo(st, "fifo-pin") +
                       " --log-pin-source file:" + st.pins + "/log";
    for (const auto& a : in.artifacts) args += " --artifact " + a;
    CmdResult r = Timed(st, args + " --approval " + in.approval + " --provenance " +
                                in.provenance + " --evidence " + in.evidence[0]);
    INFO(r.all());
    REQUIRE(r.rc != kTimedOut);
    CHECK(r.rc != 0);
    CHECK(r.err.find("FIFO") != std::string::npos);
  }
  SUBCASE("a FIFO as `policy install --in`") {
    CmdResult r = Timed(st, "policy install --station " + st.station + " --in " +
                                Fifo(st, "fifo-policy") + " --log-pin-source file:" + st.pins +
                                "/log");
    INFO(r.all());
    REQUIRE(r.rc != kTimedOut);
    CHECK(r.rc == 3);
    CHECK(r.err.find("FIFO") != std::string::npos);
  }
  SUBCASE("a FIFO as `verify --vkey` and as `verify --policy`") {
    // Read before the release directory is looked at: none is needed.
    Inputs in = st.Write(st.Scenario(), "media-v");
    std::string base = "verify --release " + st.root + "/signed";
    for (const auto& a : in.artifacts) base += " --artifact " + a;
    CmdResult v = Timed(st, base + " --key " + st.station + "/keys/" + st.key_label +
                                ".pem --vkey " + Fifo(st, "fifo-vkey"));
    INFO(v.all());
    REQUIRE(v.rc != kTimedOut);
    CHECK(v.rc == 3);
    CHECK(v.err.find("FIFO") != std::string::npos);
    CmdResult p = Timed(st, base + " --policy " + Fifo(st, "fifo-vpolicy") + " --vkey " +
                                st.root + "/log.vkey");
    INFO(p.all());
    REQUIRE(p.rc != kTimedOut);
    CHECK(p.rc == 3);
    CHECK(p.err.find("FIFO") != std::string::npos);
  }

  // Nothing was left waiting on a FIFO: a valid sign goes through.
  Inputs good = st.Write(st.Scenario(), "media-good");
  CmdResult r = Timed(st, "sign " + st.SignArgs(good, "out-good"));
  REQUIRE(r.rc != kTimedOut);
  CHECK_MESSAGE(r.rc == 0, r.all());
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());
}

TEST_CASE("inputs: a document above 4 MiB is refused as INPUT_TOO_LARGE naming the limit") {
  Installed s;
  SignStation& st = s.st;
  Inputs in = st.Write(st.Scenario());
  WriteAll(in.approval, std::string((4u << 20) + 1, ' '));
  std::size_t before = st.Events().size();
  CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
  INFO(r.all());
  CHECK(r.rc == 1);
  CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"INPUT_TOO_LARGE", "approval"}});
  CHECK(MessageOf(r.err, "INPUT_TOO_LARGE").find("4 MiB") != std::string::npos);
  CheckLastRefusal(st, before, {"INPUT_TOO_LARGE", "approval"});
  CHECK_FALSE(PathExists(st.root + "/out"));
}

TEST_CASE("inputs: an empty approval, provenance or evidence file says it is empty") {
  Installed s;
  SignStation& st = s.st;
  Inputs in = st.Write(st.Scenario());
  for (const std::string& p : {in.approval, in.provenance, in.evidence[0]}) WriteAll(p, "");
  std::size_t before = st.Events().size();
  CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
  INFO(r.all());
  CHECK(r.rc == 1);
  std::set<CodeAndInput> got = StderrReasons(r.err);
  for (const char* input : {"approval", "provenance", "evidence[0]"})
    CHECK(got.count({"INPUT_BAD_JSON", input}) == 1);
  CHECK(got.count({"INPUT_MISSING", "approval"}) == 0);
  CHECK(got.count({"INPUT_MISSING", "provenance"}) == 0);
  CHECK(r.err.find("is empty (0 bytes)") != std::string::npos);
  CHECK(r.err.find("no provenance presented") == std::string::npos);
  CHECK(r.err.find("no approval presented") == std::string::npos);
  CheckLastRefusal(st, before, {"INPUT_BAD_JSON", "provenance"});
  // The empty files were presented: the refusal lists them by digest.
  std::set<CodeAndInput> logged;
  auto evs = st.Events();
  for (const auto& i : evs.back().refusal().inputs()) logged.insert({i.role(), i.sha256()});
  CHECK(logged.count({"provenance", Sha256Hex("")}) == 1);
}

TEST_CASE("inputs: upper-case hex subject digests are normalized and the release signs") {
  Installed s;
  SignStation& st = s.st;
  World w = st.Scenario();
  auto upper = [](std::vector<Artifact>& subjects) {
    for (Artifact& a : subjects)
      for (char& c : a.sha256) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  };
  upper(w.approval_subjects);
  upper(w.prov_subjects);
  Inputs in = st.Write(w);
  REQUIRE(EnvelopePayload(in.approval).find(w.approval_subjects[0].sha256) != std::string::npos);
  REQUIRE(w.approval_subjects[0].sha256 != Sha256Hex(SignStation::ContentOf(w.artifacts[0].name)));
  CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
  CHECK_MESSAGE(r.rc == 0, r.all());
  CmdResult v = st.Verify("out", in);
  CHECK_MESSAGE(v.rc == 0, v.all());
}

TEST_CASE(
    "inputs: request mistakes are logged as refusals but exit 4 (not found) or 11 (output "
    "exists)") {
  Installed s;
  SignStation& st = s.st;
  Inputs in = st.Write(st.Scenario());

  SUBCASE("a misspelled --key label: exit 4, the message lists the labels in the token") {
    std::size_t before = st.Events().size();
    CmdResult r = Timed(st, "sign " + SignArgsWithKey(st, in, "out", "IC-22", "5.4.3", "rle"));
    INFO(r.all());
    CHECK(r.rc == 4);
    std::string m = MessageOf(r.err, "REQUEST_MALFORMED");
    CHECK(m.find("rle") != std::string::npos);
    CHECK(m.find("key labels: rel") != std::string::npos);
    CheckLastRefusal(st, before, {"REQUEST_MALFORMED", "request"});
  }
  SUBCASE("a non-empty --out: exit 11") {
    REQUIRE(MakeDirs(st.root + "/out", 0755).ok());
    WriteAll(st.root + "/out/manifest.dsse.json", "another release");
    std::size_t before = st.Events().size();
    CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
    INFO(r.all());
    CHECK(r.rc == 11);
    CheckLastRefusal(st, before, {"REQUEST_MALFORMED", "request"});
    CHECK(ReadAll(st.root + "/out/manifest.dsse.json") == "another release");
  }
  SUBCASE("an artifact file that does not exist: exit 4") {
    in.artifacts[0] = st.root + "/no-such.bin";
    std::size_t before = st.Events().size();
    CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
    INFO(r.all());
    CHECK(r.rc == 4);
    CheckLastRefusal(st, before, {"REQUEST_MALFORMED", "request"});
  }
  SUBCASE("an evidence file that does not exist: exit 4") {
    in.evidence.push_back(st.root + "/no-such-evidence.json");
    std::size_t before = st.Events().size();
    CmdResult r = Timed(st, "sign " + st.SignArgs(in, "out"));
    INFO(r.all());
    CHECK(r.rc == 4);
    CheckLastRefusal(st, before, {"INPUT_MISSING", "evidence[1]"});
  }
  SUBCASE("the gate refusing too decides: exit 1") {
    World w = st.Scenario();
    w.approval_signers = {Keys().appr[0].get()};
    Inputs bad = st.Write(w, "media-bad");
    bad.evidence.push_back(st.root + "/no-such-evidence.json");
    CmdResult r = Timed(st, "sign " + st.SignArgs(bad, "out"));
    INFO(r.all());
    CHECK(r.rc == 1);
  }
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());
}

TEST_CASE(
    "inputs: signing a version again names its SIGNING event and how to re-issue the outputs") {
  Installed s;
  SignStation& st = s.st;
  Inputs in = st.Write(st.Scenario());
  CmdResult first = st.Sign(in, "out");
  REQUIRE_MESSAGE(first.rc == 0, first.all());
  std::size_t signing = st.Events().size() - 1;
  REQUIRE(st.Events().back().kind() == v1::EVENT_KIND_SIGNING);
  std::string n = std::to_string(signing);

  CmdResult again = Timed(st, "sign " + st.SignArgs(in, "out-again"));
  INFO(again.all());
  CHECK(again.rc == 1);
  std::string m = MessageOf(again.err, "VERSION_NOT_ABOVE_LAST_SIGNED");
  CHECK(m.find("already signed, as log event " + n) != std::string::npos);
  CHECK(m.find("strongroom log outputs --station DIR --index " + n + " --out DIR") !=
        std::string::npos);
  CHECK(m.find("rollback") == std::string::npos);
  // The command it names does re-issue them.
  CmdResult re = st.Sr("log outputs --station " + st.station + " --index " + n + " --out " +
                       st.root + "/reissued");
  CHECK_MESSAGE(re.rc == 0, re.all());
  CHECK(ReadAll(st.root + "/reissued/manifest.dsse.json") ==
        ReadAll(st.root + "/out/manifest.dsse.json"));
}

TEST_CASE("inputs: provenance signed only by Sigstore keyless says keyless is not trusted yet") {
  Installed s;
  SignStation& st = s.st;
  for (const char* sample : {"gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl",
                             "bcr-MODULE.bazel.intoto.jsonl"}) {
    Inputs in = st.Write(st.Scenario());
    in.provenance = std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/realworld/" + sample;
    CmdResult r = Timed(st, "sign " + st.SignArgs(in, std::string("out-") + sample));
    INFO(sample, ": ", r.all());
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err).count({"PROVENANCE_BUILDER_UNTRUSTED", "provenance"}) == 1);
    std::string m = MessageOf(r.err, "PROVENANCE_BUILDER_UNTRUSTED");
    CHECK(m.find("keyless (certificate-based") != std::string::npos);
    CHECK(m.find("re-sign the provenance with a key listed in the policy's builders") !=
          std::string::npos);
    CHECK(m.find("no builder trusted") == std::string::npos);
  }
}

}  // namespace
}  // namespace sr::testing
