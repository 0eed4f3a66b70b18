// Tampering with a 1,000-event log in every way we can think of must make
// verification fail and name the event (library level; cli_test.cc repeats
// the key cases through the command line).
#include <doctest/doctest.h>
#include <unistd.h>

#include <random>

#include "log/reader.h"
#include "log/record.h"
#include "log/verify.h"
#include "tests/testing/events.h"
#include "tests/testing/files.h"
#include "tests/testing/temp_dir.h"

namespace sr::log {
namespace {

using sr::testing::ReadAll;
using sr::testing::TempDir;
using sr::testing::WriteAll;

constexpr std::uint64_t kEvents = 1000;

// One pristine log (and its checkpoint at size 500) shared by all cases.
struct Pristine {
  TempDir tmp;
  std::unique_ptr<Ed25519NoteSigner> signer;
  std::string dir, old_note;
  std::vector<std::uint64_t> offsets;  // record start of each event
  std::string events;
  Pristine() {
    signer = std::move(Ed25519NoteSigner::Generate("strongroom.test/tamper")).value();
    dir = tmp.Sub("log");
    sr::testing::BuildLog(dir, *signer, 500, 250);
    old_note = ReadAll(JoinPath(dir, kCheckpointFile));
    auto w = LogWriter::Open(dir, *signer);
    for (std::uint64_t i = 500; i < kEvents; ++i) (void)(*w)->Append(sr::testing::TestEvent(i));
    (void)(*w)->Commit();
    w.value().reset();
    auto r = LogReader::Open(dir);
    for (std::uint64_t i = 0; i < kEvents; ++i) offsets.push_back(*r->Offset(i));
    events = ReadAll(JoinPath(dir, kEventsFile));
  }
  std::string Vkey() const { return EncodeVerifierKey(signer->Name(), signer->PublicKey()); }
  // Index of the record containing byte `pos` (-1 for the header).
  std::int64_t IndexAt(std::uint64_t pos) const {
    if (pos < kEventsMagic.size()) return -1;
    auto it = std::upper_bound(offsets.begin(), offsets.end(), pos);
    return static_cast<std::int64_t>(it - offsets.begin()) - 1;
  }
};

Pristine& P() {
  static Pristine p;
  return p;
}

// Copies the pristine log, applies `mutate` to the events file, verifies.
VerifyReport VerifyMutated(const std::function<void(std::string&)>& mutate,
                           std::optional<std::string> since = std::nullopt,
                           const std::function<void(const std::string&)>& mutate_dir = nullptr) {
  TempDir t;
  std::string dir = t.Sub("log");
  sr::testing::CopyDir(P().dir, dir);
  std::string ev = P().events;
  if (mutate) {
    mutate(ev);
    WriteAll(JoinPath(dir, kEventsFile), ev);
  }
  if (mutate_dir) mutate_dir(dir);
  VerifyOptions o;
  o.dir = dir;
  o.vkey = P().Vkey();
  o.since = std::move(since);
  auto r = VerifyLog(o);
  REQUIRE(r.ok());
  return *r;
}

std::string RecordBytes(const std::string& ev, std::uint64_t i) {
  std::uint64_t end = i + 1 < kEvents ? P().offsets[i + 1] : ev.size();
  return ev.substr(P().offsets[i], end - P().offsets[i]);
}

TEST_CASE("tamper: the untouched 1,000-event log verifies, also against its older checkpoint") {
  VerifyReport r = VerifyMutated(nullptr, P().old_note);
  CHECK_MESSAGE(r.ok, (r.failure ? r.failure->message : ""));
  CHECK(r.events == kEvents);
  CHECK(r.since_size == 500u);
}

TEST_CASE(
    "tamper: flipping any single byte, headers and length prefixes included, names the event") {
  std::mt19937_64 rng(12345);
  std::vector<std::uint64_t> positions;
  for (std::uint64_t p = 0; p < kEventsMagic.size(); ++p) positions.push_back(p);
  for (std::uint64_t i : {0ull, 1ull, 499ull, 500ull, 998ull, 999ull}) {
    for (std::uint64_t d = 0; d < 6; ++d) positions.push_back(P().offsets[i] + d);  // length prefix
    positions.push_back(P().offsets[i] + 20);
  }
  positions.push_back(P().events.size() - 1);  // last checksum byte
  for (int k = 0; k < 250; ++k) positions.push_back(rng() % P().events.size());
  for (std::uint64_t pos : positions) {
    std::int64_t want = P().IndexAt(pos);
    VerifyReport r =
        VerifyMutated([&](std::string& ev) { ev[pos] ^= static_cast<char>(1 << (pos % 8)); });
    REQUIRE_MESSAGE(!r.ok, "flip at ", pos);
    if (want < 0) {
      CHECK(r.failure->check == "header");
    } else {
      CHECK_MESSAGE(r.failure->index == want, "flip at ", pos, ": ", r.failure->check, " ",
                    r.failure->message);
      CHECK(r.failure->offset >= 0);
    }
  }
}

TEST_CASE("tamper: deleting, duplicating or reordering events names the first displaced event") {
  SUBCASE("delete event 321") {
    VerifyReport r = VerifyMutated(
        [](std::string& ev) { ev.erase(P().offsets[321], RecordBytes(ev, 321).size()); });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "event-sequence");
    CHECK(r.failure->index == 321);
  }
  SUBCASE("duplicate event 10") {
    VerifyReport r =
        VerifyMutated([](std::string& ev) { ev.insert(P().offsets[11], RecordBytes(ev, 10)); });
    REQUIRE(!r.ok);
    CHECK(r.failure->index == 11);
  }
  SUBCASE("swap events 700 and 701") {
    VerifyReport r = VerifyMutated([](std::string& ev) {
      std::string a = RecordBytes(ev, 700), b = RecordBytes(ev, 701);
      ev.replace(P().offsets[700], a.size() + b.size(), b + a);
    });
    REQUIRE(!r.ok);
    CHECK(r.failure->index == 700);
  }
  SUBCASE("delete the last event") {
    VerifyReport r = VerifyMutated([](std::string& ev) { ev.resize(P().offsets[999]); });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "event-count");
    CHECK(r.failure->index == 999);
  }
  SUBCASE("truncate inside event 800") {
    VerifyReport r = VerifyMutated([](std::string& ev) { ev.resize(P().offsets[800] + 9); });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "record-truncated");
    CHECK(r.failure->index == 800);
  }
}

TEST_CASE(
    "tamper: an event rewritten with a recomputed checksum is named through the stored tree") {
  VerifyReport r = VerifyMutated([](std::string& ev) {
    std::string rec = RecordBytes(ev, 444);
    std::string payload = rec.substr(4, rec.size() - kRecordOverhead);
    strongroom::v1::Event e;
    REQUIRE(e.ParseFromString(payload));
    e.set_station_id("test-statioN");  // same length keeps later offsets intact
    std::string forged;
    REQUIRE(e.SerializeToString(&forged));
    REQUIRE(forged.size() == payload.size());
    ev.replace(P().offsets[444], rec.size(), EncodeRecord(forged, HashLeaf(forged)));
  });
  REQUIRE(!r.ok);
  CHECK(r.failure->check == "root");
  CHECK(r.failure->index == 444);
}

TEST_CASE("tamper: an older or forged checkpoint is detected") {
  SUBCASE("the older checkpoint put back") {
    VerifyReport r = VerifyMutated(nullptr, std::nullopt, [](const std::string& dir) {
      WriteAll(JoinPath(dir, kCheckpointFile), P().old_note);
    });
    REQUIRE(!r.ok);
    // Without a newer checkpoint kept, what a crash before signing leaves.
    CHECK(r.failure->check == "unsigned-events");
    CHECK(r.failure->crash_remnant());
    CHECK(r.failure->index == 500);
  }
  SUBCASE("the older checkpoint put back, against the newer one the auditor kept") {
    std::string newer = ReadAll(JoinPath(P().dir, kCheckpointFile));
    VerifyReport r = VerifyMutated(nullptr, newer, [](const std::string& dir) {
      WriteAll(JoinPath(dir, kCheckpointFile), P().old_note);
    });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "since-consistency");
  }
  SUBCASE("a checkpoint signed by another key under the log's name") {
    auto forger = std::move(Ed25519NoteSigner::Generate(P().signer->Name())).value();
    auto cp = ParseCheckpointUnverified(ReadAll(JoinPath(P().dir, kCheckpointFile)));
    auto forged = SignNote(cp->Text(), *forger);
    VerifyReport r = VerifyMutated(nullptr, std::nullopt, [&](const std::string& dir) {
      WriteAll(JoinPath(dir, kCheckpointFile), *forged);
    });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "checkpoint-signature");
  }
  SUBCASE("a checkpoint with an edited tree size") {
    VerifyReport r = VerifyMutated(nullptr, std::nullopt, [](const std::string& dir) {
      std::string note = ReadAll(JoinPath(dir, kCheckpointFile));
      note.replace(note.find("\n1000\n"), 6, "\n999\n");
      WriteAll(JoinPath(dir, kCheckpointFile), note);
    });
    REQUIRE(!r.ok);
    CHECK(r.failure->check == "checkpoint-signature");
  }
}

}  // namespace
}  // namespace sr::log
