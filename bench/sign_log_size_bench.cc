// One `strongroom sign` on logs of 10, 10,000, 100,000 and 1,000,000 events,
// measured in the same run (docs/performance.md, "A sign on a large log"):
// a sign reads the log's facts index (station/facts_index.h), not every
// event, so its cost must not grow with the log. Target: the sign on the
// 1,000,000-event log within 1.1x of the sign on the 10-event log (medians).
//
// Four stations are set up through the CLI (bench/station_bench_util.h:
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
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "bench/station_bench_util.h"
#include "station/layout.h"
#include "station/station.h"
#include "station/station_log.h"
#include "tests/testing/policy_fixtures.h"

namespace {

using sr::testing::World;
namespace v1 = strongroom::v1;

using sr::bench::Bytes;
using sr::bench::Check;
using sr::bench::Die;
using sr::bench::Median;
using sr::bench::Slurp;
using sr::bench::WritePlain;

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

// The station (bench/station_bench_util.h), its log grown, its signs timed.
class LogSizeStation : public sr::bench::BenchStation {
 public:
  using BenchStation::BenchStation;

  void SetUpWithPolicy() {
    SetUp();
    InstallPolicy();
  }

  // Grows the log to `events` events with the log library (batches of
  // 10,000, one durable append and one checkpoint each).
  void Grow(std::uint64_t events, std::uint64_t signing_every, std::uint64_t products) {
    auto st = sr::Station::Open(station());
    if (!st.ok()) Die(st.status().message());
    std::string pin = kLogPin;
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
    std::string dir = root() + "/media-" + version;
    Check(sr::MakeDirs(dir, 0755), "mkdir " + dir);
    World w = world();
    std::string name = "ic22-fw-" + version + ".bin", content = Bytes(64 << 10, seed);
    WritePlain(dir + "/" + name, content);
    w.ForRelease({{name, sr::Sha256Hex(content)}}, version, previous);
    sr::policy::GateInputs g = w.Build();
    WritePlain(dir + "/approval.dsse.json", g.approval);
    WritePlain(dir + "/provenance.dsse.json", g.provenance);
    std::vector<std::string> cmd = {bin(),          "sign",
                                    "--station",    station(),
                                    "--product",    "IC-22",
                                    "--version",    version,
                                    "--key",        kKeyLabel,
                                    "--out",        dir + "/out",
                                    "--artifact",   dir + "/" + name,
                                    "--approval",   dir + "/approval.dsse.json",
                                    "--provenance", dir + "/provenance.dsse.json"};
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
    sr::bench::Run r = sr::bench::Spawn(cmd, root() + "/.sign-out");
    std::string text = Slurp(root() + "/.sign-out");
    if (r.rc != 0 || text.find("SIGNED IC-22 " + version) == std::string::npos)
      Die("sign " + version + " in " + station() + " failed:\n" + text);
    if (cpu) *cpu = r.cpu;
    return r.seconds;
  }

  std::uint64_t LogBytes() const {
    auto size = sr::ReadFile(sr::layout::LogDir(station()) + "/events", 1ull << 40);
    return size.ok() ? size->size() : 0;
  }
  // The signed index file (what every sign reads and rewrites).
  std::uint64_t IndexBytes() const {
    auto f = sr::ReadFile(sr::layout::LogFactsIndex(station()), 1ull << 30);
    return f.ok() ? f->size() : 0;
  }
  // The products' versions files beside it (appended to; read only for a
  // version already taken).
  std::uint64_t VersionsBytes() const {
    std::error_code ec;
    std::uint64_t n = 0;
    for (const auto& e :
         std::filesystem::directory_iterator(sr::layout::LogDir(station()) + "/facts.d", ec))
      n += e.file_size(ec);
    return n;
  }
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

  std::vector<std::unique_ptr<LogSizeStation>> stations;
  for (std::uint64_t n : sizes) {
    std::string root = dir.path() + "/log-" + std::to_string(n);
    Check(sr::MakeDirs(root, 0700), "mkdir " + root);
    stations.push_back(std::make_unique<LogSizeStation>(bin, root));
    stations.back()->SetUpWithPolicy();
    double t0 = sr::bench::Now();
    stations.back()->Grow(n, every, products);
    std::printf(
        "  log of %7llu events: %6.1f MB, facts index %5.1f KB + versions files %7.1f KB "
        "(grown in %.1f s)\n",
        static_cast<unsigned long long>(n), stations.back()->LogBytes() / 1e6,
        stations.back()->IndexBytes() / 1e3, stations.back()->VersionsBytes() / 1e3,
        sr::bench::Now() - t0);
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
