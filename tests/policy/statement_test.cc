// in-toto Statements as the gate reads them (policy/statement.cc): the
// subjects of a release of a thousand artifacts come out whole and in order,
// digests are lowered, and each malformed subject is named with its index.
#include "policy/statement.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "base/hash.h"
#include "policy/dsse.h"

namespace sr::policy {
namespace {

constexpr std::string_view kPredicate = "https://example.test/predicate/v1";

Envelope Env(std::string payload) {
  return Envelope{std::string(kInTotoPayloadType), std::move(payload), {}, false};
}

std::string Doc(const std::string& subjects) {
  return R"({"_type": "https://in-toto.io/Statement/v1", "subject": )" + subjects +
         R"(, "predicateType": ")" + std::string(kPredicate) +
         R"(", "predicate": {"product": "IC-22", "n": [1, 2]}})";
}

Checked<Statement> Parse(const std::string& payload) {
  return ParseStatement(Env(payload), "approval", {kPredicate});
}

TEST_CASE("statement: a thousand subjects come out whole, in order, with the predicate") {
  std::vector<Artifact> arts;
  for (int i = 0; i < 1000; ++i) {
    std::string name = "part-" + std::to_string(i) + ".bin";
    arts.push_back({name, Sha256Hex(name)});
  }
  auto st = Parse(StatementJson(arts, kPredicate, R"({"product": "IC-22"})"));
  REQUIRE(st.ok());
  REQUIRE(st.value().subjects.size() == 1000);
  for (std::size_t i = 0; i < arts.size(); ++i) {
    CHECK(st.value().subjects[i].name == arts[i].name);
    CHECK(st.value().subjects[i].digest.at("sha256") == arts[i].sha256);
  }
  CHECK(st.value().predicate.fields().at("product").string_value() == "IC-22");
  CHECK(st.value().predicate_type == kPredicate);
}

TEST_CASE("statement: hex digests are lowered, other digest kinds are kept as written") {
  std::string upper = "ABCDEF" + std::string(58, '0');
  auto st = Parse(Doc(R"([{"name": "a", "digest": {"sha256": ")" + upper +
                      R"(", "blake2b": "AbC"}}])"));
  REQUIRE(st.ok());
  CHECK(st.value().subjects[0].digest.at("sha256") == "abcdef" + std::string(58, '0'));
  CHECK(st.value().subjects[0].digest.at("blake2b") == "AbC");
  CHECK(st.value().predicate.fields().at("n").list_value().values_size() == 2);
}

TEST_CASE("statement: each malformed subject is refused with its index and what is wrong") {
  const std::string ok = R"({"name": "ok", "digest": {"sha256": ")" + std::string(64, 'a') + R"("}})";
  struct Case {
    std::string subjects;
    Reason reason;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[]", Reason::kInputBadField, "statement.subject must be a non-empty array"},
      {R"({"a": 1})", Reason::kInputBadField, "statement.subject must be a non-empty array"},
      {"[" + ok + R"(, "x"])", Reason::kInputBadField, "statement.subject[1] must be an object"},
      {"[" + ok + R"(, {"name": 7, "digest": {"sha256": "aa"}}])", Reason::kInputBadField,
       "statement.subject[1].name must be a string"},
      {R"([{"name": "a"}])", Reason::kInputMissingField,
       "statement.subject[0].digest is missing or empty"},
      {R"([{"name": "a", "digest": {}}])", Reason::kInputMissingField,
       "statement.subject[0].digest is missing or empty"},
      {R"([{"name": "a", "digest": "aa"}])", Reason::kInputBadField,
       "statement.subject[0].digest must be an object"},
      {R"([{"name": "a", "digest": {"sha256": 5}}])", Reason::kInputBadField,
       "statement.subject[0].digest.sha256 must be a string"},
      {"[" + ok + "," + ok + R"(, {"digest": {"sha256": ")" + std::string(63, 'a') + R"(g"}}])",
       Reason::kInputBadField, "statement.subject[2].digest.sha256 is not hex"},
      {R"([{"digest": {"sha256": ")" + std::string(62, 'a') + R"("}}])", Reason::kInputBadField,
       "statement.subject[0].digest.sha256 is not 64 hex digits"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.subjects);
    auto st = Parse(Doc(c.subjects));
    REQUIRE_FALSE(st.ok());
    CHECK(st.failure().reason == c.reason);
    CHECK(st.failure().input == "approval");
    CHECK(st.failure().message == c.message);
  }
}

}  // namespace
}  // namespace sr::policy
