// The strict JSON reader builds google.protobuf.Struct itself (policy/json.cc):
// for every document protobuf's own JSON parser accepts, the Struct must be
// the same, so the gate sees exactly what it saw before.
#include "policy/json.h"

#include <doctest/doctest.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <filesystem>

#include "base/encoding.h"
#include "base/file.h"
#include "policy/dsse.h"

namespace sr::policy {
namespace {

namespace pb = google::protobuf;

void SameAsProtobuf(const std::string& text) {
  INFO(text.substr(0, 200));
  auto ours = ParseJsonObject(text, "doc");
  REQUIRE(ours.ok());
  pb::Struct theirs;
  REQUIRE(pb::util::JsonStringToMessage(text, &theirs).ok());
  CHECK(pb::util::MessageDifferencer::Equals(*ours, theirs));
}

TEST_CASE("json: the Struct built while validating equals protobuf's, for hand-made documents") {
  for (const char* doc : {
           R"({})",
           R"({"a": 1, "b": -2.5e3, "c": 0, "d": 1E-2, "e": 12345678901234567890})",
           R"({"s": "caf\u00e9 \ud83d\ude00 \" \\ \/ \b\f\n\r\t", "u": "日本"})",
           R"({"t": true, "f": false, "n": null, "l": [1, "x", [], {}, [null, true]]})",
           R"({"nested": {"deeper": {"deepest": [{"k": "v"}]}}, "e": ""})",
       }) {
    SameAsProtobuf(doc);
  }
}

TEST_CASE("json: the Struct built while validating equals protobuf's, for real attestations") {
  int n = 0;
  auto dir = std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/realworld";
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    std::string name = f.path().filename().string();
    if (!name.ends_with(".jsonl") && !name.ends_with(".slsa")) continue;
    std::string text = ReadFile(f.path().string()).value();
    std::string line = text.substr(0, text.find('\n'));
    SameAsProtobuf(line);  // the envelope or bundle
    auto env = ParseEnvelope(line, name);
    REQUIRE(env.ok());
    SameAsProtobuf(env->payload);  // the in-toto statement
    ++n;
  }
  CHECK(n >= 3);
}

TEST_CASE("json: what protobuf would silently accept is still refused, with the offset") {
  auto dup = ParseJsonObject(R"({"a": 1, "a": 2})", "doc");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.failure().reason == Reason::kInputDuplicateKey);
  auto trailing = ParseJsonObject(R"({"a": 1} x)", "doc");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.failure().reason == Reason::kInputBadJson);
  CHECK(trailing.failure().message.find("at byte 9") != std::string::npos);
  auto huge = ParseJsonObject(R"({"a": 1e999})", "doc");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.failure().message.find("out of range") != std::string::npos);
  CHECK_FALSE(ParseJsonObject("[1, 2]", "doc").ok());
  CHECK_FALSE(ParseJsonObject("", "doc").ok());
}

TEST_CASE("json: strings are read right whatever byte of an 8-byte block ends a plain run") {
  // The reader skips plain ASCII eight bytes at a time: put each character
  // that ends a run at every position of a string around those blocks.
  const std::vector<std::string> specials = {"\\\"", "\\\\", "\\n", "\\u00e9", "\xc3\xa9",
                                             "\xe6\x97\xa5", "\x7f", "~"};
  for (const std::string& sp : specials) {
    for (std::size_t at = 0; at <= 17; ++at) {
      std::string text = "{\"k\": \"" + std::string(at, 'a') + sp + std::string(20 - at, 'b') + "\"}";
      SameAsProtobuf(text);
    }
  }
  // A raw control character is refused at its own offset, wherever it is.
  for (std::size_t at = 0; at <= 17; ++at) {
    std::string text = "{\"k\": \"" + std::string(at, 'a') + "\x01" + std::string(20 - at, 'b') + "\"}";
    CAPTURE(at);
    auto r = ParseJsonObject(text, "doc");
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().message.find("control character in string at byte " +
                                   std::to_string(7 + at)) != std::string::npos);
    CHECK_FALSE(CheckStrictJson(text, "doc").ok());
  }
  // An unterminated string ending mid-block.
  for (std::size_t n = 0; n <= 17; ++n)
    CHECK_FALSE(ParseJsonObject("{\"k\": \"" + std::string(n, 'a'), "doc").ok());
}

TEST_CASE("json: a duplicate key is refused when building the Struct and when only checking") {
  const std::string doc = R"({"subject": [{"name": "a", "digest": {"sha256": "x", "sha256": "y"}}]})";
  auto built = ParseJsonObject(doc, "doc");
  REQUIRE_FALSE(built.ok());
  CHECK(built.failure().reason == Reason::kInputDuplicateKey);
  CHECK(built.failure().message.find("duplicate key \"sha256\" at byte 53") != std::string::npos);
  auto checked = CheckStrictJson(doc, "doc");
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.failure().reason == Reason::kInputDuplicateKey);
  CHECK(checked.failure().message == built.failure().message);
}

}  // namespace
}  // namespace sr::policy
