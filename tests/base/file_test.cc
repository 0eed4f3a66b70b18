#include "base/file.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/hash.h"
#include "tests/testing/temp_dir.h"

namespace {
using sr::testing::TempDir;
}  // namespace

TEST_CASE("files: atomic write replaces content and exclusive write refuses to overwrite") {
  TempDir tmp("sr-base");
  const std::string& dir = tmp.path();
  std::string p = sr::JoinPath(dir, "out.txt");
  REQUIRE(sr::WriteFileAtomic(p, "first").ok());
  REQUIRE(sr::WriteFileAtomic(p, "second").ok());
  CHECK(sr::ReadFile(p).value() == "second");
  auto s = sr::WriteFileAtomic(p, "third", 0644, /*exclusive=*/true);
  CHECK(s.code() == sr::Code::kAlreadyExists);
  CHECK(sr::ReadFile(p).value() == "second");
}

TEST_CASE("files: reads refuse symbolic links and oversize inputs, naming the path") {
  TempDir tmp("sr-base");
  const std::string& dir = tmp.path();
  std::string p = sr::JoinPath(dir, "big");
  REQUIRE(sr::WriteFileAtomic(p, std::string(100, 'x')).ok());
  auto r = sr::ReadFile(p, 10);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find(p) != std::string::npos);
  std::string link = sr::JoinPath(dir, "link");
  REQUIRE(::symlink(p.c_str(), link.c_str()) == 0);
  auto l = sr::ReadFile(link);
  REQUIRE_FALSE(l.ok());
  CHECK(l.status().message().find("symbolic links are refused") != std::string::npos);
}

TEST_CASE("files: streaming file hash equals in-memory hash") {
  TempDir tmp("sr-base");
  const std::string& dir = tmp.path();
  std::string p = sr::JoinPath(dir, "blob");
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
  REQUIRE(sr::WriteFileAtomic(p, data).ok());
  std::uint64_t last = 0;
  auto d = sr::Sha256File(p, [&](std::uint64_t done, std::uint64_t) { last = done; });
  REQUIRE(d.ok());
  CHECK(*d == sr::Sha256(data));
  CHECK(last == data.size());
}

TEST_CASE("files: HashFile's digests are right at every size around its read size") {
  TempDir tmp("sr-base");
  const std::string& dir = tmp.path();
  std::string p = sr::JoinPath(dir, "blob");
  const std::size_t c = sr::kHashChunkBytes;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                           c - 1, c, c + 1, 2 * c, 3 * c + 5, std::size_t{1} << 20}) {
    CAPTURE(size);
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
    REQUIRE(sr::WriteFileAtomic(p, data).ok());
    std::vector<std::uint64_t> seen;
    auto d = sr::HashFile(p, /*with_sha384=*/true, [&](std::uint64_t done, std::uint64_t total) {
      CHECK(total == size);
      seen.push_back(done);
    });
    REQUIRE(d.ok());
    CHECK(d->size == size);
    CHECK(d->sha256 == sr::Sha256Bytes(data));
    unsigned char md[48];
    unsigned int len = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha384(), nullptr) == 1);
    CHECK(d->sha384 == std::string(reinterpret_cast<char*>(md), len));
    // One progress call per read, each at most a chunk further, ending at the size.
    std::uint64_t prev = 0;
    for (std::uint64_t done : seen) {
      CHECK(done > prev);
      CHECK(done - prev <= c);
      prev = done;
    }
    CHECK(prev == size);
  }
}

TEST_CASE("files: a second non-waiting lock on the same file is refused") {
  TempDir tmp("sr-base");
  const std::string& dir = tmp.path();
  std::string p = sr::JoinPath(dir, "lock");
  auto a = sr::FileLock::Acquire(p);
  REQUIRE(a.ok());
  // flock locks are per open file description, so a second open conflicts even in-process.
  auto b = sr::FileLock::Acquire(p, /*wait=*/false);
  CHECK(b.status().code() == sr::Code::kUnavailable);
}

TEST_CASE("file: BaseName and DirName split a path at its last slash") {
  CHECK(sr::BaseName("/media/fw/ic22-fw-5.4.3.bin") == "ic22-fw-5.4.3.bin");
  CHECK(sr::BaseName("ic22-fw-5.4.3.bin") == "ic22-fw-5.4.3.bin");
  CHECK(sr::BaseName("out/") == "");
  CHECK(sr::DirName("/media/fw/ic22-fw-5.4.3.bin") == "/media/fw");
  CHECK(sr::DirName("ic22-fw-5.4.3.bin") == ".");
}
