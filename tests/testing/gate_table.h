// Shared helpers of the table-driven gate tests (tests/policy/gate_test.cc,
// gate_input_test.cc; tests/signer/sign_refusal_test.cc).
#ifndef STRONGROOM_TESTS_TESTING_GATE_TABLE_H_
#define STRONGROOM_TESTS_TESTING_GATE_TABLE_H_

#include <doctest/doctest.h>

#include <functional>
#include <set>

#include "tests/testing/policy_fixtures.h"

namespace sr::testing {

using policy::Envelope;
using policy::GateInputs;

// Parses an envelope, lets fn edit it, re-serializes it (signatures untouched).
inline void Retouch(std::string* text, const std::function<void(Envelope&)>& fn) {
  auto env = policy::ParseEnvelope(*text, "test");
  REQUIRE(env.ok());
  fn(env.value());
  *text = policy::SerializeEnvelope(env.value());
}

inline std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

struct Case {
  const char* name;
  std::function<void(World&)> change;
  std::set<std::string> reasons;
};

inline KeyRing& K() { return Keys(); }

inline std::set<std::string> Names(const policy::Decision& d) {
  auto v = d.ReasonNames();
  return {v.begin(), v.end()};
}

inline std::string Describe(const policy::Decision& d) {
  std::string out;
  for (const auto& f : d.failures) out += "\n  " + policy::FormatFailure(f);
  return out;
}

inline void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SUBCASE(c.name) {
      World w;
      c.change(w);
      policy::Decision d = w.Evaluate();
      INFO("case: ", c.name, Describe(d));
      CHECK_FALSE(d.allowed());
      CHECK(Names(d) == c.reasons);
      for (const auto& f : d.failures) CHECK_FALSE(f.message.empty());
    }
  }
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_GATE_TABLE_H_
