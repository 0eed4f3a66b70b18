// kill -9 during appends, and two appending processes at once. The appender is
// a separate process (log_tool) that prints "<index> <tag>" only after the
// append is durable; the parent trusts nothing else.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "log/reader.h"
#include "log/record.h"
#include "log/verify.h"
#include "log/writer.h"
#include "proto/event.pb.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::log {
namespace {

using sr::testing::ReadAll;
using sr::testing::TempDir;

const std::string kTool = LOG_TOOL;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  Child c;
  c.pid = ::fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {
    ::dup2(p[1], 1);
    ::close(p[0]);
    ::close(p[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  c.out = p[0];
  return c;
}

// Parses complete "<index> <tag>" lines out of partial into acked.
void ParseLines(std::string& partial, std::map<std::uint64_t, std::string>& acked) {
  std::size_t nl;
  while ((nl = partial.find('\n')) != std::string::npos) {
    std::istringstream line(partial.substr(0, nl));
    std::uint64_t idx;
    std::string tag;
    line >> idx >> tag;
    REQUIRE_MESSAGE(acked.emplace(idx, tag).second, "index acknowledged twice: ", idx);
    partial.erase(0, nl + 1);
  }
}

// Reads until EOF (or, with until_first_line, until one line arrived).
void Drain(int fd, std::map<std::uint64_t, std::string>& acked, std::string& partial,
           bool until_first_line = false) {
  char buf[4096];
  while (true) {
    ParseLines(partial, acked);
    if (until_first_line && !acked.empty()) return;
    ssize_t n = ::read(fd, buf, until_first_line ? 1 : sizeof buf);
    if (n <= 0) return;
    partial.append(buf, static_cast<std::size_t>(n));
  }
}

VerifyReport VerifyDir(const std::string& dir) {
  VerifyOptions o;
  o.dir = dir;
  o.vkey = ReadAll(JoinPath(dir, kVkeyFile));
  auto r = VerifyLog(o);
  REQUIRE(r.ok());
  return *r;
}

// Every acknowledged (index, tag) must be the event stored at that index.
void CheckAcked(const std::string& dir, const std::map<std::uint64_t, std::string>& acked) {
  auto r = LogReader::Open(dir);
  REQUIRE(r.ok());
  for (const auto& [idx, tag] : acked) {
    auto bytes = r->ReadEvent(idx);
    REQUIRE_MESSAGE(bytes.ok(), "acknowledged event ", idx, " is missing");
    strongroom::v1::Event e;
    REQUIRE(e.ParseFromString(*bytes));
    REQUIRE_MESSAGE(e.session_id() == tag, "event ", idx, " is ", e.session_id(), " not ", tag);
  }
}

TEST_CASE("crash: 200 kill -9s during appends lose no acknowledged event and the log verifies") {
  TempDir t;
  std::string dir = t.Sub("log"), pem = t.Sub("key.pem");
  REQUIRE(sr::testing::Run(kTool + " create " + dir + " " + pem + " strongroom.test/crash").rc ==
          0);
  auto v = NoteVerifier::Parse(ReadAll(JoinPath(dir, kVkeyFile)));
  auto signer = std::move(Ed25519NoteSigner::FromPemFile(v->name(), pem)).value();
  std::mt19937 rng(2026);
  std::map<std::uint64_t, std::string> acked;
  int torn = 0, recovered_events = 0;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 200; ++round) {
    Child c = Spawn({kTool, "append", dir, pem, "1000000", std::to_string(1 + rng() % 7),
                     "r" + std::to_string(round), "3"});
    std::string partial;
    std::map<std::uint64_t, std::string> round_acked;
    // Most rounds wait for the first acknowledgement so the kill lands among
    // appends and commits even on a loaded machine; the rest kill at start-up.
    if (round % 5 != 0) Drain(c.out, round_acked, partial, /*until_first_line=*/true);
    ::usleep(rng() % 8000);
    ::kill(c.pid, SIGKILL);
    int st;
    ::waitpid(c.pid, &st, 0);
    Drain(c.out, round_acked, partial);
    for (const auto& [idx, tag] : round_acked)
      REQUIRE_MESSAGE(acked.emplace(idx, tag).second, "index acked twice: ", idx);
    ::close(c.out);
    // Every 4th round also leaves the partial record that a kill inside the
    // write system call would leave (rare to hit by timing alone), but only
    // after a whole tail: a crash leaves at most one partial record, last
    // (the next writer refuses a torn tail until it is recovered, and never
    // appends after it). Appending the tear after a tail the kill already
    // tore glued the two partial records into one that looked complete with
    // a wrong checksum, a state no crash makes (an intermittent failure,
    // "record checksum does not match its bytes").
    if (round % 4 == 3) {
      bool whole = false;
      {
        auto probe = LogWriter::Open(dir, *signer);  // released before the tear
        whole = probe.ok();
      }
      std::string cut = std::to_string(1 + rng() % 4000);
      if (whole) REQUIRE(sr::testing::Run(kTool + " tear " + dir + " " + cut).rc == 0);
    }
    auto w = LogWriter::Open(dir, *signer);
    if (!w.ok()) {
      REQUIRE_MESSAGE(w.status().code() == Code::kFailedPrecondition, w.status().ToString());
      ++torn;
      auto rep = LogWriter::Recover(dir, *signer, strongroom::v1::Event());
      REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
      // The recovered event takes a fresh index: nothing acked sits there.
      REQUIRE(acked.count(rep->recovered_event_index) == 0);
      ++recovered_events;
    } else {
      REQUIRE((*w)->Commit().ok());  // signs what the killed session left unsigned
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("200 kills, ", acked.size(), " acknowledged appends, ", torn, " torn tails recovered, ",
          secs, " s");
  CHECK(acked.size() >= 160);  // every round not killed at start-up acked one
  CHECK(torn >= 50);
  CheckAcked(dir, acked);
  VerifyReport r = VerifyDir(dir);
  CHECK_MESSAGE(r.ok, (r.failure ? r.failure->check + ": " + r.failure->message : ""));
  CHECK(r.events >= acked.size() + static_cast<std::uint64_t>(recovered_events));
}

TEST_CASE(
    "concurrency: two processes appending 1,000 events each yield 2,000 events and a verifying "
    "log") {
  TempDir t;
  std::string dir = t.Sub("log"), pem = t.Sub("key.pem");
  REQUIRE(sr::testing::Run(kTool + " create " + dir + " " + pem + " strongroom.test/race").rc == 0);
  Child a = Spawn({kTool, "append", dir, pem, "1000", "10", "A"});
  Child b = Spawn({kTool, "append", dir, pem, "1000", "10", "B"});
  std::map<std::uint64_t, std::string> acked;
  std::string pa, pb;
  Drain(a.out, acked, pa);
  Drain(b.out, acked, pb);
  int sa, sb;
  ::waitpid(a.pid, &sa, 0);
  ::waitpid(b.pid, &sb, 0);
  ::close(a.out);
  ::close(b.out);
  CHECK(WIFEXITED(sa));
  CHECK(WEXITSTATUS(sa) == 0);
  CHECK(WEXITSTATUS(sb) == 0);
  REQUIRE(acked.size() == 2000);
  CHECK(acked.rbegin()->first == 1999);
  CheckAcked(dir, acked);
  VerifyReport r = VerifyDir(dir);
  CHECK(r.ok);
  CHECK(r.checkpoint_size == 2000);
}

}  // namespace
}  // namespace sr::log
