// The checkpoint note and the proofs checked by Go's golang.org/x/mod/sumdb
// note and tlog packages (tests/interop/go/checker.go), which we did not write.
#include <doctest/doctest.h>

#include <filesystem>

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

TEST_CASE(
    "interop: Go's tlog.TileHashReader reads our tlog-tiles export: entries hash to the leaves, "
    "inclusion of several entries, consistency between two exports, and an altered tile is "
    "caught") {
  TempDir t;
  std::string checker = Checker(t);
  std::string dir = t.Sub("log"), pem = t.Sub("key.pem"), out = t.Sub("export");
  REQUIRE(Run(kTool + " create " + dir + " " + pem + " strongroom.test/tiles").rc == 0);
  REQUIRE(Run(kTool + " append " + dir + " " + pem + " 300 300 a").rc == 0);
  std::string vkey = JoinPath(dir, kVkeyFile);
  auto e = Run(kBin + " log export --log " + dir + " --tiles " + out);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  auto r = Run(checker + " tiles " + vkey + " " + out + " 0 1 255 256 299");
  CHECK_MESSAGE(r.rc == 0, r.out);
  std::filesystem::copy(out, t.Sub("export300"), std::filesystem::copy_options::recursive);
  std::string fork = t.Sub("fork");
  std::filesystem::copy(dir, fork, std::filesystem::copy_options::recursive);

  // Incremental: past a full level-0 tile and into level 2 (65,536 leaves
  // make a full level-1 tile).
  REQUIRE(Run(kTool + " bulk " + dir + " " + pem + " 65500 b").rc == 0);
  e = Run(kBin + " log export --log " + dir + " --tiles " + out);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  REQUIRE(std::filesystem::exists(out + "/tile/2/000.p/1"));
  r = Run(checker + " tiles " + vkey + " " + out + " 0 299 300 65535 65536 65799");
  CHECK_MESSAGE(r.rc == 0, r.out);
  CHECK(r.out.find("65800 entries, 6 inclusion proofs") != std::string::npos);
  r = Run(checker + " tiles-consistency " + vkey + " " + t.Sub("export300") + " " + out);
  CHECK_MESSAGE(r.rc == 0, r.out);
  auto v = Run(kBin + " log verify --tiles " + out + " --vkey " + vkey);
  CHECK_MESSAGE(v.rc == 0, v.out);

  SUBCASE("a hash in a tile altered") {
    std::string tile = out + "/tile/0/256";
    std::string b = ReadAll(tile);
    b[5] ^= 1;
    WriteAll(tile, b);
    CHECK(Run(checker + " tiles " + vkey + " " + out + " 65600").rc != 0);
  }
  SUBCASE("an entry altered") {
    std::string bundle = out + "/tile/entries/001";
    std::string b = ReadAll(bundle);
    b[b.size() - 2] ^= 1;
    WriteAll(bundle, b);
    CHECK(Run(checker + " tiles " + vkey + " " + out).rc != 0);
  }
  SUBCASE("the old export is of a fork (the log at 300, extended differently)") {
    REQUIRE(Run(kTool + " append " + fork + " " + pem + " 10 10 fork").rc == 0);
    std::string fork_out = t.Sub("fork-export");
    REQUIRE(Run(kBin + " log export --log " + fork + " --tiles " + fork_out).rc == 0);
    CHECK(Run(checker + " tiles " + vkey + " " + fork_out + " 305").rc == 0);
    CHECK(Run(checker + " tiles-consistency " + vkey + " " + fork_out + " " + out).rc != 0);
  }
}

}  // namespace
}  // namespace sr::log
