// `strongroom log ...` end to end: the binary against logs written by the
// log_tool helper process.
#include <doctest/doctest.h>

#include "base/hash.h"
#include "log/merkle.h"
#include "log/reader.h"
#include "log/record.h"
#include "proto/event.pb.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tool_log.h"

namespace sr::log {
namespace {

using sr::testing::CmdResult;
using sr::testing::ReadAll;
using sr::testing::Run;
using sr::testing::WriteAll;

const std::string kBin = STRONGROOM_BINARY;
const std::string kTool = LOG_TOOL;

// The log_tool-written log of every test here (shared with publish_test).
using CliLog = sr::testing::ToolLog;

TEST_CASE("cli: log verify accepts an untouched 1,000-event log and names a flipped byte's event") {
  CliLog l(1000);
  CmdResult ok = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'");
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  CHECK(ok.out.find("log verified") != std::string::npos);
  CHECK(ok.out.find("1000 events") != std::string::npos);

  auto r = LogReader::Open(l.dir);
  std::uint64_t off = *r->Offset(617);
  std::string ev = ReadAll(JoinPath(l.dir, kEventsFile));
  ev[off + 30] ^= 0x04;
  WriteAll(JoinPath(l.dir, kEventsFile), ev);
  CmdResult bad = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'");
  CHECK(bad.rc == 6);
  CHECK_MESSAGE(bad.out.find("event 617, byte offset " + std::to_string(off)) != std::string::npos,
                bad.out);
  CHECK(bad.out.find("record-checksum") != std::string::npos);
  CmdResult js = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'", true);
  CHECK(js.rc == 6);
  CHECK_MESSAGE(js.out.find("\"check\":\"record-checksum\",\"index\":617") != std::string::npos,
                js.out);
}

TEST_CASE(
    "cli: log verify reads the vkey from a file, checks --since, and fails on a deleted event") {
  CliLog l(50);
  std::string old = l.t.Sub("old.checkpoint");
  WriteAll(old, ReadAll(JoinPath(l.dir, kCheckpointFile)));
  WriteAll(l.t.Sub("vkey"), l.vkey + "\n");
  l.Append(20, 100, "more");
  CmdResult ok =
      l.Log("verify --station " + l.t.path() + " --vkey " + l.t.Sub("vkey") + " --since " + old);
  // --station DIR means DIR/log, which is where CliLog put it.
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  CHECK(ok.out.find("consistent with your checkpoint of size 50") != std::string::npos);

  // The older checkpoint put back in place of the newer one.
  std::string newer = ReadAll(JoinPath(l.dir, kCheckpointFile));
  WriteAll(JoinPath(l.dir, kCheckpointFile), ReadAll(old));
  // Without a checkpoint kept, it looks like what a crash before signing
  // leaves: its own state (exit 10), naming `log recover`...
  CmdResult rolled = l.Log("verify --log " + l.dir + " --vkey " + l.t.Sub("vkey"));
  CHECK(rolled.rc == 10);
  CHECK_MESSAGE(rolled.out.find("unsigned-events, event 50") != std::string::npos, rolled.out);
  CHECK(rolled.out.find("20 event(s) after the signed checkpoint") != std::string::npos);
  CHECK(rolled.out.find("log recover") != std::string::npos);
  // ...and the newer checkpoint the auditor kept tells it apart: tampering.
  WriteAll(l.t.Sub("newer.checkpoint"), newer);
  CmdResult caught = l.Log("verify --log " + l.dir + " --vkey " + l.t.Sub("vkey") + " --since " +
                           l.t.Sub("newer.checkpoint"));
  CHECK(caught.rc == 6);
  CHECK_MESSAGE(caught.out.find("since-consistency") != std::string::npos, caught.out);
  WriteAll(JoinPath(l.dir, kCheckpointFile), newer);

  auto r = LogReader::Open(l.dir);
  std::uint64_t a = *r->Offset(12), b = *r->Offset(13);
  std::string ev = ReadAll(JoinPath(l.dir, kEventsFile));
  ev.erase(a, b - a);
  WriteAll(JoinPath(l.dir, kEventsFile), ev);
  CmdResult bad = l.Log("verify --log " + l.dir + " --vkey " + l.t.Sub("vkey"));
  CHECK(bad.rc == 6);
  CHECK_MESSAGE(bad.out.find("event-sequence, event 12") != std::string::npos, bad.out);
}

TEST_CASE("cli: log prove, consistency and verify-proof round-trip and reject a forged proof") {
  CliLog l(30);
  std::string old = l.t.Sub("old.checkpoint");
  WriteAll(old, ReadAll(JoinPath(l.dir, kCheckpointFile)));
  l.Append(7, 100, "more");
  std::string proof = l.t.Sub("e12.tlog-proof");
  REQUIRE(l.Log("prove --log " + l.dir + " --index 12 --out " + proof).rc == 0);
  CHECK(ReadAll(proof).rfind("c2sp.org/tlog-proof@v1\nextra ", 0) == 0);
  CmdResult ok = l.Log("verify-proof " + proof + " --vkey '" + l.vkey + "'");
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  CHECK(ok.out.find("event 12 is in strongroom.test/cli at tree size 37") != std::string::npos);

  std::string text = ReadAll(proof);
  std::size_t idx = text.find("index 12\n");
  text.replace(idx, 9, "index 13\n");
  WriteAll(proof, text);
  CHECK(l.Log("verify-proof " + proof + " --vkey '" + l.vkey + "'").rc == 1);

  std::string cproof = l.t.Sub("c.proof");
  REQUIRE(l.Log("consistency --log " + l.dir + " --from " + old + " --out " + cproof).rc == 0);
  CmdResult c = l.Log("verify-proof " + cproof + " --vkey '" + l.vkey + "' --old " + old, true);
  CHECK_MESSAGE(c.rc == 0, c.out);
  CHECK(c.out.find("\"old_size\":30") != std::string::npos);

  // Without the checkpoint the auditor kept, a consistency proof proves
  // nothing they hold: it is not reported as verified.
  CmdResult bare = l.Log("verify-proof " + cproof + " --vkey '" + l.vkey + "'");
  CHECK(bare.rc != 0);
  CHECK(bare.all().find("proof verified") == std::string::npos);
  CHECK_MESSAGE(bare.all().find("give --old CHECKPOINT") != std::string::npos, bare.all());
  CHECK(bare.all().find("nothing was verified") != std::string::npos);
}

TEST_CASE("cli: log show prints events as protobuf JSON and log vkey prints the verifier key") {
  CliLog l(3);
  CmdResult js = l.Log("show --log " + l.dir + " --index 1", true);
  CHECK(js.rc == 0);
  CHECK_MESSAGE(js.out.find("\"index\":1,\"event\":{\"sequence\":\"1\"") != std::string::npos,
                js.out);
  CHECK(js.out.find("EVENT_KIND_CEREMONY_STEP") != std::string::npos);
  CmdResult human = l.Log("show --log " + l.dir);
  CHECK(human.out.find("--- event 2 (EVENT_KIND_CEREMONY_STEP") != std::string::npos);
  CmdResult vk = l.Log("vkey --log " + l.dir);
  CHECK(vk.out == l.vkey + "\n");
  CHECK(l.Log("show --log " + l.dir + " --index 3").rc == 4);
}

TEST_CASE("cli: log show --json uses lowerCamelCase names and prints event 0's sequence") {
  CliLog l(2);
  CmdResult js = l.Log("show --log " + l.dir, true);
  REQUIRE(js.rc == 0);
  CHECK_MESSAGE(js.out.find("{\"index\":0,\"event\":{\"sequence\":\"0\",") != std::string::npos,
                js.out);
  CHECK(js.out.find("\"stationId\":") != std::string::npos);
  CHECK(js.out.find("\"station_id\"") == std::string::npos);
  CmdResult human = l.Log("show --log " + l.dir + " --index 0");
  CHECK_MESSAGE(human.out.find("\"sequence\": \"0\"") != std::string::npos, human.out);
}

TEST_CASE("cli: log schema writes the event schemas; protoc decodes an event with them alone") {
  CliLog l(1);
  std::string out = l.t.Sub("schema");
  CmdResult w = l.Log("schema --out " + out);
  REQUIRE_MESSAGE(w.rc == 0, w.out);
  CHECK(ReadAll(out + "/proto/event.proto").find("message Event {") != std::string::npos);
  CHECK(ReadAll(out + "/proto/common.proto").find("package strongroom.v1;") != std::string::npos);
  if (Run("command -v protoc").rc != 0) return;  // protoc: protobuf-compiler (a build dependency)
  auto r = LogReader::Open(l.dir);
  REQUIRE(r.ok());
  auto ev = r->ReadEvent(0);
  REQUIRE(ev.ok());
  WriteAll(l.t.Sub("e0.bin"), *ev);
  CmdResult d = Run("cd " + l.t.path() + " && protoc --decode strongroom.v1.Event -I " + out + " " +
                    out + "/proto/event.proto < e0.bin");
  CHECK_MESSAGE(d.rc == 0, d.out);
  CHECK(d.out.find("kind: EVENT_KIND_") != std::string::npos);
}

TEST_CASE("cli: log recover removes a torn tail, logs it, and the log verifies again") {
  CliLog l(5);
  std::string path = JoinPath(l.dir, kEventsFile);
  WriteAll(path, ReadAll(path) + std::string("\x00\x00\x01\x00partial", 11));
  CmdResult before = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'");
  CHECK(before.rc == 10);  // what a crash leaves, not tampering
  CHECK_MESSAGE(before.out.find("torn-tail, event 5") != std::string::npos, before.out);
  CHECK(before.out.find("11 bytes of an incomplete record") != std::string::npos);
  CHECK(Run(kTool + " append " + l.dir + " " + l.pem + " 1 1 x").rc != 0);
  CmdResult rec = l.Log("recover --log " + l.dir + " --log-key-pem " + l.pem + " --operator carol");
  CHECK_MESSAGE(rec.rc == 0, rec.out);
  CHECK(rec.out.find("removed a torn tail of 11 bytes") != std::string::npos);
  CHECK(l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'").rc == 0);
  CmdResult show = l.Log("show --log " + l.dir + " --index 5", true);
  CHECK(show.out.find("EVENT_KIND_LOG_RECOVERED") != std::string::npos);
  CHECK(show.out.find("\"operators\":[\"carol\"]") != std::string::npos);
  CHECK(show.out.find("\"removedLength\":\"11\"") != std::string::npos);
}

// The record recover appends for a removal (as LogWriter::Recover builds
// it), so a test can leave the part of it a kill inside the write leaves.
std::string RecoveredRecord(std::uint64_t sequence, std::uint64_t offset, const std::string& cut) {
  strongroom::v1::Event ev;
  ev.set_sequence(sequence);
  ev.set_kind(strongroom::v1::EVENT_KIND_LOG_RECOVERED);
  ev.set_time("2026-12-06T12:00:00Z");
  auto* rec = ev.mutable_log_recovered();
  rec->set_removed_offset(offset);
  rec->set_removed_length(cut.size());
  rec->set_removed_sha256(Sha256Hex(cut));
  rec->set_reason("incomplete record after the last complete event (crash during an append)");
  std::string payload;
  REQUIRE(ev.SerializeToString(&payload));
  return EncodeRecord(payload, HashLeaf(payload));
}

TEST_CASE(
    "crash: recovers killed inside their own append lose no removal: the rerun logs every one") {
  CliLog l(5);
  const std::string path = JoinPath(l.dir, kEventsFile);
  const std::string pending = JoinPath(l.dir, kRecoverPendingFile);
  const std::string recover = "recover --log " + l.dir + " --log-key-pem " + l.pem;
  const std::uint64_t at = ReadAll(path).size();
  // The crash's torn tail.
  std::vector<std::string> cut = {std::string("\x00\x00\x01\x00partial", 11)};
  WriteAll(path, ReadAll(path) + cut[0]);
  // Two recovers in a row are killed inside their own append of
  // LOG_RECOVERED: each was stopped after cutting (the hook kills it there)
  // and then leaves the first bytes of the record it was writing, as a
  // kill inside write(2) would.
  for (std::size_t k = 1; k <= 2; ++k) {
    INFO("interrupted recover ", k);
    CmdResult killed =
        Run("STRONGROOM_TEST_CRASH_AT=recover-after-cut " + kBin + " log " + recover);
    CHECK(killed.rc != 0);
    CHECK(PathExists(pending));
    CHECK(ReadAll(path).size() == at);  // the torn bytes are cut, their record kept
    std::string record = RecoveredRecord(5, at, cut[0]);
    cut.push_back(record.substr(0, 20 + 7 * k));
    WriteAll(path, ReadAll(path) + cut.back());
    CmdResult v = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'");
    CHECK(v.rc == 10);
    CHECK_MESSAGE(v.out.find("torn-tail, event 5") != std::string::npos, v.out);
    // Nothing may append while the recovery is unfinished.
    CHECK(Run(kTool + " append " + l.dir + " " + l.pem + " 1 1 x").rc != 0);
  }
  // A third is killed after appending the events, before signing them.
  CmdResult late = Run("STRONGROOM_TEST_CRASH_AT=recover-after-append " + kBin + " log " + recover);
  CHECK(late.rc != 0);
  CHECK(PathExists(pending));
  CmdResult done = l.Log(recover + " --operator carol");
  REQUIRE_MESSAGE(done.rc == 0, done.out);
  CHECK_FALSE(PathExists(pending));
  CmdResult ok = l.Log("verify --log " + l.dir + " --vkey '" + l.vkey + "'");
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  // Every removal is in the log, once, in the order it was cut: the crash's
  // torn tail first, then each interrupted recover's partial record.
  auto r = LogReader::Open(l.dir);
  REQUIRE(r.ok());
  REQUIRE(r->indexed_size() == 5 + cut.size());
  for (std::size_t k = 0; k < cut.size(); ++k) {
    INFO("removal ", k);
    strongroom::v1::Event e;
    REQUIRE(e.ParseFromString(*r->ReadEvent(5 + k)));
    CHECK(e.kind() == strongroom::v1::EVENT_KIND_LOG_RECOVERED);
    CHECK(e.log_recovered().removed_offset() == at);
    CHECK(e.log_recovered().removed_length() == cut[k].size());
    CHECK(e.log_recovered().removed_sha256() == Sha256Hex(cut[k]));
    CHECK(e.log_recovered().tree_size_before() == 5);
    CHECK((e.log_recovered().reason().find("interrupted 'log recover'") != std::string::npos) ==
          (k > 0));
  }
}

}  // namespace
}  // namespace sr::log
