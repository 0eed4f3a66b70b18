// The checkpoint note and the proofs checked by Go's golang.org/x/mod/sumdb
// note and tlog packages (tests/interop/go/checker.go), which we did not write.
#include <doctest/doctest.h>

#include "log/proof.h"
#include "log/record.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::log {
namespace {

using sr::testing::ReadAll;
using sr::testing::Run;
using sr::testing::TempDir;
using sr::testing::WriteAll;

const std::string kBin = STRONGROOM_BINARY;
const std::string kTool = LOG_TOOL;

// Builds the Go checker once per test run, in GOPATH mode with a private
// GOCACHE (CI's HOME may be unusable).
std::string Checker(const TempDir& t) {
  std::string out = t.Sub("checker");
  std::string cmd = "cd " + std::string(GO_CHECKER_DIR) +
                    " && GO111MODULE=off GOFLAGS= GOPATH=" + t.Sub("gopath") +
                    ":/usr/share/gocode GOCACHE=" + t.Sub("gocache") + " HOME=" + t.path() +
                    " go build -o " + out + " checker.go";
  auto r = Run(cmd);
  REQUIRE_MESSAGE(r.rc == 0, "go build failed: ", r.out);
  return out;
}

TEST_CASE(
    "interop: Go's sumdb note and tlog accept our vkey, checkpoints and proofs, and reject altered "
    "ones") {
  TempDir t;
  std::string checker = Checker(t);
  std::string dir = t.Sub("log"), pem = t.Sub("key.pem");
  REQUIRE(Run(kTool + " create " + dir + " " + pem + " strongroom.test/interop").rc == 0);
  REQUIRE(Run(kTool + " append " + dir + " " + pem + " 13 13 a").rc == 0);
  std::string vkey = JoinPath(dir, kVkeyFile);
  std::string old = t.Sub("old.checkpoint");
  WriteAll(old, ReadAll(JoinPath(dir, kCheckpointFile)));
  REQUIRE(Run(kTool + " append " + dir + " " + pem + " 30 30 b").rc == 0);
  std::string cp = JoinPath(dir, kCheckpointFile);

  auto vk = Run(checker + " vkey " + vkey);
  CHECK_MESSAGE(vk.rc == 0, vk.out);
  auto c = Run(checker + " checkpoint " + vkey + " " + cp);
  CHECK_MESSAGE(c.rc == 0, c.out);
  CHECK(c.out.find("size 43") != std::string::npos);

  for (int i : {0, 1, 12, 13, 31, 42}) {
    std::string proof = t.Sub("p" + std::to_string(i));
    REQUIRE(
        Run(kBin + " log prove --log " + dir + " --index " + std::to_string(i) + " --out " + proof)
            .rc == 0);
    auto r = Run(checker + " inclusion " + vkey + " " + proof);
    CHECK_MESSAGE(r.rc == 0, "index ", i, ": ", r.out);
  }
  std::string cproof = t.Sub("consistency");
  REQUIRE(Run(kBin + " log consistency --log " + dir + " --from " + old + " --out " + cproof).rc ==
          0);
  auto cr = Run(checker + " consistency " + vkey + " " + old + " " + cproof);
  CHECK_MESSAGE(cr.rc == 0, cr.out);

  SUBCASE("a proof hash altered") {
    auto f = ConsistencyProofFile::Parse(ReadAll(cproof));
    REQUIRE(f.ok());
    f->hashes[0][3] ^= 1;
    WriteAll(cproof, f->Format());
    CHECK(Run(checker + " consistency " + vkey + " " + old + " " + cproof).rc != 0);
  }
  SUBCASE("the event in an inclusion proof altered") {
    auto f = InclusionProofFile::Parse(ReadAll(t.Sub("p12")));
    REQUIRE(f.ok());
    (*f->extra)[4] ^= 1;
    WriteAll(t.Sub("p12"), f->Format());
    CHECK(Run(checker + " inclusion " + vkey + " " + t.Sub("p12")).rc != 0);
  }
  SUBCASE("the checkpoint's tree size altered") {
    std::string note = ReadAll(cp);
    note.replace(note.find("\n43\n"), 4, "\n44\n");
    WriteAll(t.Sub("bad.checkpoint"), note);
    CHECK(Run(checker + " checkpoint " + vkey + " " + t.Sub("bad.checkpoint")).rc != 0);
  }
}

}  // namespace
}  // namespace sr::log
