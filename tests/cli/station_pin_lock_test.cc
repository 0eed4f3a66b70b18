// End-to-end tests of PIN entry and change and of the station lock, through
// the real binary: new PINs typed twice at a terminal prompt (a pseudo-
// terminal driven by tests/cli/pty_answer.py), `station change-pin` with its
// PIN_CHANGED event, and commands waiting for (or not needing) station.lock.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "cli/common.h"
#include "proto/event.pb.h"
#include "tests/testing/log_events.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace {

using sr::testing::CmdResult;
using sr::testing::Run;
using sr::testing::TempDir;

const std::string kBin = STRONGROOM_BINARY;
const std::string kPty = PTY_ANSWER;

// A temp dir with 0600 PIN files ("pin-of-<name>") and, unless told not to,
// a station created from them with a release key "rel".
struct PinStation {
  TempDir tmp{"sr-pinlock"};
  std::string root = tmp.path(), dir = root + "/station", pins = root + "/pins";
  explicit PinStation(bool init = true) {
    REQUIRE(sr::MakeDirs(pins, 0700).ok());
    for (const char* name :
         {"release-so", "release", "log-so", "log", "release-new", "log-new", "release-so-new"})
      WritePin(name, std::string("pin-of-") + name);
    if (!init) return;
    CmdResult r = Run(kBin + " station init --station " + dir + " --release-so-pin-source " +
                      Pin("release-so") + " --release-pin-source " + Pin("release") +
                      " --log-so-pin-source " + Pin("log-so") + " --log-pin-source " + Pin("log"));
    REQUIRE_MESSAGE(r.rc == 0, r.out);
    CmdResult g = Generate("rel");
    REQUIRE_MESSAGE(g.rc == 0, g.out);
  }
  void WritePin(const std::string& name, const std::string& pin) {
    std::string p = pins + "/" + name;
    REQUIRE(sr::WriteFileAtomic(p, pin + "\n", 0600).ok());
    REQUIRE(::chmod(p.c_str(), 0600) == 0);
  }
  std::string Pin(const std::string& name) const { return "file:" + pins + "/" + name; }
  CmdResult Generate(const std::string& label, const std::string& pin = "release",
                     const std::string& log_pin = "log", const std::string& extra = "") const {
    return Run(kBin + " key generate --station " + dir + " --label " + label +
               " --algorithm ecdsa-p256 --pin-source " + Pin(pin) + " --log-pin-source " +
               Pin(log_pin) + extra);
  }
  CmdResult ChangePin(const std::string& args) const {
    return Run(kBin + " station change-pin --station " + dir + " " + args);
  }
  std::vector<strongroom::v1::Event> Events() const { return sr::testing::ReadLogEvents(dir + "/log"); }
  // Every byte of every file below STATION/log.
  std::string LogBytes() const {
    std::string all;
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir + "/log")) {
      if (!f.is_regular_file()) continue;
      auto b = sr::ReadFile(f.path().string(), 1u << 30);
      REQUIRE(b.ok());
      all += *b;
    }
    return all;
  }
  // A shell snippet that starts `key generate` in the background holding
  // station.lock for about `seconds` (it waits for its release PIN on a pipe
  // that only closes then, and then fails), and returns once the lock's
  // holder record names it.
  std::string HoldLockWithKeyGenerate(int seconds) const {
    std::string lock = dir + "/station.lock";
    return ": > " + lock + "; (sleep " + std::to_string(seconds) + " | " + kBin +
           " key generate --station " + dir +
           " --label held --algorithm ecdsa-p256 --pin-source fd:0 --log-pin-source " + Pin("log") +
           ") >/dev/null 2>&1 & for i in $(seq 300); do grep -q pid= " + lock +
           " && break; sleep 0.1; done; ";
  }
};

// Runs args of the strongroom binary on a pseudo-terminal answering its
// prompts with answers in turn.
CmdResult OnTerminal(const std::vector<std::string>& answers, const std::string& args) {
  std::string cmd = "python3 " + kPty;
  for (const auto& a : answers) cmd += " '" + a + "'";
  return Run(cmd + " -- " + kBin + " " + args + " </dev/null");
}

}  // namespace

TEST_CASE("station init at a terminal asks for each new PIN twice and re-asks on a mismatch") {
  PinStation st(/*init=*/false);
  // The release SO PIN's confirmation is mistyped once, then both entries match.
  CmdResult r =
      OnTerminal({"so-pin-1", "so-pin-X", "so-pin-1", "so-pin-1", "user-pin-1", "user-pin-1",
                  "log-so-pin", "log-so-pin", "log-user-pin", "log-user-pin"},
                 "station init --station " + st.dir);
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("new release token SO PIN again, to confirm: ") != std::string::npos);
  CHECK(r.out.find("the two entries of the new release token SO PIN differ; try again") !=
        std::string::npos);
  CHECK(r.out.find("so-pin") == std::string::npos);  // never echoed
  // The SO PIN set is the one typed twice: the SO can log in with it.
  st.WritePin("typed-so", "so-pin-1");
  st.WritePin("typed-log", "log-user-pin");
  CmdResult so =
      st.ChangePin("--so --old-pin-source " + st.Pin("typed-so") + " --new-pin-source " +
                   st.Pin("release-so-new") + " --log-pin-source " + st.Pin("typed-log"));
  CHECK_MESSAGE(so.rc == 0, so.out);
}

TEST_CASE("station init at a terminal gives up after three mismatched new PINs, changing nothing") {
  PinStation st(/*init=*/false);
  CmdResult r = OnTerminal({"so-pin-1", "so-pin-2", "so-pin-3", "so-pin-4", "so-pin-5", "so-pin-6"},
                           "station init --station " + st.dir);
  INFO(r.out);
  CHECK(r.rc == sr::cli::kExitInvalidInput);
  CHECK(r.out.find("no matching entries of the new release token SO PIN after 3 tries") !=
        std::string::npos);
  CHECK_FALSE(sr::PathExists(st.dir + "/station.json"));
}

TEST_CASE("an unusable new PIN at the prompt is re-asked; file sources are read once") {
  PinStation st;
  // "abc" is too short: said, and asked again.
  CmdResult r = OnTerminal({"abc", "pin-typed-new", "pin-typed-new"},
                           "station change-pin --station " + st.dir + " --old-pin-source " +
                               st.Pin("release") + " --log-pin-source " + st.Pin("log"));
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("must be 4 to 255 bytes long") != std::string::npos);
  st.WritePin("typed", "pin-typed-new");
  CmdResult g = st.Generate("after-prompt", "typed");
  CHECK_MESSAGE(g.rc == 0, g.out);
}

TEST_CASE("station change-pin changes the release user PIN, logs it, and never logs the PIN") {
  PinStation st;
  std::size_t before = st.Events().size();
  CmdResult c = st.ChangePin("--old-pin-source " + st.Pin("release") + " --new-pin-source " +
                             st.Pin("release-new") + " --log-pin-source " + st.Pin("log") +
                             " --operator alice --operator bob");
  REQUIRE_MESSAGE(c.rc == 0, c.out);
  CHECK(c.out.find("PIN_CHANGED") != std::string::npos);

  // The old PIN is refused by the token, by name; the new one works.
  CmdResult old = st.Generate("with-old", "release");
  CHECK(old.rc == sr::cli::kExitHsm);
  CHECK_MESSAGE(old.out.find("CKR_PIN_INCORRECT") != std::string::npos, old.out);
  CmdResult neu = st.Generate("with-new", "release-new");
  CHECK_MESSAGE(neu.rc == 0, neu.out);
  CHECK(Run(kBin + " key list --station " + st.dir).out.find("with-new") != std::string::npos);

  auto events = st.Events();
  REQUIRE(events.size() == before + 2);  // PIN_CHANGED, then KEY_GENERATED
  const auto& e = events[before];
  CHECK(e.kind() == strongroom::v1::EVENT_KIND_PIN_CHANGED);
  CHECK(e.pin_changed().token_role() == "release");
  CHECK(e.pin_changed().pin() == "user");
  CHECK_FALSE(e.pin_changed().token_serial().empty());
  REQUIRE(e.operators_size() == 2);
  CHECK(e.operators(0) == "alice");

  std::string log = st.LogBytes();
  for (const char* pin : {"pin-of-release", "pin-of-release-new", "pin-of-log"})
    CHECK_MESSAGE(log.find(pin) == std::string::npos, pin);
  CmdResult shown = Run(kBin + " log show --station " + st.dir);
  CHECK(shown.out.find("pin-of-") == std::string::npos);
}

TEST_CASE("station change-pin of the log user PIN logs the change with the new PIN") {
  PinStation st;
  CmdResult c = st.ChangePin("--token log --old-pin-source " + st.Pin("log") +
                             " --new-pin-source " + st.Pin("log-new"));
  REQUIRE_MESSAGE(c.rc == 0, c.out);
  auto events = st.Events();
  CHECK(events.back().kind() == strongroom::v1::EVENT_KIND_PIN_CHANGED);
  CHECK(events.back().pin_changed().token_role() == "log");
  CmdResult old = st.Generate("k-old-log", "release", "log");
  CHECK(old.rc == sr::cli::kExitHsm);
  CHECK(old.out.find("CKR_PIN_INCORRECT") != std::string::npos);
  CmdResult neu = st.Generate("k-new-log", "release", "log-new");
  CHECK_MESSAGE(neu.rc == 0, neu.out);
}

TEST_CASE("station change-pin refuses a wrong current PIN and logs nothing") {
  PinStation st;
  std::size_t before = st.Events().size();
  CmdResult c = st.ChangePin("--old-pin-source " + st.Pin("log-so") + " --new-pin-source " +
                             st.Pin("release-new") + " --log-pin-source " + st.Pin("log"));
  CHECK(c.rc == sr::cli::kExitHsm);
  CHECK_MESSAGE(c.out.find("CKR_PIN_INCORRECT") != std::string::npos, c.out);
  CHECK(st.Events().size() == before);
  CHECK(st.Generate("still-old").rc == 0);
}

TEST_CASE("a command that needs the station lock says who holds it, and --wait gives up with 8") {
  PinStation st;
  CmdResult r = Run(st.HoldLockWithKeyGenerate(6) + kBin + " key generate --station " + st.dir +
                    " --label k2 --algorithm ecdsa-p256 --pin-source " + st.Pin("release") +
                    " --log-pin-source " + st.Pin("log") + " --wait 1");
  INFO(r.out);
  CHECK(r.rc == sr::cli::kExitBusy);
  CHECK(r.out.find("waiting up to 1 s for the station lock") != std::string::npos);
  CHECK(r.out.find("held by pid ") != std::string::npos);
  CHECK(r.out.find("(key generate, since ") != std::string::npos);
  CHECK(r.out.find("gave up after waiting 1 s") != std::string::npos);
}

TEST_CASE("a second process waits for the station lock, naming the holder, then runs") {
  PinStation st;
  CmdResult r = Run(st.HoldLockWithKeyGenerate(3) + kBin + " key generate --station " + st.dir +
                    " --label k3 --algorithm ecdsa-p256 --pin-source " + st.Pin("release") +
                    " --log-pin-source " + st.Pin("log") + " --wait 60");
  INFO(r.out);
  CHECK(r.rc == 0);
  CHECK(r.out.find("waiting up to 60 s for the station lock") != std::string::npos);
  CHECK(r.out.find("(key generate, since ") != std::string::npos);
}

TEST_CASE("--wait 0 does not wait; key list runs while another process holds the lock") {
  PinStation st;
  std::string lock = st.dir + "/station.lock";
  // flock(1) holds the lock without a holder record.
  std::string hold = "flock " + lock + " sleep 8 >/dev/null 2>&1 & sleep 0.5; ";
  CmdResult busy = Run(hold + kBin + " key generate --station " + st.dir +
                       " --label k4 --algorithm ecdsa-p256 --pin-source " + st.Pin("release") +
                       " --log-pin-source " + st.Pin("log") + " --wait 0");
  INFO(busy.out);
  CHECK(busy.rc == sr::cli::kExitBusy);
  CHECK(busy.out.find("not waiting (--wait 0)") != std::string::npos);
  CHECK(busy.out.find("has not recorded itself") != std::string::npos);
  CHECK(busy.out.find("waiting up to") == std::string::npos);

  CmdResult list = Run(hold + "timeout 5 " + kBin + " key list --station " + st.dir);
  INFO(list.out);
  CHECK(list.rc == 0);
  CHECK(list.out.find("rel\t") != std::string::npos);
  CHECK(Run(hold + "timeout 5 " + kBin + " log show --station " + st.dir).rc == 0);
  CHECK(Run(hold + "timeout 5 " + kBin + " key export --station " + st.dir + " --label rel").rc ==
        0);
}
