// A fresh directory for one test (or fixture), removed with everything in it
// when the object goes. The one TempDir of the suite.
#ifndef STRONGROOM_TESTS_TESTING_TEMP_DIR_H_
#define STRONGROOM_TESTS_TESTING_TEMP_DIR_H_

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace sr::testing {

class TempDir {
 public:
  // A new directory <temp>/<prefix>-XXXXXX (<temp>: $TMPDIR, else /tmp).
  explicit TempDir(std::string_view prefix = "sr-test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    REQUIRE_MESSAGE(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp ", tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (name may hold further slashes).
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_TEMP_DIR_H_
