// `strongroom --json audit replay` of a log, for the tests that forge or
// alter what a station wrote (audit replay, lifecycle records) and check
// which events fail which check.
#ifndef STRONGROOM_TESTS_TESTING_AUDIT_REPLAY_H_
#define STRONGROOM_TESTS_TESTING_AUDIT_REPLAY_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "tests/testing/run.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {

struct Replayed {
  CmdResult r;
  nlohmann::json j;
};

inline Replayed Replay(const SignStation& st, const std::string& log, const std::string& vkey_file,
                       const std::string& evidence, const std::string& extra = "") {
  CmdResult r = st.Sr("--json audit replay --log " + log + " --vkey " + vkey_file + " --evidence " +
                      evidence + extra);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.all());
  return {r, j};
}

// The failures as (index, check, digest).
inline std::set<std::tuple<std::uint64_t, std::string, std::string>> Failures(
    const nlohmann::json& j) {
  std::set<std::tuple<std::uint64_t, std::string, std::string>> out;
  for (const auto& f : j["failures"])
    out.insert({f["index"].get<std::uint64_t>(), f["check"], f["digest"]});
  return out;
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_AUDIT_REPLAY_H_
