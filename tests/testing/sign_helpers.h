// Helpers shared by the `strongroom sign` / `verify` end-to-end tests
// (sign_cli_test.cc, sign_refusal_test.cc, sign_verify_test.cc): what the
// command line printed, what the log holds, and a release re-bound to
// another version. Builds on tests/testing/sign_station.h.
#ifndef STRONGROOM_TESTS_TESTING_SIGN_HELPERS_H_
#define STRONGROOM_TESTS_TESTING_SIGN_HELPERS_H_

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "policy/dsse.h"
#include "tests/testing/files.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {

using CodeAndInput = std::pair<std::string, std::string>;

inline std::string FileSha(const std::string& path) { return Sha256Hex(ReadAll(path)); }

// Replaces the first occurrence of from (which must be there).
inline std::string ReplaceOnce(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return s.replace(at, from.size(), to);
}

// The arguments of `strongroom sign` for one release with an explicit key.
inline std::string SignArgsWithKey(const SignStation& st, const Inputs& in, const std::string& out,
                                   const std::string& product, const std::string& version,
                                   const std::string& key) {
  std::string args = "--station " + st.station + " --product " + product + " --version " + version +
                     " --key " + key + " --out " + st.root + "/" + out + st.Pins();
  for (const auto& a : in.artifacts) args += " --artifact " + a;
  if (!in.approval.empty()) args += " --approval " + in.approval;
  if (!in.provenance.empty()) args += " --provenance " + in.provenance;
  for (const auto& e : in.evidence) args += " --evidence " + e;
  return args;
}

// The "  CODE (input): message" lines `strongroom sign` prints for a refusal.
// (Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized under ASan.)
inline std::set<CodeAndInput> StderrReasons(const std::string& err) {
  std::set<CodeAndInput> out;
  std::istringstream s(err);
  for (std::string l; std::getline(s, l);) {
    if (!l.starts_with("  ")) continue;
    std::size_t open = l.find(" (", 2), close = l.find("): ", 2);
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::string code = l.substr(2, open - 2);
    bool is_code = !code.empty() && code[0] >= 'A' && code[0] <= 'Z' &&
                   std::all_of(code.begin(), code.end(), [](char c) {
                     return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                   });
    if (is_code && close + 3 < l.size()) out.insert({code, l.substr(open + 2, close - open - 2)});
  }
  return out;
}

inline std::set<CodeAndInput> EventReasons(const strongroom::v1::RefusalEvent& r) {
  std::set<CodeAndInput> out;
  for (const auto& x : r.reasons()) out.insert({x.code(), x.input()});
  return out;
}

// The checks `strongroom verify` reports as FAILED on stderr: "check" or
// "check [artifact]".
inline std::set<std::string> FailedChecks(const std::string& err) {
  const std::string prefix = "  FAILED  ";
  std::set<std::string> out;
  std::istringstream s(err);
  for (std::string l; std::getline(s, l);) {
    if (!l.starts_with(prefix)) continue;
    std::size_t colon = l.find(": ", prefix.size());
    if (colon != std::string::npos) out.insert(l.substr(prefix.size(), colon - prefix.size()));
  }
  return out;
}

// Entries of dir whose name starts with prefix (e.g. a staging ".out.partial.").
inline std::vector<std::string> EntriesStartingWith(const std::string& dir,
                                                    const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  return out;
}

inline std::set<std::string> DirNames(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
}

// Re-binds the scenario to another version of IC-22: its own artifacts
// (ic22-fw-<build>.bin and .manifest, contents from SignStation::ContentOf;
// build defaults to the version), approval, provenance (tag v<version>) and
// evidence subjects.
inline void ForVersion(World& w, const std::string& version, const std::string& previous,
                       std::string build = "") {
  if (build.empty()) build = version;
  std::vector<policy::Artifact> arts;
  for (const char* ext : {".bin", ".manifest"}) {
    std::string name = "ic22-fw-" + build + ext;
    arts.push_back({name, Sha256Hex(SignStation::ContentOf(name))});
  }
  w.ForRelease(std::move(arts), version, previous);
}

// The payload of a DSSE envelope file.
inline std::string EnvelopePayload(const std::string& path) {
  auto env = policy::ParseEnvelope(ReadAll(path), "test");
  REQUIRE(env.ok());
  return env->payload;
}

}  // namespace sr::testing

// So that a failed comparison shows the values.
namespace doctest {
template <>
struct StringMaker<std::set<sr::testing::CodeAndInput>> {
  static String convert(const std::set<sr::testing::CodeAndInput>& s) {
    std::string out = "{";
    for (const auto& [a, b] : s) out += " " + a + " (" + b + ")";
    return (out + " }").c_str();
  }
};
template <>
struct StringMaker<std::set<std::string>> {
  static String convert(const std::set<std::string>& s) {
    std::string out = "{";
    for (const auto& a : s) out += " " + a;
    return (out + " }").c_str();
  }
};
template <>
struct StringMaker<std::map<std::string, int>> {
  static String convert(const std::map<std::string, int>& m) {
    std::string out = "{";
    for (const auto& [k, v] : m) out += " " + k + ":" + std::to_string(v);
    return (out + " }").c_str();
  }
};
}  // namespace doctest

#endif  // STRONGROOM_TESTS_TESTING_SIGN_HELPERS_H_
