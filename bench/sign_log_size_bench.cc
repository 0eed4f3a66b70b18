// One `strongroom sign` on logs of 10, 10,000, 100,000 and 1,000,000 events,
// measured in the same run (docs/performance.md, "A sign on a large log"):
// a sign reads the log's facts index (station/facts_index.h), not every
// event, so its cost must not grow with the log. Target: the sign on the
// 1,000,000-event log within 1.1x of the sign on the 10-event log (medians).
//
// Four stations are set up through the CLI (as bench/sign_bench.cc does:
// the IC-22 reference scenario of tests/testing/policy_fixtures.h, a P-256
// release key, the policy installed). The large logs are grown with the log
// library through the station's own log (StationLog::AppendMany and Commit,
// which keeps the facts index current), not by signing: events like a busy
// station's, one SIGNING (of one of PRODUCTS other products, each version
// above the last) every SIGNING_EVERY events and REFUSALs (each naming the
// digests of what was presented) between them. Then every station signs
// RUNS releases of IC-22 (one 64 KiB artifact each), interleaved round-robin
// so that load changes on a shared machine hit every size alike.
//
//   sign_log_size_bench [RUNS=9] [MAX_EVENTS=1000000] [STRONGROOM_BINARY]
//   SIGNING_EVERY (50), PRODUCTS (100); BENCH_TMPDIR: where the stations
//   live (scripts/bench: /dev/shm unless told otherwise; about 400 MB for
//   the largest log); BENCH_KEEP=1 keeps them.
// Exits 3 when the target is missed, after printing everything.
#include <fcntl.h>
#include <linux/magic.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "bench/log_bench_util.h"
#include "policy/keys.h"
#include "station/layout.h"
#include "station/station.h"
#include "station/station_log.h"
#include "tests/testing/policy_fixtures.h"

extern char** environ;

namespace {

using sr::testing::World;
namespace v1 = strongroom::v1;

constexpr const char* kKeyLabel = "rel";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sign_log_size_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const sr::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.message());
}

void WritePlain(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) Die("cannot write " + path);
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string Bytes(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  unsigned x = seed * 2654435761u + 12345;
  for (auto& c : out) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  return out;
}

// Runs args (args[0] by path, no shell), output to out_path; wall seconds,
// or a negative number when it did not exit 0. *cpu: the child's user +
// system seconds (what load on a shared machine changes least).
double Spawn(std::vector<std::string> args, const std::string& out_path, double* cpu = nullptr) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  double t0 = sr::bench::Now(), seconds = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    struct rusage ru {};
    ::wait4(pid, &status, 0, &ru);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) seconds = sr::bench::Now() - t0;
    if (cpu)
      *cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  posix_spawn_file_actions_destroy(&fa);
  return seconds;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A refused batch entry, as `sign` logs it: the reasons and the digest of
// every input presented.
v1::Event Refusal(std::uint64_t i) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  auto* r = e.mutable_refusal();
  r->set_product("IC-22");
  r->set_version("5.4." + std::to_string(i % 1000));
  auto* reason = r->add_reasons();
  reason->set_code("APPROVAL_EXPIRED");
  reason->set_input("approval");
  reason->set_message("the approval expired at 2026-11-01T00:00:00Z; present a current one");
  for (const char* role : {"artifact", "approval", "provenance", "evidence[0]"}) {
    auto* in = r->add_inputs();
    in->set_role(role);
    in->set_name(std::string(role) + "-" + std::to_string(i) + ".json");
    in->set_sha256(sr::Sha256Hex(std::to_string(i) + role));
  }
  return e;
}

// A SIGNING of product BENCH-<p>, version 1.<n>.0, one artifact.
v1::Event Signing(std::uint64_t p, std::uint64_t n) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_SIGNING);
  auto* s = e.mutable_signing();
  s->set_product("BENCH-" + std::to_string(p));
  s->set_version("1." + std::to_string(n) + ".0");
  auto* a = s->add_artifacts();
  a->set_name("fw.bin");
  a->set_sha256(sr::Sha256Hex("BENCH" + std::to_string(p) + "." + std::to_string(n)));
  s->set_key_fingerprint(std::string(64, 'b'));
  s->set_policy_version(1);
  auto* sig = s->add_signatures();
  sig->set_algorithm("ecdsa-p256");
  sig->set_signature(std::string(72, 's'));
  return e;
}

class BenchStation {
 public:
  BenchStation(std::string bin, std::string root) : bin_(std::move(bin)), root_(std::move(root)) {
    station_ = root_ + "/station";
    pins_ = root_ + "/pins";
  }

  void Sr(std::vector<std::string> args, const std::string& what) const {
    args.insert(args.begin(), bin_);
    if (Spawn(args, root_ + "/.out") < 0) Die(what + " failed:\n" + Slurp(root_ + "/.out"));
  }
  std::vector<std::string> Pins() const {
    return {"--pin-source", "file:" + pins_ + "/release", "--log-pin-source",
            "file:" + pins_ + "/log"};
  }

  void SetUp() {
    Check(sr::MakeDirs(pins_, 0700), "mkdir " + pins_);
    for (const char* n : {"release-so", "release", "log-so", "log"})
      Check(sr::WriteFileAtomic(pins_ + "/" + n, std::string("bench-") + n + "\n", 0600), "pins");
    Sr({"station", "init", "--station", station_, "--release-so-pin-source",
        "file:" + pins_ + "/release-so", "--release-pin-source", "file:" + pins_ + "/release",
        "--log-so-pin-source", "file:" + pins_ + "/log-so", "--log-pin-source",
        "file:" + pins_ + "/log"},
       "station init");
    std::vector<std::string> gen = {"key",     "generate", "--station",   station_,
                                    "--label", kKeyLabel,  "--algorithm", "ecdsa-p256"};
    for (auto& p : Pins()) gen.push_back(p);
    Sr(gen, "key generate");
    auto pem = sr::ReadFile(station_ + "/keys/" + kKeyLabel + ".pem");
    if (!pem.ok()) Die(pem.status().message());
    auto pk = sr::policy::PublicKey::FromPem(*pem);
    if (!pk.ok()) Die(pk.status().message());
    Sr({"log", "vkey", "--station", station_}, "log vkey");
    std::string out = Slurp(root_ + "/.out");
    world_.ForStation(sr::policy::Clock::now(), pk->fingerprint(), out.substr(0, out.find('\n')));
    WritePlain(root_ + "/policy.env", world_.Build().policy);
    Sr({"policy", "install", "--station", station_, "--in", root_ + "/policy.env",
        "--log-pin-source", "file:" + pins_ + "/log"},
       "policy install");
  }

  // Grows the log to `events` events with the log library (batches of
  // 10,000, one durable append and one checkpoint each).
  void Grow(std::uint64_t events, std::uint64_t signing_every, std::uint64_t products) {
    auto st = sr::Station::Open(station_);
    if (!st.ok()) Die(st.status().message());
    std::string pin = "bench-log";
    sr::SecretBytes log_pin(pin.begin(), pin.end());
    auto log = sr::StationLog::Open(**st, log_pin);
    if (!log.ok()) Die(log.status().message());
    std::uint64_t size = (*log)->writer().size(), signed_n = 0;
    while (size < events) {
      std::vector<v1::Event> batch;
      for (; size < events && batch.size() < 10000; ++size) {
        if (signing_every > 0 && size % signing_every == 0) {
          batch.push_back(Signing(signed_n % products, signed_n / products));
          ++signed_n;
        } else {
          batch.push_back(Refusal(size));
        }
      }
      Check((*log)->AppendMany(batch).status(), "appending");
      Check((*log)->Commit().status(), "committing");
    }
  }

  // Writes the inputs of IC-22 `version` (one 64 KiB artifact) and returns
  // its sign command.
  std::vector<std::string> Prepare(const std::string& version, const std::string& previous,
                                   unsigned seed) {
    std::string dir = root_ + "/media-" + version;
    Check(sr::MakeDirs(dir, 0755), "mkdir " + dir);
    World w = world_;
    std::string name = "ic22-fw-" + version + ".bin", content = Bytes(64 << 10, seed);
    WritePlain(dir + "/" + name, content);
    w.ForRelease({{name, sr::Sha256Hex(content)}}, version, previous);
    sr::policy::GateInputs g = w.Build();
    WritePlain(dir + "/approval.dsse.json", g.approval);
    WritePlain(dir + "/provenance.dsse.json", g.provenance);
    std::vector<std::string> cmd = {bin_,        "sign",         "--station",  station_,
                                    "--product", "IC-22",        "--version",  version,
                                    "--key",     kKeyLabel,      "--out",      dir + "/out",
                                    "--artifact", dir + "/" + name, "--approval",
                                    dir + "/approval.dsse.json", "--provenance",
                                    dir + "/provenance.dsse.json"};
    for (std::size_t i = 0; i < g.evidence.size(); ++i) {
      std::string e = dir + "/evidence" + std::to_string(i) + ".dsse.json";
      WritePlain(e, g.evidence[i]);
      cmd.insert(cmd.end(), {"--evidence", e});
    }
    for (auto& p : Pins()) cmd.push_back(p);
    return cmd;
  }

  double TimedSign(const std::vector<std::string>& cmd, const std::string& version,
                   double* cpu = nullptr) const {
    double s = Spawn(cmd, root_ + "/.sign-out", cpu);
    std::string text = Slurp(root_ + "/.sign-out");
    if (s < 0 || text.find("SIGNED IC-22 " + version) == std::string::npos)
      Die("sign " + version + " in " + station_ + " failed:\n" + text);
    return s;
  }

  std::uint64_t LogBytes() const {
    auto size = sr::ReadFile(sr::layout::LogDir(station_) + "/events", 1ull << 40);
    return size.ok() ? size->size() : 0;
  }
  std::uint64_t IndexBytes() const {
    auto f = sr::ReadFile(sr::layout::LogFactsIndex(station_), 1ull << 30);
    return f.ok() ? f->size() : 0;
  }

 private:
  std::string bin_, root_, station_, pins_;
  World world_;
};

std::uint64_t EnvOr(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : dflt;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 9;
  const std::uint64_t max_events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const std::string bin = argc > 3 ? argv[3] : STRONGROOM_BINARY;
  const std::uint64_t every = EnvOr("SIGNING_EVERY", 50), products = EnvOr("PRODUCTS", 100);
  if (runs < 1 || max_events < 10 || products < 1) Die("RUNS >= 1, MAX_EVENTS >= 10, PRODUCTS >= 1");
  sr::bench::BenchDir dir;
  if (std::getenv("BENCH_KEEP")) std::printf("(keeping %s)\n", dir.path().c_str());
  struct statfs fs {};
  const bool tmpfs = ::statfs(dir.path().c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
  std::printf("stations in %s (%s)\n", dir.path().c_str(),
              tmpfs ? "tmpfs: no device flushes" : "a disk: each flush reaches the device");
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t n : {10ull, 10000ull, 100000ull, 1000000ull})
    if (n <= max_events) sizes.push_back(n);

  std::vector<std::unique_ptr<BenchStation>> stations;
  for (std::uint64_t n : sizes) {
    std::string root = dir.path() + "/log-" + std::to_string(n);
    Check(sr::MakeDirs(root, 0700), "mkdir " + root);
    stations.push_back(std::make_unique<BenchStation>(bin, root));
    stations.back()->SetUp();
    double t0 = sr::bench::Now();
    stations.back()->Grow(n, every, products);
    std::printf("  log of %7llu events: %6.1f MB, facts index %7.1f KB (grown in %.1f s)\n",
                static_cast<unsigned long long>(n), stations.back()->LogBytes() / 1e6,
                stations.back()->IndexBytes() / 1e3, sr::bench::Now() - t0);
    std::fflush(stdout);
  }
  // Every sign's inputs before anything is timed: a warm-up and RUNS versions.
  std::vector<std::vector<std::vector<std::string>>> cmds(stations.size());
  std::vector<std::string> versions;
  for (int i = 0; i <= runs; ++i) versions.push_back("5.4." + std::to_string(3 + i));
  for (std::size_t s = 0; s < stations.size(); ++s)
    for (int i = 0; i <= runs; ++i)
      cmds[s].push_back(stations[s]->Prepare(versions[i], i ? versions[i - 1] : "5.4.2",
                                             static_cast<unsigned>(i)));
  ::sync();
  for (std::size_t s = 0; s < stations.size(); ++s)
    (void)stations[s]->TimedSign(cmds[s][0], versions[0]);
  std::vector<std::vector<double>> t(stations.size()), cpu(stations.size());
  for (int i = 1; i <= runs; ++i) {
    // Round-robin, starting at a different station each round.
    for (std::size_t k = 0; k < stations.size(); ++k) {
      std::size_t s = (k + static_cast<std::size_t>(i)) % stations.size();
      double c = 0;
      t[s].push_back(stations[s]->TimedSign(cmds[s][i], versions[i], &c));
      cpu[s].push_back(c);
    }
  }
  std::printf("sign: one 64 KiB artifact, ECDSA P-256, median of %d runs per log (wall time)\n",
              runs);
  const double base = Median(t[0]);
  for (std::size_t s = 0; s < stations.size(); ++s) {
    const double m = Median(t[s]);
    std::printf(
        "  %7llu events: %7.1f ms  (min %.1f, max %.1f)  %.2fx the 10-event log;"
        "  CPU %.1f ms, %.2fx\n",
        static_cast<unsigned long long>(sizes[s]), m * 1e3,
        *std::min_element(t[s].begin(), t[s].end()) * 1e3,
        *std::max_element(t[s].begin(), t[s].end()) * 1e3, m / base, Median(cpu[s]) * 1e3,
        Median(cpu[s]) / Median(cpu[0]));
  }
  const double ratio = Median(t.back()) / base;
  std::printf("  ratio largest/smallest          : %.2f  (target <= 1.10: %s)\n", ratio,
              ratio <= 1.1 ? "met" : "MISSED");
  return ratio <= 1.1 ? 0 : 3;
}
