// RFC 6962 / RFC 9162 (and subtree) proof vectors from tests/testdata/merkle,
// read by one data-driven runner, plus round trips of our proof generator.
#include "log/merkle.h"

#include <doctest/doctest.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <map>

#include "base/encoding.h"
#include "base/file.h"

namespace sr::log {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Struct;
using google::protobuf::Value;

// The vector's verdict: OK only if every field decodes and the proof verifies.
// Integers are read from the raw text: JSON numbers up to 2^64-1 do not fit
// a double exactly.
std::uint64_t RawNumber(const std::string& text, const std::string& key) {
  std::size_t p = text.find("\"" + key + "\":");
  REQUIRE_MESSAGE(p != std::string::npos, key);
  p = text.find_first_not_of(" ", p + key.size() + 3);
  return std::stoull(text.substr(p));
}

Status RunVector(const std::string& kind, const std::string& text, const Struct& v) {
  auto num = [&](const char* k) { return RawNumber(text, k); };
  auto b64 = [&](const char* k) { return Base64Decode(v.fields().at(k).string_value(), k); };
  std::vector<std::string> proof;
  const Value& p = v.fields().at("proof");
  if (p.has_list_value()) {
    for (const Value& e : p.list_value().values()) {
      SR_ASSIGN_OR_RETURN(std::string h, Base64Decode(e.string_value(), "proof"));
      proof.push_back(std::move(h));
    }
  }
  if (kind == "inclusion" || kind == "subtreeinclusion") {
    SR_ASSIGN_OR_RETURN(std::string root, b64("root"));
    SR_ASSIGN_OR_RETURN(std::string leaf, b64("leafHash"));
    if (kind == "inclusion")
      return VerifyInclusion(num("leafIdx"), num("treeSize"), leaf, proof, root);
    return VerifySubtreeInclusion(num("leafIdx"), num("start"), num("end"), leaf, proof, root);
  }
  SR_ASSIGN_OR_RETURN(std::string root1, b64("root1"));
  SR_ASSIGN_OR_RETURN(std::string root2, b64("root2"));
  if (kind == "consistency")
    return VerifyConsistency(num("size1"), num("size2"), proof, root1, root2);
  return VerifySubtreeConsistency(num("start"), num("end"), num("size"), proof, root1, root2);
}

TEST_CASE("merkle: every public inclusion and consistency vector gives its expected verdict") {
  const fs::path root = fs::path(STRONGROOM_SOURCE_DIR) / "tests" / "testdata" / "merkle";
  std::map<std::string, int> counts;
  int happy = 0, rejected = 0;
  for (const char* kind : {"inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / kind)) {
      if (e.path().extension() != ".json") continue;
      auto text = ReadFile(e.path().string());
      REQUIRE(text.ok());
      Struct v;
      REQUIRE_MESSAGE(google::protobuf::util::JsonStringToMessage(*text, &v).ok(), e.path());
      bool want_err = v.fields().at("wantErr").bool_value();
      Status got = RunVector(kind, *text, v);
      CHECK_MESSAGE(got.ok() == !want_err, e.path().string(),
                    " desc=", v.fields().at("desc").string_value(), " got=", got.ToString());
      ++counts[kind];
      (want_err ? rejected : happy)++;
    }
  }
  CHECK(counts["inclusion"] > 50);
  CHECK(counts["consistency"] > 50);
  CHECK(counts["subtreeinclusion"] > 50);
  CHECK(counts["subtreeconsistency"] > 50);
  CHECK(happy > 10);
  CHECK(rejected > 100);
}

std::vector<std::string> Leaves(std::uint64_t n) {
  std::vector<std::string> v;
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(HashLeaf("leaf " + std::to_string(i)));
  return v;
}

TEST_CASE("merkle: generated inclusion and consistency proofs verify for every size up to 70") {
  for (std::uint64_t n = 1; n <= 70; ++n) {
    MemoryNodeSource src(Leaves(n));
    auto root = RangeHash(src, 0, n);
    REQUIRE(root.ok());
    Frontier f;
    for (const auto& l : Leaves(n)) f.Append(l);
    CHECK(f.Root() == *root);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto p = InclusionProof(src, i, n);
      REQUIRE(p.ok());
      CHECK(VerifyInclusion(i, n, HashLeaf("leaf " + std::to_string(i)), *p, *root).ok());
      CHECK_FALSE(VerifyInclusion(i, n, HashLeaf("other"), *p, *root).ok());
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      MemoryNodeSource old(Leaves(m));
      auto old_root = RangeHash(old, 0, m);
      auto p = ConsistencyProof(src, m, n);
      REQUIRE(p.ok());
      CHECK(VerifyConsistency(m, n, *p, *old_root, *root).ok());
      if (!p->empty()) {
        auto bad = *p;
        bad.back()[0] ^= 1;
        CHECK_FALSE(VerifyConsistency(m, n, bad, *old_root, *root).ok());
      }
    }
  }
}

TEST_CASE("merkle: the empty tree's root is SHA-256 of nothing and a frontier restores") {
  CHECK(HexEncode(EmptyRoot()) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Frontier a;
  for (const auto& l : Leaves(13)) a.Append(l);
  Frontier b(a.size(), a.roots());
  a.Append(HashLeaf("x"));
  b.Append(HashLeaf("x"));
  CHECK(a.Root() == b.Root());
}

}  // namespace
}  // namespace sr::log
