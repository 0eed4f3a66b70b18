// The log's facts index (STATION/log/facts, station/facts_index.h) end to
// end on a real station: `sign` judges by it instead of reading every event,
// so an index that does not verify must be refused before the gate runs
// (and the refusal logged), an older copy must be caught up from the events
// after it, and `log reindex` / `log recover` must rebuild it.
#include "station/facts_index.h"

#include <filesystem>

#include "log/reader.h"
#include "proto/log_facts.pb.h"
#include "station/layout.h"
#include "station/log_state.h"
#include "station/station_log.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
namespace facts = strongroom::v1::facts;

std::string IndexPath(const SignStation& st) { return layout::LogFactsIndex(st.station); }
std::string VersionsPath(const SignStation& st, std::string_view product = "IC-22") {
  return FactsVersionsPath(layout::LogDir(st.station), product);
}

facts::FactsIndexBody Body(const SignStation& st) {
  facts::SealedFactsIndex sealed;
  REQUIRE(sealed.ParseFromString(ReadAll(IndexPath(st))));
  facts::FactsIndexBody body;
  REQUIRE(body.ParseFromString(sealed.body()));
  return body;
}

std::size_t Count(const std::vector<v1::Event>& evs, v1::EventKind kind) {
  return static_cast<std::size_t>(
      std::count_if(evs.begin(), evs.end(), [&](const v1::Event& e) { return e.kind() == kind; }));
}

std::string LogPin(const SignStation& st) { return " --log-pin-source file:" + st.pins + "/log"; }

// The index on disk says what a full read of the events says: the products
// and versions signed (with the same SIGNING events), the installed policy,
// the ended keys and the clock floor, at the signed checkpoint's size.
void CheckIndexMatchesEvents(const SignStation& st) {
  facts::FactsIndexBody body = Body(st);
  auto full = ReadLogState(st.station + "/log");
  REQUIRE_MESSAGE(full.ok(), full.status().message());
  CHECK(body.tree_size() == st.Events().size());
  CHECK(body.installed_policy_version() == full->installed_policy_version);
  CHECK(body.installed_policy_sha256() == full->installed_policy_digest);
  CHECK(static_cast<std::size_t>(body.ended_keys_size()) == full->ended_keys.size());
  std::size_t products = 0;
  for (const auto& [name, p] : full->products) products += !p.signed_versions.empty();
  REQUIRE(static_cast<std::size_t>(body.products_size()) == products);
  for (const auto& ip : body.products()) {
    const ProductFacts& p = full->products.at(ip.product());
    CHECK(ip.last_signed_version() == p.last_signed_version.value_or(""));
    // The product's SIGNING events are in its versions file, exactly (no
    // tail left), and the signed body commits to them by length and chain.
    CHECK(ReadAll(VersionsPath(st, ip.product())) == p.signed_versions);
    CHECK(ip.versions_bytes() == p.signed_versions.size());
    auto chain = ChainVersions(ip.product(), {}, p.signed_versions);
    REQUIRE(chain.ok());
    CHECK(*chain == ip.versions_chain());
  }
  auto floor = ReadClockFloor(st.station + "/log");
  REQUIRE(floor.ok());
  REQUIRE(floor->has_value() == body.has_clock_floor());
  CHECK((*floor)->index == body.clock_floor_index());
  CHECK((*floor)->time_text == body.clock_floor_time());
}

// A station with the reference policy installed and IC-22 5.4.3 signed.
struct Signed543 {
  Signed543() {
    CmdResult inst = st.InstallPolicy(st.Scenario());
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    in = st.Write(st.Scenario());
    CmdResult sign = st.Sign(in, "out");
    REQUIRE_MESSAGE(sign.rc == 0, sign.all());
    signing_index = st.Events().back().sequence();
  }
  // A second sign of 5.4.3 must be refused by the gate as already signed.
  void CheckResignRefusedByGate(const std::string& out) {
    CmdResult again = st.Sign(in, out);
    CHECK(again.rc == 1);
    CHECK_MESSAGE((StderrReasons(again.err) ==
                   std::set<CodeAndInput>{{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}}),
                  again.all());
    CHECK_MESSAGE(again.err.find("already signed, as log event " + std::to_string(signing_index)) !=
                      std::string::npos,
                  again.all());
  }
  SignStation st;
  Inputs in;
  std::uint64_t signing_index = 0;
};

TEST_CASE(
    "facts index: kept at the signed checkpoint by every commit, it says what the events say") {
  Signed543 s;
  CheckIndexMatchesEvents(s.st);
  World w = s.st.Scenario();
  ForVersion(w, "5.4.4", "5.4.3");
  CmdResult sign = s.st.Sign(s.st.Write(w, "media2"), "out2", "", "IC-22", "5.4.4");
  REQUIRE_MESSAGE(sign.rc == 0, sign.all());
  CheckIndexMatchesEvents(s.st);
  CHECK(Body(s.st).products(0).last_signed_version() == "5.4.4");
}

TEST_CASE(
    "facts index: the signed body does not grow with the releases signed; each sign appends its "
    "entry to the product's versions file") {
  Signed543 s;
  const std::string body_543 = Body(s.st).SerializeAsString();
  const std::string versions_543 = ReadAll(VersionsPath(s.st));
  REQUIRE_FALSE(versions_543.empty());
  std::string previous = "5.4.3";
  for (const char* v : {"5.4.4", "5.4.5", "5.4.6"}) {
    World w = s.st.Scenario();
    ForVersion(w, v, previous);
    CmdResult sign = s.st.Sign(s.st.Write(w, std::string("media-") + v), std::string("out-") + v,
                               "", "IC-22", v);
    REQUIRE_MESSAGE(sign.rc == 0, sign.all());
    previous = v;
  }
  CheckIndexMatchesEvents(s.st);
  facts::FactsIndexBody body = Body(s.st);
  CHECK(body.products(0).last_signed_version() == "5.4.6");
  // Same products, same fields: only the numbers changed (a varint may
  // take a byte more), whatever the number of releases.
  CHECK(body.SerializeAsString().size() <= body_543.size() + 8);
  // The file grew by appending: what the first sign wrote is its prefix.
  const std::string versions = ReadAll(VersionsPath(s.st));
  CHECK(versions.starts_with(versions_543));
  facts::IndexedVersions all;
  REQUIRE(all.ParseFromString(versions));
  CHECK(all.versions_size() == 4);
  CHECK(all.versions(3).version() == "5.4.6");
}

TEST_CASE(
    "facts index: a versions file altered, truncated or removed is refused (LOG_INDEX_INVALID, "
    "naming it) when a taken version is presented; `log reindex` restores it") {
  Signed543 s;
  SignStation& st = s.st;
  const std::string path = VersionsPath(st);
  facts::IndexedVersions all;
  REQUIRE(all.ParseFromString(ReadAll(path)));
  REQUIRE(all.versions_size() == 1);
  REQUIRE(all.versions(0).version() == "5.4.3");
  SUBCASE("altered: the version renamed, the same length (what would get 5.4.3 signed again)") {
    all.mutable_versions(0)->set_version("5.4.0");
    REQUIRE(WriteFileAtomic(path, all.SerializeAsString(), 0600).ok());
  }
  SUBCASE("truncated") { REQUIRE(WriteFileAtomic(path, "", 0600).ok()); }
  SUBCASE("removed") { REQUIRE(std::filesystem::remove(path)); }
  std::size_t before = st.Events().size();

  CmdResult again = st.Sign(s.in, "again");
  CHECK(again.rc == 1);
  CHECK_MESSAGE(again.err.find("LOG_INDEX_INVALID (log): the log's facts index: the versions file "
                               "of IC-22") != std::string::npos,
                again.all());
  CHECK_MESSAGE(
      again.err.find("strongroom log reindex --station " + st.station) != std::string::npos,
      again.all());
  CHECK_FALSE(PathExists(st.root + "/again"));
  // Refused before the gate: no VERSION_NOT_ABOVE_LAST_SIGNED judged on the
  // file's word, no intent; the refusal is logged.
  std::vector<v1::Event> evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(evs.back().refusal()) == std::set<CodeAndInput>{{"LOG_INDEX_INVALID", "log"}});
  CHECK(Count(evs, v1::EVENT_KIND_SIGNING_INTENT) == 1);

  CmdResult re = st.Sr("log reindex --station " + st.station + LogPin(st));
  REQUIRE_MESSAGE(re.rc == 0, re.all());
  CheckIndexMatchesEvents(st);
  s.CheckResignRefusedByGate("again2");
}

TEST_CASE(
    "facts index: a crash between the versions file and the index leaves the older index, which "
    "still verifies; the next commit, `log recover` and `log reindex` each bring both up to date") {
  // WriteFactsIndex appends to the versions file (durably), then replaces
  // the index: a crash in between leaves the older index and a versions
  // file longer than it covers, possibly with half an entry at its end.
  Signed543 s;
  SignStation& st = s.st;
  const std::string old_index = ReadAll(IndexPath(st));
  World w = st.Scenario();
  ForVersion(w, "5.4.4", "5.4.3");
  Inputs in544 = st.Write(w, "media2");
  CmdResult sign = st.Sign(in544, "out2", "", "IC-22", "5.4.4");
  REQUIRE_MESSAGE(sign.rc == 0, sign.all());
  const std::uint64_t signing_544 = st.Events().back().sequence();
  const std::string versions = ReadAll(VersionsPath(st));
  REQUIRE(WriteFileAtomic(IndexPath(st), old_index, 0600).ok());
  SUBCASE("the whole entry appended") {}
  SUBCASE("half an entry appended") {
    REQUIRE(
        WriteFileAtomic(VersionsPath(st), versions + std::string("\x0a\x20\x0a", 3), 0600).ok());
  }
  REQUIRE(Body(st).products(0).last_signed_version() == "5.4.3");

  SUBCASE("the next sign catches up from the events and judges right") {
    CmdResult again = st.Sign(in544, "again", "", "IC-22", "5.4.4");
    CHECK(again.rc == 1);
    CHECK_MESSAGE((StderrReasons(again.err) ==
                   std::set<CodeAndInput>{{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}}),
                  again.all());
    CHECK(again.err.find("already signed, as log event " + std::to_string(signing_544)) !=
          std::string::npos);
    s.CheckResignRefusedByGate("again-543");
    CheckIndexMatchesEvents(st);
  }
  SUBCASE("`log recover`") {
    CmdResult rec = st.Sr("log recover --station " + st.station + LogPin(st));
    REQUIRE_MESSAGE(rec.rc == 0, rec.all());
    CheckIndexMatchesEvents(st);
  }
  SUBCASE("`log reindex`") {
    CmdResult re = st.Sr("log reindex --station " + st.station + LogPin(st));
    REQUIRE_MESSAGE(re.rc == 0, re.all());
    CheckIndexMatchesEvents(st);
    s.CheckResignRefusedByGate("again-543");
  }
}

TEST_CASE("facts index: one of the older layout (versions inline, v1) is rebuilt from the events") {
  Signed543 s;
  SignStation& st = s.st;
  // What a station left by an older strongroom holds: the v1 note header.
  {
    // In this process, released (the station lock too) before the sign.
    auto station = Station::Open(st.station);
    REQUIRE(station.ok());
    std::string pin = "pin-of-log";
    SecretBytes log_pin(pin.begin(), pin.end());
    auto log = StationLog::Open(**station, log_pin);
    REQUIRE_MESSAGE(log.ok(), log.status().message());
    facts::SealedFactsIndex sealed;
    REQUIRE(sealed.ParseFromString(ReadAll(IndexPath(st))));
    auto note = log::SignNote("strongroom facts index v1\n" + (*log)->signer().Name() + "\n",
                              (*log)->signer());
    REQUIRE(note.ok());
    sealed.set_note(*note);
    REQUIRE(WriteFileAtomic(IndexPath(st), sealed.SerializeAsString(), 0600).ok());
  }
  std::filesystem::remove(VersionsPath(st));
  s.CheckResignRefusedByGate("again");
  CheckIndexMatchesEvents(st);
}

TEST_CASE(
    "facts index: one with a signed version removed is refused before the gate runs, the refusal "
    "logged; `log reindex` rebuilds it") {
  Signed543 s;
  SignStation& st = s.st;
  // What an attacker with write access to the station folder would do to
  // get 5.4.3 signed again (or a rollback past it): drop it from the index.
  facts::SealedFactsIndex sealed;
  REQUIRE(sealed.ParseFromString(ReadAll(IndexPath(st))));
  facts::FactsIndexBody body = Body(st);
  REQUIRE(body.products_size() == 1);
  body.clear_products();
  sealed.set_body(body.SerializeAsString());
  REQUIRE(WriteFileAtomic(IndexPath(st), sealed.SerializeAsString(), 0600).ok());
  std::size_t before = st.Events().size();

  CmdResult again = st.Sign(s.in, "again");
  CHECK(again.rc == 1);
  CHECK_MESSAGE(again.err.find("LOG_INDEX_INVALID (log): the log's facts index") != std::string::npos,
                again.all());
  CHECK_MESSAGE(again.err.find("strongroom log reindex --station " + st.station) !=
                    std::string::npos,
                again.all());
  CHECK(again.err.find("altered") != std::string::npos);
  CHECK_FALSE(PathExists(st.root + "/again"));
  // The one event the attempt left is the refusal of the index: no intent,
  // no gate refusal (the gate never ran).
  std::vector<v1::Event> evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(EventReasons(evs.back().refusal()) ==
        std::set<CodeAndInput>{{"LOG_INDEX_INVALID", "log"}});
  CHECK(Count(evs, v1::EVENT_KIND_SIGNING_INTENT) == 1);
  // The log itself is intact: the full check passes.
  CmdResult verify = st.LogVerify();
  CHECK_MESSAGE(verify.rc == 0, verify.all());

  SUBCASE("a rollback is refused the same way") {
    World w = st.Scenario();
    ForVersion(w, "5.4.2", "5.4.1");
    CmdResult back = st.Sign(st.Write(w, "media-old"), "old", "", "IC-22", "5.4.2");
    CHECK(back.rc == 1);
    CHECK_MESSAGE(back.err.find("LOG_INDEX_INVALID (log): the log's facts index") != std::string::npos,
                  back.all());
  }
  SUBCASE("`log reindex` rebuilds it, and the gate refuses the re-sign") {
    CmdResult re = st.Sr("log reindex --station " + st.station + LogPin(st));
    REQUIRE_MESSAGE(re.rc == 0, re.all());
    CHECK(re.out.find("facts index rebuilt") != std::string::npos);
    CheckIndexMatchesEvents(st);
    s.CheckResignRefusedByGate("again2");
  }
  SUBCASE("`log recover` rebuilds it") {
    CmdResult rec = st.Sr("log recover --station " + st.station + LogPin(st));
    REQUIRE_MESSAGE(rec.rc == 0, rec.all());
    CheckIndexMatchesEvents(st);
    s.CheckResignRefusedByGate("again3");
  }
}

TEST_CASE("facts index: garbage in its place is refused; a missing one is rebuilt from the events") {
  Signed543 s;
  SignStation& st = s.st;
  SUBCASE("garbage") {
    REQUIRE(WriteFileAtomic(IndexPath(st), "not an index", 0600).ok());
    CmdResult again = st.Sign(s.in, "again");
    CHECK(again.rc == 1);
    CHECK_MESSAGE(again.err.find("LOG_INDEX_INVALID (log): the log's facts index") != std::string::npos,
                  again.all());
  }
  SUBCASE("missing") {
    REQUIRE(std::filesystem::remove(IndexPath(st)));
    s.CheckResignRefusedByGate("again");
    CheckIndexMatchesEvents(st);
  }
}

TEST_CASE(
    "facts index: an older copy put back is caught up from the events after it, so the versions "
    "signed since still count") {
  SignStation st;
  CmdResult inst = st.InstallPolicy(st.Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  std::string old = ReadAll(IndexPath(st));  // no release signed yet
  Inputs in = st.Write(st.Scenario());
  CmdResult sign = st.Sign(in, "out");
  REQUIRE_MESSAGE(sign.rc == 0, sign.all());
  std::uint64_t signing_index = st.Events().back().sequence();
  REQUIRE(WriteFileAtomic(IndexPath(st), old, 0600).ok());
  REQUIRE(Body(st).products_size() == 0);

  CmdResult again = st.Sign(in, "again");
  CHECK(again.rc == 1);
  CHECK_MESSAGE((StderrReasons(again.err) ==
                   std::set<CodeAndInput>{{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}}),
                again.all());
  CHECK(again.err.find("already signed, as log event " + std::to_string(signing_index)) !=
        std::string::npos);
  // That session's commit brought the index up to date again.
  CheckIndexMatchesEvents(st);
}

}  // namespace
}  // namespace sr::testing
