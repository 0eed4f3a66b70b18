// `strongroom log verify` of a large log (default 1,000,000 events), timed
// against a plain single-pass SHA-256 over the same events file, with the
// verifier's peak memory (child ru_maxrss); then inclusion-proof generation
// and verification times on that log.
//   log_verify_bench [N] [STRONGROOM_BINARY]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "base/file.h"
#include "base/hash.h"
#include "bench/log_bench_util.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/record.h"
#include "log/writer.h"

namespace {

// Runs argv, returns wall seconds; *maxrss_kib = the child's peak RSS.
double RunChild(const std::vector<std::string>& args, long* maxrss_kib, int* status) {
  double t0 = sr::bench::Now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);  // the verdict is the exit status
    if (null_fd >= 0) ::dup2(null_fd, 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  struct rusage ru {};
  ::wait4(pid, status, 0, &ru);
  *maxrss_kib = ru.ru_maxrss;
  return sr::bench::Now() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sr;
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const std::string bin = argc > 2 ? argv[2] : STRONGROOM_BINARY;
  bench::BenchDir dir;
  auto signer = std::move(log::Ed25519NoteSigner::Generate("bench.example/log")).value();
  std::string ldir = dir.path() + "/log";
  if (!log::LogWriter::Create(ldir, *signer).ok()) return 1;
  double t0 = bench::Now();
  {
    auto w = std::move(log::LogWriter::Open(ldir, *signer)).value();
    for (std::uint64_t done = 0; done < n;) {
      std::vector<strongroom::v1::Event> batch;
      for (int i = 0; i < 10000 && done < n; ++i, ++done) batch.push_back(bench::BenchEvent(done));
      if (!w->AppendMany(batch).ok()) return 1;
    }
    if (!w->Commit().ok()) return 1;
  }
  double build = bench::Now() - t0;
  std::string events = JoinPath(ldir, log::kEventsFile);
  std::string vkey = log::EncodeVerifierKey(signer->Name(), signer->PublicKey());

  // Warm the page cache so both sides read from memory.
  (void)Sha256File(events);
  t0 = bench::Now();
  auto digest = Sha256File(events);
  double sha = bench::Now() - t0;
  if (!digest.ok()) return 1;

  long rss = 0;
  int st = 0;
  double verify = RunChild({bin, "log", "verify", "--log", ldir, "--vkey", vkey}, &rss, &st);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::fprintf(stderr, "log verify failed (status %d)\n", st);
    return 1;
  }
  double mib = static_cast<double>(std::filesystem::file_size(events)) / (1 << 20);

  // Inclusion proofs on the same log: generation (reads O(log n) stored
  // nodes) and verification (C2SP tlog-proof parse + Ed25519 + path).
  auto v = std::move(log::NoteVerifier::Parse(vkey)).value();
  std::mt19937_64 rng(7);
  const int proofs = 1000;
  std::vector<std::string> texts;
  t0 = bench::Now();
  for (int i = 0; i < proofs; ++i) {
    auto f = log::ProveInclusion(ldir, rng() % n);
    if (!f.ok()) return 1;
    texts.push_back(f->Format());
  }
  double prove = (bench::Now() - t0) / proofs;
  t0 = bench::Now();
  for (const auto& t : texts) {
    if (!log::VerifyProofFile(t, v, std::nullopt, std::nullopt).ok()) return 1;
  }
  double check = (bench::Now() - t0) / proofs;

  std::printf("log verify, %llu events, %.1f MiB events file, %u cores (log built in %.1f s)\n",
              static_cast<unsigned long long>(n), mib, std::thread::hardware_concurrency(), build);
  std::printf("  baseline sha256 of the file   : %8.3f s (%.0f MiB/s)\n", sha, mib / sha);
  std::printf("  strongroom log verify         : %8.3f s (%.0f MiB/s), ratio to baseline %.2f\n",
              verify, mib / verify, verify / sha);
  std::printf("  verify peak memory (maxrss)   : %8.1f MiB (limit 64 MiB: %s)\n", rss / 1024.0,
              rss <= 64 * 1024 ? "OK" : "EXCEEDED");
  std::printf(
      "  inclusion proof generation    : %8.1f us/proof (incl. checkpoint signature check)\n",
      prove * 1e6);
  std::printf(
      "  inclusion proof verification  : %8.1f us/proof (parse + Ed25519 + %zu-hash path)\n",
      check * 1e6, static_cast<std::size_t>(64 - __builtin_clzll(n)));
  return rss <= 64 * 1024 ? 0 : 2;
}
