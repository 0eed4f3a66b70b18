// OutputStaging: files created empty, filled only by Commit, the directory
// appearing whole under its name or not at all.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "signer/release_outputs.h"

namespace sr::signer {
namespace {

namespace fs = std::filesystem;

std::string NewDir() {
  char tmpl[] = "/tmp/sr-staging-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

int StagingDirs(const std::string& root) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(root))
    n += e.path().filename().string().find(".partial.") != std::string::npos;
  return n;
}

TEST_CASE("OutputStaging: empty files until Commit, then the directory appears whole") {
  std::string root = NewDir();
  std::string out = root + "/out";
  std::vector<std::string> names = OutputNames({"a.bin", "b.bin"});
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
  fs::remove_all(root);
}

TEST_CASE("OutputStaging: dropped or refused, nothing stays behind") {
  std::string root = NewDir();
  std::string out = root + "/out";
  {
    auto st = OutputStaging::Create(out, OutputNames({"a.bin"}));
    REQUIRE(st.ok());
    CHECK(StagingDirs(root) == 1);
  }  // never committed (the signing was not logged): removed
  CHECK(StagingDirs(root) == 0);
  CHECK_FALSE(PathExists(out));

  auto st = OutputStaging::Create(out, OutputNames({"a.bin"}));
  REQUIRE(st.ok());
  // Files other than those prepared are refused, and nothing is moved.
  Status s = (*st)->Commit({{"other.sig", "x"}}, nullptr);
  CHECK_FALSE(s.ok());
  // ... and so is a file given twice in place of another.
  std::vector<OutputFile> twice;
  for (const std::string& n : OutputNames({"a.bin"})) twice.push_back({n, "x"});
  twice[1] = twice[0];
  CHECK_FALSE((*st)->Commit(twice, nullptr).ok());
  CHECK_FALSE(PathExists(out));
  st.value().reset();
  CHECK(StagingDirs(root) == 0);

  // A taken output directory is refused before anything is created.
  REQUIRE(MakeDirs(out).ok());
  REQUIRE(WriteFileAtomic(out + "/old", "x").ok());
  auto taken = OutputStaging::Create(out, OutputNames({"a.bin"}));
  CHECK(taken.status().code() == Code::kAlreadyExists);
  CHECK(StagingDirs(root) == 0);
  fs::remove_all(root);
}

}  // namespace
}  // namespace sr::signer
