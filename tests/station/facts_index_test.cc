// The log's facts index (STATION/log/facts, station/facts_index.h) end to
// end on a real station: `sign` judges by it instead of reading every event,
// so an index that does not verify must be refused before the gate runs
// (and the refusal logged), an older copy must be caught up from the events
// after it, and `log reindex` / `log recover` must rebuild it.
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
    CHECK(ip.versions() == p.signed_versions);
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
