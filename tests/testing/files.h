// Reading and writing whole files in tests: a failure stops the test case,
// naming the path.
#ifndef STRONGROOM_TESTS_TESTING_FILES_H_
#define STRONGROOM_TESTS_TESTING_FILES_H_

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/file.h"

namespace sr::testing {

// The whole file (up to 1 GiB).
inline std::string ReadAll(const std::string& path) {
  auto r = ReadFile(path, 1u << 30);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

// Replaces path with data (atomically, as the station writes).
inline void WriteAll(const std::string& path, std::string_view data, unsigned mode = 0600) {
  Status s = WriteFileAtomic(path, data, mode);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
}

// The bytes of a SecretBytes (a PEM private key), for writing to a file.
template <typename Bytes>
inline std::string_view AsText(const Bytes& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// cp -r from to.
inline void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_FILES_H_
