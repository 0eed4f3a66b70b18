// Fault tests of `strongroom sign`: the process SIGKILLs itself at each named
// protocol step (STRONGROOM_TEST_CRASH_AT, signing_session.h), and is killed
// at random moments. After every kill: an output directory exists only when
// it is complete, verifies, and a durable SIGNING event holds its signatures;
// nothing signed is lost (`log outputs` re-issues it); the log verifies
// (after `log recover` when torn, or once the next command signs what a kill
// left unsigned).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include "base/hash.h"
#include "log/record.h"
#include "proto/log_facts.pb.h"
#include "station/log_state.h"
#include "station/station.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

bool Has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

// One release of the scenario: version v with its own artifacts and inputs.
struct Release {
  std::string version, out;  // out: relative to the station's root
  Inputs in;
};

Release MakeRelease(const SignStation& st, const World& base, const std::string& v) {
  World w = base;
  std::vector<Artifact> arts;
  for (const std::string& name : {"ic22-fw-" + v + ".bin", "ic22-fw-" + v + ".manifest"})
    arts.push_back({name, Sha256Hex(SignStation::ContentOf(name))});
  w.ForRelease(std::move(arts), v, base.approval.previous_version());
  return {v, "out-" + v, st.Write(w, "media-" + v)};
}

// Every complete record of the events file, i.e. what is durable, read
// without the derived index (which a killed writer may not have flushed).
std::vector<v1::Event> DurableEvents(const SignStation& st) {
  auto f = ReadFile(st.station + "/log/" + std::string(log::kEventsFile), 1u << 30);
  REQUIRE(f.ok());
  const std::string& b = *f;
  REQUIRE(b.starts_with(log::kEventsMagic));
  std::vector<v1::Event> out;
  std::size_t pos = log::kEventsMagic.size();
  while (b.size() - pos >= log::kRecordOverhead) {
    std::uint32_t len = log::LoadBe32(b.data() + pos);
    if (b.size() - pos < log::kRecordOverhead + len) break;  // a torn tail
    v1::Event e;
    REQUIRE(e.ParseFromArray(b.data() + pos + log::kLengthBytes, static_cast<int>(len)));
    REQUIRE(e.sequence() == out.size());
    out.push_back(std::move(e));
    pos += log::kRecordOverhead + len;
  }
  return out;
}

bool IsSigningOf(const v1::Event& e, const std::string& version) {
  return e.kind() == v1::EVENT_KIND_SIGNING && e.signing().product() == "IC-22" &&
         e.signing().version() == version;
}

std::vector<v1::Event> SigningsOf(const std::vector<v1::Event>& evs, const std::string& version) {
  std::vector<v1::Event> out;
  for (const auto& e : evs)
    if (IsSigningOf(e, version)) out.push_back(e);
  return out;
}

std::optional<std::uint64_t> LastIntentOf(const std::vector<v1::Event>& evs,
                                          const std::string& version) {
  std::optional<std::uint64_t> out;
  for (const auto& e : evs)
    if (e.kind() == v1::EVENT_KIND_SIGNING_INTENT && e.signing_intent().version() == version)
      out = e.sequence();
  return out;
}

// Starts `strongroom <args>` in st.root, its stdout and stderr in
// root/.child, with STRONGROOM_TEST_CRASH_AT=crash_at when given.
pid_t Start(const SignStation& st, const std::string& args, const std::string& crash_at) {
  std::vector<std::string> words{STRONGROOM_BINARY};
  std::istringstream is(args);
  for (std::string a; is >> a;) words.push_back(a);
  std::vector<char*> argv;
  for (auto& a : words) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string log = st.root + "/.child";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::chdir(st.root.c_str()) != 0) ::_exit(127);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (!crash_at.empty()) ::setenv("STRONGROOM_TEST_CRASH_AT", crash_at.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

std::string ChildOutput(const SignStation& st) {
  auto r = ReadFile(st.root + "/.child");
  return r.ok() ? *r : std::string();
}

std::string Slurp(const std::string& path) {
  auto r = ReadFile(path);
  return r.ok() ? *r : std::string("<unreadable " + path + ">");
}

// The sizes of the station's SoftHSMv2 token files (token.object holds a
// token's wrapped keys and PIN blobs): a diagnostic when the station broke.
std::string TokenFiles(const SignStation& st) {
  std::string out = "\nSoftHSMv2 token files:";
  for (const auto& t : std::filesystem::directory_iterator(st.station + "/tokens")) {
    std::error_code ec;
    auto n = std::filesystem::file_size(t.path() / "token.object", ec);
    out += "\n  " + t.path().filename().string() +
           "/token.object: " + (ec ? "missing" : std::to_string(n) + " bytes");
  }
  return out;
}

// dir (relative to root) holds exactly the outputs of `signing`, they verify,
// and each <artifact>.sig is the signature the event holds.
void CheckOutputs(const SignStation& st, const Release& r, const std::string& dir,
                  const v1::Event& signing) {
  INFO("outputs in ", dir, " of SIGNING event ", signing.sequence());
  std::string d = st.root + "/" + dir;
  std::vector<std::string> expected = {"manifest.dsse.json", "signing-event.tlog-proof",
                                       "vsa.dsse.json", "signing-key.pem",
                                       "station-attestation.pem"};
  int artifact_sigs = 0;
  for (const auto& s : signing.signing().signatures()) {
    if (s.role() != "artifact") continue;
    ++artifact_sigs;
    std::string sig = s.artifact_name() + ".sig";
    expected.push_back(sig);
    CHECK_MESSAGE(PathExists(d + "/" + sig), sig);
    CHECK_MESSAGE(Slurp(d + "/" + sig) == s.signature(), sig, " differs from the logged signature");
  }
  CHECK(artifact_sigs == static_cast<int>(r.in.artifacts.size()));
  for (const auto& f : expected) CHECK_MESSAGE(PathExists(d + "/" + f), "missing ", f);
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(d)) ++n;
  CHECK(n == expected.size());
  CmdResult v = st.Verify(dir, r.in);
  CHECK_MESSAGE(v.rc == 0, v.all());
}

struct Observed {
  std::optional<v1::Event> signing;  // the release's durable SIGNING event
  bool output = false;               // its output directory exists
};

// The invariant after a kill: an output directory only with a durable
// SIGNING event (and then complete, verifying, its signatures); without
// one, no output directory (a hidden .NAME.partial.* staging dir may remain).
Observed CheckRelease(const SignStation& st, const Release& r) {
  INFO("release ", r.version);
  std::vector<v1::Event> signings = SigningsOf(DurableEvents(st), r.version);
  CHECK_MESSAGE(signings.size() <= 1, "the release was signed ", signings.size(), " times");
  Observed o;
  if (!signings.empty()) o.signing = signings.back();
  o.output = PathExists(st.root + "/" + r.out);
  if (!o.signing) {
    CHECK_MESSAGE(!o.output, "an output directory without a durable SIGNING event: ", r.out);
  } else if (o.output) {
    CheckOutputs(st, r, r.out, *o.signing);
  }
  return o;
}

enum class LogState { kVerified, kUnsigned, kRecovered };

// `log verify`. A torn tail is recovered with `log recover`, after which the
// log must verify. Events a kill left without a checkpoint are kUnsigned: the
// next commit (by the next strongroom command) signs them.
LogState CheckLog(const SignStation& st) {
  CmdResult v = st.LogVerify();
  if (v.rc == 0) return LogState::kVerified;
  if (Has(v.all(), "torn")) {
    CHECK_MESSAGE(v.rc == 10, v.all());  // a crash remnant, not tampering
    CmdResult rec =
        st.Sr("log recover --station " + st.station + " --log-pin-source file:" + st.pins + "/log");
    REQUIRE_MESSAGE(rec.rc == 0, rec.all());
    CmdResult again = st.LogVerify();
    CHECK_MESSAGE(again.rc == 0, again.all());
    return LogState::kRecovered;
  }
  // Events after the signed checkpoint: their own state, not tampering.
  CHECK_MESSAGE(v.rc == 10, v.all());
  CHECK_MESSAGE(Has(v.all(), "unsigned-events"), v.all());
  CHECK_MESSAGE(Has(v.all(), "after the signed checkpoint"), v.all());
  CHECK(Has(v.all(), "log recover"));
  return LogState::kUnsigned;
}

// `log outputs` re-issues the outputs of `signing` into dir; they verify and,
// when the original outputs exist, the signed files are byte-identical.
void Reissue(const SignStation& st, const Release& r, const v1::Event& signing,
             const std::string& dir) {
  CmdResult c = st.Sr("log outputs --station " + st.station + " --index " +
                      std::to_string(signing.sequence()) + " --out " + st.root + "/" + dir);
  REQUIRE_MESSAGE(c.rc == 0, c.all());
  CheckOutputs(st, r, dir, signing);
  if (!PathExists(st.root + "/" + r.out)) return;
  std::vector<std::string> same = {"manifest.dsse.json", "vsa.dsse.json", "signing-key.pem"};
  for (const auto& a : r.in.artifacts)
    same.push_back(std::filesystem::path(a).filename().string() + ".sig");
  for (const auto& f : same)
    CHECK_MESSAGE(Slurp(st.root + "/" + dir + "/" + f) == Slurp(st.root + "/" + r.out + "/" + f), f,
                  " re-issued differs from the original");
}

// The facts a session judges by, gathered while opening the log (the
// signed events as the open checks them, then the unsigned ones), equal
// those read from disk event by event; returns them.
sr::LogState FactsBothWays(const SignStation& st) {
  auto station = Station::Open(st.station);
  REQUIRE_MESSAGE(station.ok(), station.status().message());
  std::string pin = "pin-of-log";
  SecretBytes log_pin(pin.begin(), pin.end());
  sr::LogState via_open;
  auto log = OpenLogWithState(**station, log_pin, &via_open);
  REQUIRE_MESSAGE(log.ok(), log.status().message());
  auto from_disk = ReadLogState(LogDir(**station));
  REQUIRE_MESSAGE(from_disk.ok(), from_disk.status().message());
  CHECK(via_open.installed_policy_version == from_disk->installed_policy_version);
  CHECK(via_open.installed_policy_digest == from_disk->installed_policy_digest);
  CHECK(via_open.ended_keys.size() == from_disk->ended_keys.size());
  REQUIRE(via_open.products.size() == from_disk->products.size());
  for (const auto& [product, p] : from_disk->products) {
    REQUIRE(via_open.products.count(product) == 1);
    const auto& mine = via_open.products.at(product);
    CHECK(mine.last_signed_version == p.last_signed_version);
    auto mine_all = via_open.AllVersions(product);
    REQUIRE_MESSAGE(mine_all.ok(), mine_all.status().message());
    CHECK(*mine_all == p.signed_versions);
    strongroom::v1::facts::IndexedVersions all;
    REQUIRE(all.ParseFromString(p.signed_versions));
    for (const auto& iv : all.versions()) {
      const std::string& version = iv.version();
      auto fa = via_open.FactsFor(product, version), fb = from_disk->FactsFor(product, version);
      REQUIRE(fa.ok());
      REQUIRE(fb.ok());
      const policy::LogFacts &a = *fa, &b = *fb;
      REQUIRE(a.signed_releases.size() == b.signed_releases.size());
      for (std::size_t i = 0; i < a.signed_releases.size(); ++i) {
        CHECK(!a.signed_releases[i].artifact_sha256.empty());
        CHECK(a.signed_releases[i].artifact_sha256 == b.signed_releases[i].artifact_sha256);
      }
    }
  }
  return via_open;
}

// Kills `sign` at `step`; `durable`: the SIGNING event is durable by then.
void CrashAt(const std::string& step, bool durable) {
  INFO("crash at ", step);
  SignStation st;
  World w = st.Scenario();
  CmdResult pol = st.InstallPolicy(w);
  REQUIRE_MESSAGE(pol.rc == 0, pol.all());
  Release r = MakeRelease(st, w, "5.4.3");
  std::size_t before = DurableEvents(st).size();

  int status = Wait(Start(st, "sign " + st.SignArgs(r.in, r.out, "IC-22", r.version), step));
  REQUIRE_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                  "sign did not die by SIGKILL: ", ChildOutput(st));
  Observed o = CheckRelease(st, r);
  CHECK(o.signing.has_value() == durable);
  CHECK(o.output == (step == "after-output"));
  std::vector<v1::Event> evs = DurableEvents(st);
  // The intent is durable before the HSM is used, whatever comes after.
  std::optional<std::uint64_t> intent = LastIntentOf(evs, r.version);
  REQUIRE(intent.has_value());
  CHECK(*intent >= before);
  if (o.signing) CHECK(o.signing->signing().intent_index() == *intent);

  LogState log = CheckLog(st);
  bool committed = step == "after-commit" || step == "mid-output" || step == "after-output";
  if (committed) CHECK(log != LogState::kUnsigned);
  // No checkpoint signs the durable SIGNING event yet: the retry's commit will.
  if (step == "after-append") CHECK(log == LogState::kUnsigned);
  if (!durable) {
    // Output files are created empty while the HSM signs; nothing is written
    // into them before the SIGNING event is durable.
    for (const auto& e : std::filesystem::directory_iterator(st.root)) {
      if (!e.path().filename().string().starts_with("." + r.out + ".partial.")) continue;
      for (const auto& f : std::filesystem::directory_iterator(e.path()))
        CHECK_MESSAGE(std::filesystem::file_size(f.path()) == 0, f.path().string(),
                      " holds bytes before the signing is durable");
    }
  }
  if (step == "after-hsm") {
    // The staging directory was prepared during the HSM signing.
    int staging = 0;
    for (const auto& e : std::filesystem::directory_iterator(st.root))
      staging += e.path().filename().string().starts_with("." + r.out + ".partial.");
    CHECK(staging == 1);
  }
  if (step == "mid-output") {
    // Killed while filling the staging dir: it stays hidden beside out.
    int staging = 0;
    for (const auto& e : std::filesystem::directory_iterator(st.root))
      staging += e.path().filename().string().starts_with("." + r.out + ".partial.");
    CHECK(staging == 1);
  }

  // A durable SIGNING event counts for the next session, signed by a
  // checkpoint yet (after-commit and later) or not (after-append).
  sr::LogState facts = FactsBothWays(st);
  auto events = facts.SignedEvents("IC-22", r.version);
  REQUIRE_MESSAGE(events.ok(), events.status().message());
  bool seen = !events->empty();
  CHECK(seen == durable);

  CmdResult retry = st.Sign(r.in, r.out, "", "IC-22", r.version);
  if (!durable) {
    REQUIRE_MESSAGE(retry.rc == 0, retry.all());
    Observed again = CheckRelease(st, r);
    REQUIRE(again.signing.has_value());
    CHECK(again.output);
    CHECK(again.signing->signing().intent_index() > *intent);
    // The interrupted intent stays in the log, never completed.
    evs = DurableEvents(st);
    CHECK(evs[*intent].kind() == v1::EVENT_KIND_SIGNING_INTENT);
    for (const auto& e : evs)
      if (e.kind() == v1::EVENT_KIND_SIGNING) CHECK(e.signing().intent_index() != *intent);
  } else {
    // The same command again (after after-output its --out exists, too).
    CHECK(retry.rc == 1);
    CHECK_MESSAGE(Has(retry.all(), "VERSION_NOT_ABOVE_LAST_SIGNED"), retry.all());
    // Also into a fresh output directory: the gate itself refuses the version.
    CmdResult fresh = st.Sign(r.in, r.out + "-retry", "", "IC-22", r.version);
    CHECK(fresh.rc == 1);
    CHECK_MESSAGE(Has(fresh.all(), "VERSION_NOT_ABOVE_LAST_SIGNED"), fresh.all());
    CHECK_FALSE(PathExists(st.root + "/" + r.out + "-retry"));
    Observed again = CheckRelease(st, r);
    CHECK(again.output == o.output);
    REQUIRE(again.signing.has_value());
    // Nothing signed is lost: the outputs can be written again from the log.
    Reissue(st, r, *again.signing, "reissued");
  }
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());
  CHECK(st.Events().size() == DurableEvents(st).size());
}

TEST_CASE("crash at before-hsm: nothing signed, the intent stays logged, a retry signs") {
  CrashAt("before-hsm", false);
}
TEST_CASE("crash at mid-hsm: no output, the intent stays logged, a retry signs") {
  CrashAt("mid-hsm", false);
}
TEST_CASE("crash at after-hsm: signatures never logged are never output, a retry signs") {
  CrashAt("after-hsm", false);
}
TEST_CASE("crash at after-append: the SIGNING event is durable, the next command signs it") {
  CrashAt("after-append", true);
}
TEST_CASE("crash at after-commit: no output, the retry is refused, log outputs re-issues") {
  CrashAt("after-commit", true);
}
TEST_CASE("crash at mid-output: no partial output at the path, log outputs re-issues") {
  CrashAt("mid-output", true);
}
TEST_CASE("crash at after-output: the outputs are complete and match the log") {
  CrashAt("after-output", true);
}

TEST_CASE(
    "crash between the SIGNING append and the checkpoint: log verify exits 10 naming log recover, "
    "and log outputs signs the checkpoint and re-issues outputs that verify") {
  SignStation st;
  World w = st.Scenario();
  CmdResult pol = st.InstallPolicy(w);
  REQUIRE_MESSAGE(pol.rc == 0, pol.all());
  Release r = MakeRelease(st, w, "5.4.3");
  int status =
      Wait(Start(st, "sign " + st.SignArgs(r.in, r.out, "IC-22", r.version), "after-append"));
  REQUIRE_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), ChildOutput(st));
  std::vector<v1::Event> signings = SigningsOf(DurableEvents(st), r.version);
  REQUIRE(signings.size() == 1);
  const v1::Event& signing = signings[0];
  const std::string n = std::to_string(signing.sequence());

  // Not tampering: exit 10, the number of events after the checkpoint, and
  // the command to run.
  CmdResult v = st.LogVerify();
  CHECK(v.rc == 10);
  CHECK_MESSAGE(Has(v.all(), "event(s) after the signed checkpoint"), v.all());
  CHECK(Has(v.all(), "run 'strongroom log recover'"));

  // The index file has not caught up with the durable event: log outputs
  // still finds it, and without a log PIN names the one command to run.
  std::string outputs =
      "log outputs --station " + st.station + " --index " + n + " --out " + st.root + "/reissued";
  CmdResult no_pin = st.Sr(outputs + " --log-pin-source file:" + st.root + "/no-such-pin");
  CHECK(no_pin.rc != 0);
  CHECK_MESSAGE(Has(no_pin.all(), "after its signed checkpoint"), no_pin.all());
  CHECK(Has(no_pin.all(), "strongroom log recover --station " + st.station));
  CHECK_FALSE(Has(no_pin.all(), "is not in the log"));
  CHECK_FALSE(PathExists(st.root + "/reissued"));

  CmdResult c = st.Sr(outputs + " --log-pin-source file:" + st.pins + "/log");
  REQUIRE_MESSAGE(c.rc == 0, c.all());
  CHECK(Has(c.all(), "signing a checkpoint first"));
  CheckOutputs(st, r, "reissued", signing);
  CmdResult after = st.LogVerify();
  CHECK_MESSAGE(after.rc == 0, after.all());
  // Signing the checkpoint appended nothing: no torn tail was there.
  CHECK(st.Events().size() == DurableEvents(st).size());
  CHECK(DurableEvents(st).back().sequence() == signing.sequence());
  // An index past the log is named as such.
  CmdResult absent =
      st.Sr("log outputs --station " + st.station + " --index 999 --out " + st.root + "/none");
  CHECK(absent.rc == 4);
  CHECK_MESSAGE(Has(absent.all(), "event 999 is not in the log (" +
                                      std::to_string(DurableEvents(st).size()) + " events)"),
                absent.all());
}

TEST_CASE("crash: random SIGKILLs of sign sessions never leave an output without its event") {
  SignStation st;
  World w = st.Scenario();
  CmdResult pol = st.InstallPolicy(w);
  REQUIRE_MESSAGE(pol.rc == 0, pol.all());
  std::vector<Release> releases;
  auto start = std::chrono::steady_clock::now();
  // Three clean sessions first (5.4.1 to 5.4.3): the median time a session
  // takes on this machine bounds the delays, so that kills land all through
  // a session (about 30 ms idle, 150 ms and more on a loaded machine).
  std::vector<long> session_us;
  for (const char* v : {"5.4.1", "5.4.2", "5.4.3"}) {
    releases.push_back(MakeRelease(st, w, v));
    auto t0 = std::chrono::steady_clock::now();
    CmdResult clean = st.Sign(releases.back().in, releases.back().out, "", "IC-22", v);
    REQUIRE_MESSAGE(clean.rc == 0, clean.all());
    session_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  std::sort(session_us.begin(), session_us.end());
  const long median_us = session_us[1];
  const long max_delay_us = std::min<long>(300000, median_us + median_us / 3);

  constexpr int kRounds = 100;
  std::mt19937 rng(2026);
  int killed = 0, completed = 0, torn = 0, unsigned_tails = 0;
  int no_intent = 0, intent_only = 0, signed_unwritten = 0, signed_written = 0;
  for (int round = 0; round < kRounds; ++round) {
    Release r = MakeRelease(st, w, "5.4." + std::to_string(4 + round));
    INFO("round ", round, " version ", r.version);
    pid_t pid = Start(st, "sign " + st.SignArgs(r.in, r.out, "IC-22", r.version), "");
    ::usleep(static_cast<useconds_t>(rng() % (max_delay_us + 1)));
    ::kill(pid, SIGKILL);
    int status = Wait(pid);
    Observed o = CheckRelease(st, r);
    if (WIFSIGNALED(status)) {
      REQUIRE(WTERMSIG(status) == SIGKILL);
      ++killed;
    } else {
      // It finished before the kill: then it signed and wrote everything.
      // (A station broken by an earlier kill fails here, and stops the test.)
      REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, ChildOutput(st), TokenFiles(st));
      CHECK((o.signing.has_value() && o.output));
      ++completed;
    }
    if (o.signing) {
      ++(o.output ? signed_written : signed_unwritten);
    } else {
      ++(LastIntentOf(DurableEvents(st), r.version) ? intent_only : no_intent);
    }
    LogState log = CheckLog(st);
    torn += log == LogState::kRecovered;
    unsigned_tails += log == LogState::kUnsigned;
    releases.push_back(std::move(r));
  }
  // A clean session after all the kills signs; its commit covers whatever the
  // last kill left unsigned.
  releases.push_back(MakeRelease(st, w, "5.4." + std::to_string(4 + kRounds)));
  const Release& last = releases.back();
  CmdResult fin = st.Sign(last.in, last.out, "", "IC-22", last.version);
  CHECK_MESSAGE(fin.rc == 0, fin.all());
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());

  std::vector<v1::Event> evs = DurableEvents(st);
  CHECK(st.Events().size() == evs.size());
  int signings = 0, open_intents = 0, never_written = 0;
  for (const auto& e : evs) {
    if (e.kind() == v1::EVENT_KIND_SIGNING) ++signings;
    if (e.kind() != v1::EVENT_KIND_SIGNING_INTENT) continue;
    bool done = false;
    for (const auto& s : evs)
      done |= s.kind() == v1::EVENT_KIND_SIGNING && s.signing().intent_index() == e.sequence();
    open_intents += !done;
  }
  int outputs_on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(st.root))
    outputs_on_disk += e.path().filename().string().starts_with("out-");
  for (const Release& r : releases) {
    INFO("release ", r.version);
    Observed o = CheckRelease(st, r);
    if (!o.signing) continue;
    never_written += !o.output;
    Reissue(st, r, *o.signing, "reissued-" + r.version);
  }
  CHECK(signings == outputs_on_disk + never_written);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(kRounds, " rounds, delays 0..", max_delay_us / 1000.0, " ms (a session takes ",
          median_us / 1000.0, " ms): ", killed, " killed, ", completed,
          " completed; ends: ", no_intent, " before the intent, ", intent_only, " intent only, ",
          signed_unwritten, " signed but not written, ", signed_written, " signed and written; ",
          signings, " SIGNING events, ", outputs_on_disk, " output dirs, ", never_written,
          " never written (re-issued); ", open_intents, " interrupted intents; ", torn,
          " torn tails recovered, ", unsigned_tails, " unsigned tails; ", secs, " s");
}

}  // namespace
}  // namespace sr::testing

namespace sr::testing {
namespace {

TEST_CASE("crash: a torn record in the station log stops sign until log recover cuts it, logged") {
  SignStation st;
  World w = st.Scenario();
  REQUIRE(st.InstallPolicy(w).rc == 0);
  // What a kill inside an append leaves: a length prefix and part of a record.
  std::string events = st.station + "/log/" + std::string(log::kEventsFile);
  std::string bytes = ReadFile(events, 1u << 20).value();
  std::size_t before = bytes.size();
  bytes += std::string("\x00\x00\x01\x00", 4) + "half an event";
  REQUIRE(WriteFileAtomic(events, bytes, 0600).ok());

  Inputs in = st.Write(w);
  CmdResult refused = st.Sign(in, "out");
  CHECK(refused.rc == 10);
  CHECK_MESSAGE(Has(refused.all(), "torn tail"), refused.all());
  CHECK(Has(refused.all(), "strongroom log recover"));
  CHECK_FALSE(PathExists(st.root + "/out"));

  CmdResult rec = st.Sr("log recover --station " + st.station +
                        " --log-pin-source file:" + st.pins + "/log --operator carol");
  REQUIRE_MESSAGE(rec.rc == 0, rec.all());
  CHECK(Has(rec.out, "removed a torn tail of 17 bytes at byte offset " + std::to_string(before)));
  auto evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_LOG_RECOVERED);
  CHECK(evs.back().log_recovered().removed_length() == 17);
  CHECK(evs.back().station_id() == evs.front().station_id());
  CHECK(evs.back().operators(0) == "carol");
  CHECK(st.LogVerify().rc == 0);

  CmdResult ok = st.Sign(in, "out");
  CHECK_MESSAGE(ok.rc == 0, ok.all());
  CHECK(st.Verify("out", in).rc == 0);
}

}  // namespace
}  // namespace sr::testing
