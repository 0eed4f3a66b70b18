// Artifact hashing throughput: strongroom's streaming SHA-256 (the code path
// `strongroom sign` uses for ECDSA P-256 and RSA keys: HashFile without
// SHA-384, with the progress-bar callback, as signer/signing_prepare.cc calls
// it) against `openssl dgst -sha256` on the same file, in the same run, with
// a warm page cache for both. Also reports peak RSS to show memory stays
// constant whatever the file size.
//
//   hash_bench [SIZE_MIB=1024] [DIR=/tmp]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/hash.h"
#include "base/progress.h"

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

long PeakRssKib() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const long mib = argc > 1 ? std::atol(argv[1]) : 1024;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  const std::string path = dir + "/strongroom-hash-bench-" + std::to_string(getpid()) + ".bin";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 1;
    std::vector<unsigned char> block(1 << 20);
    unsigned x = 12345;
    for (long i = 0; i < mib; ++i) {
      for (auto& b : block) b = static_cast<unsigned char>((x = x * 1103515245 + 12345) >> 16);
      std::fwrite(block.data(), 1, block.size(), f);
    }
    std::fclose(f);
  }
  const std::string cmd = "openssl dgst -sha256 " + path + " > /dev/null";
  // Warm the cache once for both, then take the best of 3 runs each.
  if (std::system(cmd.c_str()) != 0) return 1;
  double ours = 1e9, theirs = 1e9;
  for (int run = 0; run < 3; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    sr::ProgressBar bar("hashing", static_cast<std::uint64_t>(mib) << 20);
    auto d = sr::HashFile(path, /*with_sha384=*/false,
                          [&](std::uint64_t done, std::uint64_t) { bar.Update(done); });
    auto t1 = std::chrono::steady_clock::now();
    if (!d.ok()) {
      std::fprintf(stderr, "%s\n", d.status().ToString().c_str());
      return 1;
    }
    ours = std::min(ours, Seconds(t1 - t0));
    t0 = std::chrono::steady_clock::now();
    if (std::system(cmd.c_str()) != 0) return 1;
    t1 = std::chrono::steady_clock::now();
    theirs = std::min(theirs, Seconds(t1 - t0));
  }
  ::unlink(path.c_str());
  const double ours_mbs = static_cast<double>(mib) / ours;
  const double theirs_mbs = static_cast<double>(mib) / theirs;
  std::printf("hash: %ld MiB file, best of 3\n", mib);
  std::printf("  strongroom HashFile   : %8.1f MiB/s\n", ours_mbs);
  std::printf("  openssl dgst -sha256  : %8.1f MiB/s (baseline, same run)\n", theirs_mbs);
  std::printf("  ratio                 : %.2f (target >= 0.90)\n", ours_mbs / theirs_mbs);
  std::printf("  peak RSS              : %ld KiB (constant: one %llu KiB buffer)\n", PeakRssKib(),
              static_cast<unsigned long long>(sr::kHashChunkBytes >> 10));
  return ours_mbs / theirs_mbs >= 0.90 ? 0 : 3;
}
