// Publication of the log (`log export` to C2SP tlog-tiles, `log verify
// --tiles`) and its witnesses (`log witness-key`, `log cosign`,
// `log add-cosignature`, `--witness`), end to end: the strongroom binary
// against logs written by the log_tool helper process.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "base/encoding.h"
#include "base/hash.h"
#include "log/cosignature.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/tiles.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tool_log.h"

namespace sr::log {
namespace {

namespace fs = std::filesystem;
using sr::testing::CmdResult;
using sr::testing::ReadAll;
using sr::testing::Run;
using sr::testing::WriteAll;

// A log_tool-written log (its events in one commit) and where it is exported.
struct Published : sr::testing::ToolLog {
  std::string out = t.Sub("export");
  explicit Published(int n) : ToolLog(n, "strongroom.test/publish", Fill::kBulk, "a") {}
  CmdResult Export(const std::string& to, const std::string& extra = "",
                   const std::string& log = "") const {
    return Sr("log export --log " + (log.empty() ? dir : log) + " --tiles " + to + extra, true);
  }
  CmdResult VerifyTiles(const std::string& extra = "", const std::string& tiles = "") const {
    return Sr("log verify --tiles " + (tiles.empty() ? out : tiles) + " --vkey " + vkey_file +
              extra);
  }
};

std::set<std::string> Written(const CmdResult& r) {
  std::set<std::string> s;
  std::string key = "\"written\":[";
  std::size_t p = r.out.find(key);
  REQUIRE_MESSAGE(p != std::string::npos, r.out);
  std::string list = r.out.substr(p + key.size(), r.out.find(']', p) - p - key.size());
  for (std::size_t i = 0; (i = list.find('"', i)) != std::string::npos;) {
    std::size_t j = list.find('"', i + 1);
    s.insert(list.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  return s;
}

TEST_CASE("tiles: paths follow C2SP tlog-tiles (x-prefixed 3-digit elements, .p/W partials)") {
  CHECK(TilePath(0, 0, 256) == "tile/0/000");
  CHECK(TilePath(0, 1234067, 256) == "tile/0/x001/x234/067");
  CHECK(TilePath(2, 5, 17) == "tile/2/005.p/17");
  CHECK(EntryBundlePath(1000, 3) == "tile/entries/x001/000.p/3");
  // The spec's example: a tree of 70,000 leaves.
  CHECK(TileWidthAt(0, 272, 70000) == 256);
  CHECK(TileWidthAt(0, 273, 70000) == 112);
  CHECK(TileWidthAt(1, 0, 70000) == 256);
  CHECK(TileWidthAt(1, 1, 70000) == 17);
  CHECK(TileWidthAt(2, 0, 70000) == 1);
  CHECK(TileWidthAt(3, 0, 70000) == 0);
  CHECK(TileWidthAt(1, 0, 256) == 1);
}

TEST_CASE(
    "tiles: log export writes checkpoint, full and partial tiles and entry bundles whose entries "
    "are the events that hash to the tree's leaves; log verify --tiles accepts it") {
  Published p(600);
  CmdResult e = p.Export(p.out);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  CHECK(Written(e) == std::set<std::string>{"tile/0/000", "tile/0/001", "tile/0/002.p/88",
                                            "tile/1/000.p/2", "tile/entries/000",
                                            "tile/entries/001", "tile/entries/002.p/88",
                                            "checkpoint"});
  CHECK(fs::file_size(p.out + "/tile/0/001") == 8192);
  CHECK(fs::file_size(p.out + "/tile/0/002.p/88") == 88 * 32);
  CHECK(ReadAll(p.out + "/checkpoint") == ReadAll(p.dir + "/checkpoint"));
  // The export is world-readable whatever the umask, ready to serve.
  struct stat st;
  REQUIRE(::stat((p.out + "/tile/entries").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0755);

  auto r = LogReader::Open(p.dir);
  REQUIRE(r.ok());
  std::string tile = ReadAll(p.out + "/tile/0/001");
  auto bundle = ParseEntryBundle(ReadAll(p.out + "/tile/entries/001"), 256);
  REQUIRE(bundle.ok());
  for (int i : {0, 7, 255}) {
    auto ev = r->ReadEvent(256 + i);
    REQUIRE(ev.ok());
    CHECK((*bundle)[i] == *ev);
    CHECK(HashLeaf((*bundle)[i]) == tile.substr(i * 32, 32));
  }

  CmdResult v = p.VerifyTiles();
  CHECK_MESSAGE(v.rc == 0, v.out);
  CHECK(v.out.find("log verified: strongroom.test/publish, 600 events") != std::string::npos);
  // The same root as the log directory's own verify.
  CmdResult vl = p.Sr("log verify --log " + p.dir + " --vkey " + p.vkey_file);
  REQUIRE(vl.rc == 0);
  CHECK(v.out.substr(v.out.find("root")) == vl.out.substr(vl.out.find("root")));
}

TEST_CASE(
    "tiles: a second export writes only what changed (grown partials, newly full tiles), a third "
    "with nothing new only keeps the checkpoint, and --since writes just the difference") {
  Published p(600);
  REQUIRE(p.Export(p.out).rc == 0);
  std::string cp600 = p.t.Sub("cp600");
  WriteAll(cp600, ReadAll(p.out + "/checkpoint"));
  fs::copy(p.out, p.t.Sub("export600"), fs::copy_options::recursive);
  auto full_mtime = fs::last_write_time(p.out + "/tile/0/000");

  p.Bulk(100, "b");  // 700: tile 2 grows to 188
  CmdResult e = p.Export(p.out);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  CHECK(Written(e) ==
        std::set<std::string>{"tile/0/002.p/188", "tile/entries/002.p/188", "checkpoint"});
  CHECK(e.out.find("\"old_size\":600") != std::string::npos);
  CHECK(fs::last_write_time(p.out + "/tile/0/000") == full_mtime);
  // The narrower partial stays for clients of the older checkpoint.
  CHECK(fs::exists(p.out + "/tile/0/002.p/88"));

  p.Bulk(68, "c");  // 768: tile 2 is full, level 1 grows to 3
  e = p.Export(p.out);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  CHECK(Written(e) ==
        std::set<std::string>{"tile/0/002", "tile/entries/002", "tile/1/000.p/3", "checkpoint"});
  CmdResult v = p.VerifyTiles(" --since " + cp600);
  CHECK_MESSAGE(v.rc == 0, v.out);
  CHECK(v.out.find("768 events") != std::string::npos);
  CHECK(v.out.find("consistent with your checkpoint of size 600") != std::string::npos);

  e = p.Export(p.out);
  REQUIRE(e.rc == 0);
  CHECK(Written(e).empty());

  // Removable media: only what the published export of size 600 lacks.
  std::string media = p.t.Sub("media");
  e = p.Export(media, " --since " + cp600);
  REQUIRE_MESSAGE(e.rc == 0, e.out);
  CHECK(Written(e) ==
        std::set<std::string>{"tile/0/002", "tile/entries/002", "tile/1/000.p/3", "checkpoint"});
  // Copied over the published export, it gives the new one.
  fs::copy(media, p.t.Sub("export600"),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  v = p.VerifyTiles("", p.t.Sub("export600"));
  CHECK_MESSAGE(v.rc == 0, v.out);
}

TEST_CASE(
    "tiles: an export that fails half-way leaves the previous export whole: the checkpoint is "
    "replaced last") {
  Published p(600);
  REQUIRE(p.Export(p.out).rc == 0);
  std::string before = ReadAll(p.out + "/checkpoint");
  p.Bulk(700, "b");  // 1300: tiles 2..4 full, 5 partial
  // A file the export cannot write (a directory in its place), after the
  // first new tiles were written.
  fs::create_directories(p.out + "/tile/entries/004/blocker");
  CmdResult e = p.Export(p.out);
  CHECK(e.rc != 0);
  CHECK(ReadAll(p.out + "/checkpoint") == before);
  CHECK(fs::exists(p.out + "/tile/0/002"));  // written before the failure, unreferenced
  CmdResult v = p.VerifyTiles();
  CHECK_MESSAGE(v.rc == 0, v.out);
  CHECK(v.out.find("600 events") != std::string::npos);
  fs::remove_all(p.out + "/tile/entries/004");
  e = p.Export(p.out);
  CHECK_MESSAGE(e.rc == 0, e.out);
  v = p.VerifyTiles();
  CHECK_MESSAGE(v.rc == 0, v.out);
  CHECK(v.out.find("1300 events") != std::string::npos);
}

TEST_CASE("tiles: export refuses to extend an export of a forked log, and names the problem") {
  Published p(300);
  std::string fork = p.t.Sub("fork");
  fs::copy(p.dir, fork, fs::copy_options::recursive);
  p.Bulk(20, "main");
  p.Bulk(20, "fork", fork);
  REQUIRE(p.Export(p.out).rc == 0);
  std::string before = ReadAll(p.out + "/checkpoint");
  CmdResult e = p.Export(p.out, "", fork);
  CHECK(e.rc == 6);
  CHECK_MESSAGE(e.out.find("not a prefix of this log") != std::string::npos, e.out);
  CHECK(ReadAll(p.out + "/checkpoint") == before);
}

TEST_CASE("tiles: log verify --tiles names an altered entry, an altered tile, a missing bundle") {
  Published p(600);
  REQUIRE(p.Export(p.out).rc == 0);
  SUBCASE("an entry's byte flipped") {
    std::string path = p.out + "/tile/entries/001";
    std::string b = ReadAll(path);
    auto entries = ParseEntryBundle(b, 256);
    REQUIRE(entries.ok());
    std::size_t off = 0;
    for (int i = 0; i < 44; ++i) off += 2 + (*entries)[i].size();
    // Inside the operators string of entry 256 + 44 (the tail of the event).
    b[off + 2 + (*entries)[44].size() - 3] ^= 0x01;
    WriteAll(path, b);
    CmdResult v = p.Sr("log verify --tiles " + p.out + " --vkey " + p.vkey_file, true);
    CHECK(v.rc == 6);
    CHECK_MESSAGE(v.out.find("\"index\":300") != std::string::npos, v.out);
  }
  SUBCASE("a hash in a level-1 tile altered") {
    std::string path = p.out + "/tile/1/000.p/2";
    std::string b = ReadAll(path);
    b[40] ^= 0x01;
    WriteAll(path, b);
    CmdResult v = p.VerifyTiles();
    CHECK(v.rc == 6);
    CHECK_MESSAGE(v.out.find("check tile") != std::string::npos, v.out);
    CHECK(v.out.find("tile/1/000.p/2") != std::string::npos);
  }
  SUBCASE("an entry bundle missing") {
    fs::remove(p.out + "/tile/entries/001");
    CmdResult v = p.VerifyTiles();
    CHECK(v.rc == 6);
    CHECK_MESSAGE(v.out.find("check bundle, event 256") != std::string::npos, v.out);
  }
  SUBCASE("an http URL is refused: no network") {
    CmdResult v = p.Sr("log verify --tiles https://example.org/log --vkey " + p.vkey_file);
    CHECK(v.rc == 3);
    CHECK(v.out.find("reads no network") != std::string::npos);
  }
}

// A witness: its key, vkey file and state.
struct Witness {
  std::string key, vkey, state;
  Witness(const Published& p, const std::string& name) {
    key = p.t.Sub(name + ".pem");
    vkey = p.t.Sub(name + ".vkey");
    state = p.t.Sub(name + ".state");
    CmdResult k = p.Sr("log witness-key --name witness.test/" + name + " --out " + key +
                       " --vkey-out " + vkey);
    REQUIRE_MESSAGE(k.rc == 0, k.out);
  }
  CmdResult Cosign(const Published& p, const std::string& dir,
                   const std::string& extra = "") const {
    return p.Sr("log cosign --witness-key " + key + " --witness-vkey " + vkey + " --log " + dir +
                " --state " + state + " --vkey " + p.vkey_file + extra);
  }
};

TEST_CASE(
    "witness: cosign checks consistency with its state and catches a split view: a fork rolled "
    "back and extended differently is refused, the state kept") {
  Published p(300);
  std::string fork = p.t.Sub("fork");
  fs::copy(p.dir, fork, fs::copy_options::recursive);  // the log as it was at 300
  Witness w(p, "w1");
  REQUIRE(p.Export(p.out).rc == 0);

  CmdResult c = w.Cosign(p, p.out);
  CHECK(c.rc == 10);
  CHECK_MESSAGE(c.out.find("--init") != std::string::npos, c.out);
  c = w.Cosign(p, p.out, " --init");
  REQUIRE_MESSAGE(c.rc == 0, c.out);
  CHECK(c.out.rfind("\xE2\x80\x94 witness.test/w1 ", 0) == 0);
  // The line verifies as a tlog-cosignature/v1 by the witness's key.
  auto wv = CosignatureVerifier::Parse(ReadAll(w.vkey));
  REQUIRE(wv.ok());
  CHECK(wv->Find(ReadAll(p.out + "/checkpoint") + c.out).has_value());

  p.Bulk(50, "main");  // the honest log grows to 350
  REQUIRE(p.Export(p.out).rc == 0);
  c = w.Cosign(p, p.out);
  REQUIRE_MESSAGE(c.rc == 0, c.out);
  std::string state = ReadAll(w.state);
  CHECK(state == ReadAll(p.out + "/checkpoint"));

  SUBCASE("the fork extended past the state") {
    p.Bulk(80, "fork", fork);  // 380, rewritten from 300 on
    std::string fork_out = p.t.Sub("fork-export");
    REQUIRE(p.Export(fork_out, "", fork).rc == 0);
    c = w.Cosign(p, fork_out);
    CHECK(c.rc == 6);
    CHECK_MESSAGE(c.out.find("SPLIT VIEW") != std::string::npos, c.out);
    CHECK(c.out.find("size 350") != std::string::npos);
    // A log directory instead of an export: the same.
    c = w.Cosign(p, fork);
    CHECK(c.rc == 6);
    CHECK(c.out.find("SPLIT VIEW") != std::string::npos);
  }
  SUBCASE("the fork at the state's size") {
    p.Bulk(50, "fork", fork);  // 350, another root
    c = w.Cosign(p, fork);
    CHECK(c.rc == 6);
    CHECK_MESSAGE(c.out.find("SPLIT VIEW") != std::string::npos, c.out);
  }
  SUBCASE("an older checkpoint is not cosigned") {
    c = w.Cosign(p, fork);  // the log at 300, before the state's 350
    CHECK(c.rc == 10);
    CHECK_MESSAGE(c.out.find("older than the one this witness cosigned") != std::string::npos,
                  c.out);
  }
  CHECK(ReadAll(w.state) == state);
  // The honest log still cosigns.
  p.Bulk(10, "main");
  c = w.Cosign(p, p.dir);
  CHECK_MESSAGE(c.rc == 0, c.out);
}

TEST_CASE(
    "witness: the cosignature line is C2SP tlog-cosignature/v1: key ID over 0x04, a 72-byte "
    "timestamped signature over 'cosignature/v1\\ntime T\\n' + the checkpoint, checked by "
    "the openssl command line") {
  Published p(5);
  Witness w(p, "w1");
  CmdResult c = w.Cosign(p, p.dir, " --init");
  REQUIRE_MESSAGE(c.rc == 0, c.out);
  std::string line = c.out.substr(0, c.out.find('\n'));
  std::string prefix = "\xE2\x80\x94 witness.test/w1 ";
  REQUIRE(line.rfind(prefix, 0) == 0);
  auto blob = Base64Decode(line.substr(prefix.size()));
  REQUIRE(blob.ok());
  REQUIRE(blob->size() == 4 + 8 + 64);
  std::string vkey = ReadAll(w.vkey);
  // name+keyid+base64: the name and key ID hold no '+', the base64 may.
  std::size_t key_at = vkey.find('+', vkey.find('+') + 1) + 1;
  auto raw = Base64Decode(vkey.substr(key_at, vkey.find('\n') - key_at));
  REQUIRE(raw.ok());
  REQUIRE(raw->size() == 33);
  CHECK((*raw)[0] == 0x04);
  CHECK(blob->substr(0, 4) ==
        Sha256Bytes("witness.test/w1\n" + std::string(1, '\x04') + raw->substr(1)).substr(0, 4));
  std::uint64_t t = LoadBe64(blob->data() + 4);
  CHECK(t > 1700000000);
  std::string note = ReadAll(p.dir + "/checkpoint");
  std::string msg =
      "cosignature/v1\ntime " + std::to_string(t) + "\n" + note.substr(0, note.find("\n\n") + 1);
  WriteAll(p.t.Sub("msg"), msg);
  WriteAll(p.t.Sub("sig"), blob->substr(12));
  REQUIRE(Run("openssl pkey -in " + w.key + " -pubout -out " + p.t.Sub("pub.pem")).rc == 0);
  std::string verify = "openssl pkeyutl -verify -pubin -inkey " + p.t.Sub("pub.pem") +
                       " -rawin -in " + p.t.Sub("msg") + " -sigfile " + p.t.Sub("sig");
  CmdResult o = Run(verify);
  CHECK_MESSAGE(o.rc == 0, o.out);
  WriteAll(p.t.Sub("msg"), msg + "x");
  CHECK(Run(verify).rc != 0);
}

TEST_CASE("witness: the witness key file must be private and match the witness's vkey") {
  Published p(3);
  Witness w(p, "w1"), other(p, "w2");
  REQUIRE(p.Export(p.out).rc == 0);
  ::chmod(w.key.c_str(), 0644);
  CmdResult c = w.Cosign(p, p.out, " --init");
  CHECK(c.rc == 10);
  CHECK_MESSAGE(c.out.find("chmod 600") != std::string::npos, c.out);
  ::chmod(w.key.c_str(), 0600);
  c = p.Sr("log cosign --witness-key " + w.key + " --witness-vkey " + other.vkey + " --log " +
           p.out + " --state " + w.state + " --init --vkey " + p.vkey_file);
  CHECK(c.rc == 3);
  CHECK(c.out.find("is not the key of --witness-vkey") != std::string::npos);
  CHECK(!fs::exists(w.state));
}

TEST_CASE(
    "witness: the station stores cosignatures, exports them with the checkpoint and proves "
    "against the newest cosigned checkpoint; verify --witness --witness-threshold counts them") {
  Published p(300);
  Witness w1(p, "w1"), w2(p, "w2");
  REQUIRE(p.Export(p.out).rc == 0);
  std::string line1 = p.t.Sub("w1.cosig");
  REQUIRE(w1.Cosign(p, p.out, " --init --out " + line1).rc == 0);
  std::string exported = p.t.Sub("exported.checkpoint");
  WriteAll(exported, ReadAll(p.out + "/checkpoint"));

  CmdResult v = p.VerifyTiles(" --witness " + w1.vkey);
  CHECK(v.rc == 1);
  CHECK_MESSAGE(v.out.find("check witness-cosignatures") != std::string::npos, v.out);

  p.Bulk(20, "later");  // the station moved on before the cosignature came back
  CmdResult a = p.Sr("log add-cosignature --log " + p.dir + " --checkpoint " + exported +
                     " --cosignature " + line1 + " --witness " + w1.vkey);
  REQUIRE_MESSAGE(a.rc == 0, a.out);
  CHECK(a.out.find("stored 1 new cosignature(s) for the checkpoint of size 300") !=
        std::string::npos);

  SUBCASE("a cosignature for another checkpoint, or by a key not given, is refused") {
    CmdResult bad = p.Sr("log add-cosignature --log " + p.dir + " --cosignature " + line1 +
                         " --witness " + w1.vkey);  // against the current checkpoint (320)
    CHECK(bad.rc == 6);
    CHECK_MESSAGE(bad.out.find("does not verify over this checkpoint") != std::string::npos,
                  bad.out);
    bad = p.Sr("log add-cosignature --log " + p.dir + " --checkpoint " + exported +
               " --cosignature " + line1 + " --witness " + w2.vkey);
    CHECK(bad.rc == 3);
    CHECK(bad.out.find("add --witness VKEY for it") != std::string::npos);
  }

  // The proof of an event the cosigned checkpoint covers is against it.
  std::string proof = p.t.Sub("p10");
  REQUIRE(p.Sr("log prove --log " + p.dir + " --index 10 --out " + proof).rc == 0);
  auto f = InclusionProofFile::Parse(ReadAll(proof));
  REQUIRE(f.ok());
  CHECK(f->checkpoint_note.find("\n300\n") != std::string::npos);
  CHECK(f->checkpoint_note.find("witness.test/w1") != std::string::npos);
  CHECK(p.Sr("log verify-proof " + proof + " --vkey " + p.vkey_file).rc == 0);
  CmdResult vp =
      p.Sr("log verify-proof " + proof + " --vkey " + p.vkey_file + " --witness " + w1.vkey);
  CHECK_MESSAGE(vp.rc == 0, vp.out);
  vp = p.Sr("log verify-proof " + proof + " --vkey " + p.vkey_file + " --witness " + w2.vkey);
  CHECK(vp.rc == 1);
  CHECK(vp.out.find("0 valid cosignature(s) by the given witnesses, 1 required") !=
        std::string::npos);
  // An event after it: against the current checkpoint, without cosignatures.
  REQUIRE(p.Sr("log prove --log " + p.dir + " --index 310 --out " + proof).rc == 0);
  f = InclusionProofFile::Parse(ReadAll(proof));
  REQUIRE(f.ok());
  CHECK(f->checkpoint_note.find("\n320\n") != std::string::npos);
  CHECK(f->checkpoint_note.find("witness.test/w1") == std::string::npos);

  // The next export carries the cosignatures of its checkpoint once the
  // witness has cosigned it and the station has been given them.
  REQUIRE(p.Export(p.out).rc == 0);
  std::string line2 = p.t.Sub("w1.cosig2"), line3 = p.t.Sub("w2.cosig");
  REQUIRE(w1.Cosign(p, p.out, " --out " + line2).rc == 0);
  REQUIRE(w2.Cosign(p, p.out, " --init --out " + line3).rc == 0);
  WriteAll(line2, ReadAll(line2) + ReadAll(line3));
  a = p.Sr("log add-cosignature --log " + p.dir + " --cosignature " + line2 + " --witness " +
           w1.vkey + " --witness " + w2.vkey);
  REQUIRE_MESSAGE(a.rc == 0, a.out);
  CmdResult e = p.Export(p.out);
  REQUIRE(e.rc == 0);
  CHECK(Written(e) == std::set<std::string>{"checkpoint"});
  v = p.VerifyTiles(" --witness " + w1.vkey + " --witness " + w2.vkey + " --witness-threshold 2");
  CHECK_MESSAGE(v.rc == 0, v.out);
  CHECK(v.out.find("cosigned by 2 of the given witnesses (2 required)") != std::string::npos);
  v = p.Sr("log verify --log " + p.dir + " --vkey " + p.vkey_file + " --witness " + w2.vkey +
           " --witness-threshold 1");
  CHECK_MESSAGE(v.rc == 0, v.out);
  v = p.VerifyTiles(" --witness " + w1.vkey + " --witness-threshold 2");
  CHECK(v.rc == 3);
}

}  // namespace
}  // namespace sr::log
