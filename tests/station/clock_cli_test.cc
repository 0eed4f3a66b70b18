// Issue 22: the station clock against the log. The real binary runs with its
// clock moved by libfaketime (LD_PRELOAD through faketime(1)), on a real
// SoftHSMv2 station: a clock set back is refused and logged with both times,
// an expired approval does not come back to life, `station clock` shows and
// records the witnessed check, and `log verify` names events whose time goes
// back.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "log/note.h"
#include "log/writer.h"
#include "proto/event.pb.h"
#include "station/clock.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {
namespace v1 = strongroom::v1;

// The strongroom binary with its clock moved by offset ("-2d", "-2m").
CmdResult SrAt(const SignStation& st, const std::string& offset, const std::string& args) {
  // Under ASan, libfaketime is preloaded ahead of the ASan runtime, which
  // ASan refuses unless told the order is fine (it is: libfaketime replaces
  // time functions, not the allocator). NO_FAKE_STAT: the station judges by
  // its clock, never by file times, and libfaketime 0.9.10's stat wrapper
  // (a semaphore around every stat) aborted an ASan build now and then at
  // exit ("The futex facility returned an unexpected error code", in
  // unlock_for_stat's sem_post): 3 runs in 15 of `key generate`, none in 30
  // without it.
  return Run("cd '" + st.root + "' && ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}" +
                 "verify_asan_link_order=0\" NO_FAKE_STAT=1 faketime -f '" + offset + "' '" +
                 STRONGROOM_BINARY + "' " + args,
             st.root + "/.stderr");
}

std::string LogPin(const SignStation& st) { return " --log-pin-source file:" + st.pins + "/log"; }

const v1::RefusalReason* ClockReason(const v1::Event& e, const std::string& code) {
  if (e.kind() != v1::EVENT_KIND_REFUSAL) return nullptr;
  for (const auto& r : e.refusal().reasons())
    if (r.code() == code) return &r;
  return nullptr;
}

TEST_CASE("a sign with the clock two days behind the log is refused and logged with both times") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);
  const auto before = st.Events();
  const std::string last_time = before.back().time();

  CmdResult r = SrAt(st, "-2d", "sign " + st.SignArgs(in, "out"));
  CHECK(r.rc == 1);
  CHECK_MESSAGE(r.all().find("CLOCK_BEHIND_LOG") != std::string::npos, r.all());
  CHECK_MESSAGE(r.all().find(last_time) != std::string::npos, r.all());
  CHECK(r.all().find("station clock --reference-time") != std::string::npos);
  CHECK_FALSE(PathExists(st.root + "/out"));

  auto events = st.Events();
  REQUIRE(events.size() == before.size() + 1);
  const v1::Event& e = events.back();
  const v1::RefusalReason* why = ClockReason(e, "CLOCK_BEHIND_LOG");
  REQUIRE_MESSAGE(why != nullptr, e.DebugString());
  CHECK(why->input() == "station");
  CHECK(why->message().find(last_time) != std::string::npos);  // the last event's time
  // The clock's time, as judged (the event is stamped a moment later).
  const std::string reads = "the station clock reads ";
  auto at = why->message().find(reads);
  REQUIRE(at != std::string::npos);
  auto judged = ParseRfc3339(why->message().substr(at + reads.size(), 20), "judged");
  auto stamped = ParseRfc3339(e.time(), "stamped");
  REQUIRE(judged.ok());
  REQUIRE(stamped.ok());
  CHECK(std::chrono::abs(*stamped - *judged) <= std::chrono::seconds(5));
  CHECK(e.time() < last_time);  // recorded with the time the clock read

  // Within the tolerance the same sign goes through.
  CmdResult ok = SrAt(st, "-2m", "sign " + st.SignArgs(in, "out"));
  CHECK_MESSAGE(ok.rc == 0, ok.all());
}

TEST_CASE("an approval that expired yesterday stays refused with the clock set two days back") {
  SignStation st;
  World w = st.Scenario();
  using std::chrono::hours;
  *w.approval.mutable_approved_at() = TsAt(Clock::now() - hours(24 * 10));
  *w.approval.mutable_expires() = TsAt(Clock::now() - hours(24));
  REQUIRE(st.InstallPolicy(w).rc == 0);
  Inputs in = st.Write(w);

  CmdResult now = st.Sign(in, "out");
  CHECK(now.rc == 1);
  CHECK(now.all().find("APPROVAL_EXPIRED") != std::string::npos);

  CmdResult back = SrAt(st, "-2d", "sign " + st.SignArgs(in, "out"));
  CHECK(back.rc == 1);
  CHECK_MESSAGE(back.all().find("CLOCK_BEHIND_LOG") != std::string::npos, back.all());
  for (const auto& e : st.Events()) CHECK(e.kind() != v1::EVENT_KIND_SIGNING);
  CHECK_FALSE(PathExists(st.root + "/out"));
}

TEST_CASE("key generate and policy install refuse a clock behind the log before acting") {
  SignStation st;
  const std::size_t n = st.Events().size();
  CmdResult gen = SrAt(
      st, "-3h",
      "key generate --station " + st.station + " --label late --algorithm ecdsa-p256" + st.Pins());
  CHECK(gen.rc == 1);
  CHECK_MESSAGE(gen.all().find("CLOCK_BEHIND_LOG") != std::string::npos, gen.all());
  CHECK(gen.all().find("refusal logged as event " + std::to_string(n)) != std::string::npos);
  CHECK_FALSE(PathExists(st.station + "/keys/late.pem"));
  CmdResult list =
      st.Sr("key list --station " + st.station + " --pin-source file:" + st.pins + "/release");
  CHECK(list.all().find("late") == std::string::npos);  // no key without its event

  World w = st.Scenario();
  REQUIRE(WriteFileAtomic(st.root + "/p.env", w.Build().policy).ok());
  CmdResult inst =
      SrAt(st, "-3h",
           "policy install --station " + st.station + " --in " + st.root + "/p.env" + LogPin(st));
  CHECK(inst.rc == 1);
  CHECK(inst.all().find("CLOCK_BEHIND_LOG") != std::string::npos);
  auto events = st.Events();
  REQUIRE(events.size() == n + 2);
  CHECK(ClockReason(events[n], "CLOCK_BEHIND_LOG") != nullptr);
  CHECK(ClockReason(events[n + 1], "CLOCK_BEHIND_LOG") != nullptr);
  for (const auto& e : events) CHECK(e.kind() != v1::EVENT_KIND_POLICY_INSTALLED);
}

TEST_CASE(
    "station clock shows the difference, and a witnessed check lets a corrected station act") {
  SignStation st;
  CmdResult show = st.Sr("station clock --station " + st.station);
  CHECK_MESSAGE(show.rc == 0, show.all());
  CHECK(show.out.find("last logged:") != std::string::npos);
  CHECK(show.out.find("tolerance 300 s") != std::string::npos);

  CmdResult behind = SrAt(st, "-1d", "station clock --station " + st.station);
  CHECK(behind.rc == 10);
  CHECK(behind.out.find("BEHIND THE LOG") != std::string::npos);
  CmdResult js = SrAt(st, "-1d", "--json station clock --station " + st.station);
  CHECK(js.out.find("\"behindLog\":true") != std::string::npos);

  // The log's last event was stamped by a clock that ran a day fast: the
  // clock is now right, and witnesses read the time from a reference. A
  // reference that disagrees with the clock is refused and logged.
  const std::size_t n = st.Events().size();
  auto fake_now = [] {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() -
                                                  std::chrono::hours(24));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  CmdResult wrong = SrAt(st, "-1d",
                         "station clock --station " + st.station +
                             " --reference-time 2020-01-01T00:00:00Z --reference 'radio clock' "
                             "--operator alice --operator wendy" +
                             LogPin(st));
  CHECK(wrong.rc == 1);
  CHECK_MESSAGE(wrong.all().find("CLOCK_DISAGREES_WITH_REFERENCE") != std::string::npos,
                wrong.all());
  CmdResult no_witness = SrAt(
      st, "-1d",
      "station clock --station " + st.station + " --reference-time " + fake_now() + LogPin(st));
  CHECK(no_witness.rc != 0);
  CHECK(no_witness.all().find("--operator") != std::string::npos);

  CmdResult check =
      SrAt(st, "-1d",
           "station clock --station " + st.station + " --reference-time " + fake_now() +
               " --reference 'radio clock' --operator alice "
               "--operator wendy" +
               LogPin(st));
  CHECK_MESSAGE(check.rc == 0, check.all());
  CHECK(check.out.find("CLOCK_CHECKED") != std::string::npos);
  CHECK(check.out.find("was behind the last event") != std::string::npos);
  auto events = st.Events();
  REQUIRE(events.size() == n + 2);
  CHECK(ClockReason(events[n], "CLOCK_DISAGREES_WITH_REFERENCE") != nullptr);
  const v1::Event& c = events[n + 1];
  REQUIRE(c.kind() == v1::EVENT_KIND_CLOCK_CHECKED);
  CHECK(c.clock_checked().reference() == "radio clock");
  CHECK(c.clock_checked().last_event_index() == n - 1);  // the latest time, not the refusal
  CHECK(c.operators_size() == 2);

  // Judged against the check from now on: a key can be generated.
  CmdResult gen = SrAt(
      st, "-1d",
      "key generate --station " + st.station + " --label after --algorithm ecdsa-p256" + st.Pins());
  CHECK_MESSAGE(gen.rc == 0, gen.all());

  // log verify names the events dated before the one preceding them.
  CmdResult v = st.LogVerify();
  CHECK_MESSAGE(v.rc == 0, v.all());
  CHECK(v.out.find("warning: ") != std::string::npos);
  CHECK_MESSAGE(v.out.find("event " + std::to_string(n) + " (REFUSAL)") != std::string::npos,
                v.out);
}

// A log written by the log library with a time that goes back, signed with a
// valid key: intact (exit 0), and the event is named.
TEST_CASE("log verify names an event whose time goes back") {
  TempDir tmp("sr-clock-log");
  const std::string dir = tmp.path() + "/log";
  auto made = log::Ed25519NoteSigner::Generate("strongroom.test/clock");
  REQUIRE(made.ok());
  log::Ed25519NoteSigner& signer = **made;
  REQUIRE(log::LogWriter::Create(dir, signer).ok());
  auto w = log::LogWriter::Open(dir, signer);
  REQUIRE(w.ok());
  for (const char* t : {"2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z", "2026-11-20T08:00:00Z",
                        "2026-12-03T10:00:00Z"}) {
    v1::Event e;
    e.set_kind(v1::EVENT_KIND_SIGNING);
    e.set_time(t);
    REQUIRE((*w)->Append(e).ok());
  }
  REQUIRE((*w)->Commit().ok());
  w->reset();
  REQUIRE(WriteFileAtomic(tmp.path() + "/vkey",
                          log::EncodeVerifierKey(signer.Name(), signer.PublicKey()) + "\n")
              .ok());
  CmdResult v =
      Run("'" STRONGROOM_BINARY "' log verify --log " + dir + " --vkey " + tmp.path() + "/vkey");
  CHECK_MESSAGE(v.rc == 0, v.all());
  CHECK_MESSAGE(v.out.find("event 2 (SIGNING) at 2026-11-20T08:00:00Z, after event 1 at "
                           "2026-12-02T10:00:00Z") != std::string::npos,
                v.out);
  CmdResult js = Run("'" STRONGROOM_BINARY "' --json log verify --log " + dir + " --vkey " +
                     tmp.path() + "/vkey");
  CHECK(js.out.find("\"timeRegressionCount\":1") != std::string::npos);
}

}  // namespace
}  // namespace sr::testing

namespace sr::testing {
namespace {

TEST_CASE("a key revocation never waits for the clock, and does not lower the log's time") {
  SignStation st;
  const std::string last_time = st.Events().back().time();
  CmdResult rev = SrAt(st, "-1d",
                       "key revoke --station " + st.station + " --label " + st.key_label +
                           " --reason 'laptop stolen'" + LogPin(st));
  CHECK_MESSAGE(rev.rc == 0, rev.all());
  auto events = st.Events();
  REQUIRE(events.back().kind() == strongroom::v1::EVENT_KIND_KEY_REVOKED);
  CHECK(events.back().time() < last_time);
  // Still judged against the event before the revocation.
  CmdResult gen = SrAt(
      st, "-1d",
      "key generate --station " + st.station + " --label next --algorithm ecdsa-p256" + st.Pins());
  CHECK(gen.rc == 1);
  CHECK_MESSAGE(gen.all().find("CLOCK_BEHIND_LOG") != std::string::npos, gen.all());
  CHECK(gen.all().find(last_time) != std::string::npos);
}

}  // namespace
}  // namespace sr::testing
