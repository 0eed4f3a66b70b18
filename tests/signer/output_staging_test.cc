// OutputStaging: files created empty, filled only by Commit, the directory
// appearing whole under its name or not at all.
#include "signer/output_staging.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/file.h"
#include "release/outputs.h"
#include "tests/testing/temp_dir.h"

namespace sr::signer {
namespace {

namespace fs = std::filesystem;

using sr::testing::TempDir;

int StagingDirs(const std::string& root) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(root))
    n += e.path().filename().string().find(".partial.") != std::string::npos;
  return n;
}

TEST_CASE("OutputStaging: empty files until Commit, then the directory appears whole") {
  TempDir tmp("sr-staging");
  const std::string& root = tmp.path();
  std::string out = root + "/out";
  std::vector<std::string> names = release::OutputNames({"a.bin", "b.bin"});
  CHECK(names == std::vector<std::string>{"manifest.dsse.json", "a.bin.sig", "b.bin.sig",
                                          "signing-event.tlog-proof", "vsa.dsse.json",
                                          "signing-key.pem", "station-attestation.pem"});
  auto st = OutputStaging::Create(out, names);
  REQUIRE(st.ok());
  CHECK_FALSE(PathExists(out));
  REQUIRE(StagingDirs(root) == 1);
  for (const auto& e : fs::directory_iterator(root))
    for (const auto& f : fs::directory_iterator(e.path())) CHECK(fs::file_size(f.path()) == 0);
  std::vector<OutputFile> files;
  for (const std::string& n : names) files.push_back({n, "bytes of " + n});
  int first = 0;
  REQUIRE((*st)->Commit(files, [&] { ++first; }).ok());
  CHECK(first == 1);
  CHECK(StagingDirs(root) == 0);
  for (const std::string& n : names) {
    CHECK(ReadFile(out + "/" + n).value() == "bytes of " + n);
    struct stat sb;
    REQUIRE(::stat((out + "/" + n).c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0644);
  }
  st.value().reset();  // committed: nothing removed
  CHECK(PathExists(out + "/a.bin.sig"));
}

TEST_CASE("OutputStaging: every output is 0644 whatever the umask, restrictive or not") {
  for (mode_t mask : {mode_t{022}, mode_t{077}, mode_t{0}}) {
    CAPTURE(mask);
    TempDir tmp("sr-staging");
    std::string out = tmp.path() + "/out";
    std::vector<std::string> names = release::OutputNames({"a.bin", "b.bin", "c.bin"});
    const mode_t old = ::umask(mask);
    auto st = OutputStaging::Create(out, names);
    ::umask(old);
    REQUIRE(st.ok());
    std::vector<OutputFile> files;
    for (const std::string& n : names) files.push_back({n, n});
    REQUIRE((*st)->Commit(files, nullptr).ok());
    for (const std::string& n : names) {
      CAPTURE(n);
      struct stat sb;
      REQUIRE(::stat((out + "/" + n).c_str(), &sb) == 0);
      CHECK((sb.st_mode & 07777) == 0644);
    }
  }
}

TEST_CASE("OutputStaging: dropped or refused, nothing stays behind") {
  TempDir tmp("sr-staging");
  const std::string& root = tmp.path();
  std::string out = root + "/out";
  {
    auto st = OutputStaging::Create(out, release::OutputNames({"a.bin"}));
    REQUIRE(st.ok());
    CHECK(StagingDirs(root) == 1);
  }  // never committed (the signing was not logged): removed
  CHECK(StagingDirs(root) == 0);
  CHECK_FALSE(PathExists(out));

  auto st = OutputStaging::Create(out, release::OutputNames({"a.bin"}));
  REQUIRE(st.ok());
  // Files other than those prepared are refused, and nothing is moved.
  Status s = (*st)->Commit({{"other.sig", "x"}}, nullptr);
  CHECK_FALSE(s.ok());
  // ... and so is a file given twice in place of another.
  std::vector<OutputFile> twice;
  for (const std::string& n : release::OutputNames({"a.bin"})) twice.push_back({n, "x"});
  twice[1] = twice[0];
  CHECK_FALSE((*st)->Commit(twice, nullptr).ok());
  CHECK_FALSE(PathExists(out));
  st.value().reset();
  CHECK(StagingDirs(root) == 0);

  // A taken output directory is refused before anything is created.
  REQUIRE(MakeDirs(out).ok());
  REQUIRE(WriteFileAtomic(out + "/old", "x").ok());
  auto taken = OutputStaging::Create(out, release::OutputNames({"a.bin"}));
  CHECK(taken.status().code() == Code::kAlreadyExists);
  CHECK(StagingDirs(root) == 0);
}

TEST_CASE("OutputStaging: a release of many artifacts is written whole, or not moved at all") {
  TempDir tmp("sr-staging");
  const std::string& root = tmp.path();
  std::string out = root + "/out";
  std::vector<std::string> artifacts;
  for (int i = 0; i < 300; ++i) artifacts.push_back("part-" + std::to_string(i) + ".bin");
  std::vector<std::string> names = release::OutputNames(artifacts);
  std::vector<OutputFile> files;
  for (const std::string& n : names) files.push_back({n, "signature of " + n});
  {
    auto st = OutputStaging::Create(out, names);
    REQUIRE(st.ok());
    int first = 0;
    REQUIRE((*st)->Commit(files, [&] { ++first; }).ok());
    CHECK(first == 1);
  }
  std::size_t seen = 0;
  for (const auto& f : fs::directory_iterator(out)) {
    ++seen;
    CHECK(ReadFile(f.path().string()).value() == "signature of " + f.path().filename().string());
  }
  CHECK(seen == names.size());

  // One prepared file that cannot be opened (here a symbolic link put in its
  // place, which O_NOFOLLOW refuses) fails the commit with its path,
  // wherever it is in the list; the outputs are not moved into place and the
  // staging is removed.
  std::string out2 = root + "/out2";
  auto st = OutputStaging::Create(out2, names);
  REQUIRE(st.ok());
  std::string staging;
  for (const auto& e : fs::directory_iterator(root))
    if (e.path().filename().string().find(".partial.") != std::string::npos)
      staging = e.path().string();
  REQUIRE_FALSE(staging.empty());
  fs::remove(staging + "/part-201.bin.sig");
  fs::create_symlink(root + "/elsewhere", staging + "/part-201.bin.sig");
  Status s = (*st)->Commit(files, nullptr);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("part-201.bin.sig") != std::string::npos);
  CHECK_FALSE(PathExists(out2));
  CHECK_FALSE(PathExists(root + "/elsewhere"));  // nothing written through the link
  st.value().reset();
  CHECK(StagingDirs(root) == 0);

  // Two such files, one in each half of the list (the halves are filled on
  // two threads): the error names the one that comes first in the list.
  std::string out3 = root + "/out3";
  auto st3 = OutputStaging::Create(out3, names);
  REQUIRE(st3.ok());
  staging.clear();
  for (const auto& e : fs::directory_iterator(root))
    if (e.path().filename().string().find(".partial.") != std::string::npos)
      staging = e.path().string();
  REQUIRE_FALSE(staging.empty());
  for (const char* victim : {"part-20.bin.sig", "part-280.bin.sig"}) {
    fs::remove(staging + "/" + victim);
    fs::create_symlink(root + "/elsewhere", staging + "/" + victim);
  }
  Status s3 = (*st3)->Commit(files, nullptr);
  REQUIRE_FALSE(s3.ok());
  CHECK(s3.message().find("part-20.bin.sig") != std::string::npos);
  CHECK_FALSE(PathExists(out3));
  CHECK_FALSE(PathExists(root + "/elsewhere"));
  st3.value().reset();
  CHECK(StagingDirs(root) == 0);
}

}  // namespace
}  // namespace sr::signer
