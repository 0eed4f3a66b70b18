// ArtifactPrehash hands out exactly what HashFile computes, for every file,
// from any thread, whoever gets to a file first.
#include "signer/artifact_prehash.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "tests/testing/temp_dir.h"

namespace {

using sr::testing::TempDir;

// n files of different contents; returns their paths.
std::vector<std::string> MakeFiles(const std::string& dir, int n, std::size_t size = 4096) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string p = dir + "/a" + std::to_string(i) + ".bin";
    REQUIRE(sr::WriteFileAtomic(
                p, std::string(size, static_cast<char>('a' + i % 26)) + std::to_string(i))
                .ok());
    out.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "prehash: every file's digests are HashFile's, errors included, and unknown paths are not") {
  TempDir tmp("sr-prehash");
  std::vector<std::string> paths = MakeFiles(tmp.path(), 5, 200000);
  std::string missing = tmp.path() + "/missing.bin";
  std::string link = tmp.path() + "/link.bin";
  REQUIRE(::symlink(paths[0].c_str(), link.c_str()) == 0);
  std::vector<std::string> given = paths;
  given.push_back(missing);
  given.push_back(link);
  given.push_back(paths[2]);  // twice
  sr::signer::ArtifactPrehash prehash(given);
  for (const std::string& p : given) {
    CAPTURE(p);
    auto got = prehash.Take(p);
    REQUIRE(got.has_value());
    auto want = sr::HashFile(p, false);
    REQUIRE(got->ok() == want.ok());
    if (want.ok()) {
      CHECK((*got)->sha256 == want->sha256);
      CHECK((*got)->size == want->size);
      CHECK((*got)->sha384.empty());
    } else {
      CHECK(got->status().message() == want.status().message());  // the same error
    }
  }
  CHECK(prehash.Take(paths[0]).value().ok());  // taken twice: still there
  CHECK_FALSE(prehash.Take(tmp.path() + "/not-given.bin").has_value());
}

TEST_CASE("prehash: files of 64 MiB or more are left to the session and its progress bar") {
  TempDir tmp("sr-prehash");
  std::string big = tmp.path() + "/big.bin";
  {
    auto fd = sr::UniqueFd(::open(big.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(fd.valid());
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(sr::signer::ArtifactPrehash::kMaxBytes)) == 0);
  }
  std::vector<std::string> small = MakeFiles(tmp.path(), 1);
  sr::signer::ArtifactPrehash prehash({big, small[0]});
  CHECK_FALSE(prehash.Take(big).has_value());
  CHECK(prehash.Take(small[0]).has_value());
}

TEST_CASE("prehash: many takers at once each get every file's own digest; ending early is safe") {
  TempDir tmp("sr-prehash");
  std::vector<std::string> paths = MakeFiles(tmp.path(), 300);
  std::vector<std::string> want;
  for (const std::string& p : paths) want.push_back(sr::HashFile(p, false).value().sha256);
  {
    sr::signer::ArtifactPrehash prehash(paths);
    std::atomic<int> wrong{0};
    std::vector<std::thread> takers;
    for (int t = 0; t < 4; ++t) {
      takers.emplace_back([&, t] {
        // Each taker walks the files from another place, as HashArtifacts'
        // threads do.
        for (std::size_t k = 0; k < paths.size(); ++k) {
          std::size_t i = (k + static_cast<std::size_t>(t) * 75) % paths.size();
          auto d = prehash.Take(paths[i]);
          if (!d || !d->ok() || (*d)->sha256 != want[i]) ++wrong;
        }
      });
    }
    for (auto& th : takers) th.join();
    CHECK(wrong.load() == 0);
  }
  // Destroyed at once, with nearly everything still to hash: it stops
  // without hashing the rest.
  for (int round = 0; round < 20; ++round) sr::signer::ArtifactPrehash dropped(paths);
  sr::signer::ArtifactPrehash none({});
  CHECK_FALSE(none.Take(paths[0]).has_value());
}
