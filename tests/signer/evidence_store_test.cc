#include "signer/evidence_store.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/hash.h"
#include "tests/testing/temp_dir.h"

namespace {
using sr::testing::TempDir;
}  // namespace

TEST_CASE("evidence store: objects are named by their digest and read back intact") {
  TempDir tmp("sr-evidence");
  auto store = sr::signer::EvidenceStore::Open(sr::JoinPath(tmp.path(), "evidence"));
  REQUIRE(store.ok());
  auto name = store->Put("{\"approval\":1}");
  REQUIRE(name.ok());
  CHECK(*name == sr::Sha256Hex("{\"approval\":1}"));
  CHECK(store->Get(*name).value() == "{\"approval\":1}");
  SUBCASE("storing the same bytes again is a no-op") {
    CHECK(store->Put("{\"approval\":1}").value() == *name);
  }
}

TEST_CASE("evidence store: an altered object is reported, never served or overwritten") {
  TempDir tmp("sr-evidence");
  auto store = sr::signer::EvidenceStore::Open(sr::JoinPath(tmp.path(), "evidence"));
  REQUIRE(store.ok());
  std::string name = store->Put("original").value();
  std::string path = sr::JoinPath(store->dir(), name);
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  REQUIRE(sr::WriteFileAtomic(path, "tampered").ok());
  auto got = store->Get(name);
  CHECK(got.status().code() == sr::Code::kDataLoss);
  CHECK(store->Put("original").status().code() == sr::Code::kDataLoss);
  CHECK(store->Get("../etc/passwd").status().code() == sr::Code::kInvalidArgument);
}
