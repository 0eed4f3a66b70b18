// Appends per second with fsync, against a raw write+fdatasync loop of the
// same record sizes in the same directory, measured in the same run.
//   log_append_bench [N]   (default 2000)
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/file.h"
#include "bench/log_bench_util.h"
#include "log/merkle.h"
#include "log/record.h"
#include "log/writer.h"

int main(int argc, char** argv) {
  using namespace sr;
  const long n = argc > 1 ? std::atol(argv[1]) : 2000;
  bench::BenchDir dir;
  auto signer = std::move(log::Ed25519NoteSigner::Generate("bench.example/log")).value();
  std::string ldir = dir.path() + "/log";
  if (!log::LogWriter::Create(ldir, *signer).ok()) return 1;

  // Baseline: the same bytes, one write + fdatasync each.
  std::string payload;
  bench::BenchEvent(0).SerializeToString(&payload);
  std::string rec = log::EncodeRecord(payload, log::HashLeaf(payload));
  std::string raw_path = dir.path() + "/raw";
  UniqueFd fd(::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  double t0 = bench::Now();
  for (long i = 0; i < n; ++i) {
    if (!WriteAll(fd.get(), rec, raw_path).ok() || ::fdatasync(fd.get()) != 0) return 1;
  }
  double raw = bench::Now() - t0;

  auto w = std::move(log::LogWriter::Open(ldir, *signer)).value();
  t0 = bench::Now();
  for (long i = 0; i < n; ++i) {
    if (!w->Append(bench::BenchEvent(static_cast<std::uint64_t>(i))).ok()) return 1;
  }
  double appends = bench::Now() - t0;
  t0 = bench::Now();
  if (!w->Commit().ok()) return 1;
  double commit = bench::Now() - t0;

  std::printf("log append (durable, one fdatasync each), %ld events of %zu bytes\n", n, rec.size());
  std::printf("  baseline write+fdatasync : %10.0f /s\n", n / raw);
  std::printf("  log Append               : %10.0f /s  (ratio to baseline %.2f)\n", n / appends,
              raw / appends);
  std::printf(
      "  checkpoint Commit        : %10.2f ms (consistency proof + Ed25519 + atomic replace)\n",
      commit * 1e3);
  return 0;
}
