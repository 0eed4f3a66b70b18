// `strongroom keyless verify` through the binary: a real bundle verified
// offline with its identity printed (text and --json), and refusals with
// their reason code and exit code.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/run.h"
#include "tests/testing/sigstore_fixtures.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

std::string Data(const std::string& name) { return "'" + SigstoreData(name) + "'"; }

std::string Verify(const RealBundle& b, const std::string& ref, const std::string& more = "") {
  return std::string("'") + STRONGROOM_BINARY + "' keyless verify " + Data(b.file) +
         " --trusted-root " + Data("sigstore/trusted_root.json") + " --issuer " + kGithubIssuer +
         " --workflow " + b.workflow + " --allowed-ref '" + ref + "'" + more;
}

TEST_CASE("keyless verify: a real bundle verifies offline and its identity is printed") {
  for (const RealBundle& b : RealBundles()) {
    SUBCASE(b.file) {
      CmdResult r = Run(Verify(b, b.ref));
      INFO(r.out);
      CHECK(r.rc == 0);
      CHECK(r.out.find("VERIFIED") != std::string::npos);
      CHECK(r.out.find(std::string(b.workflow) + "@" + b.ref) != std::string::npos);
      CHECK(r.out.find(b.source_repository) != std::string::npos);
      CmdResult j = Run(Verify(b, "refs/tags/*", " --json"));
      REQUIRE(j.rc == 0);
      auto doc = nlohmann::json::parse(j.out);
      CHECK(doc["verified"] == true);
      CHECK(doc["issuer"] == kGithubIssuer);
      CHECK(doc["source_repository"] == b.source_repository);
      CHECK(doc["rekor_log_index"].get<std::int64_t>() > 0);
    }
  }
}

TEST_CASE("keyless verify: refusals name their reason; exit 1, 3 or 4") {
  const RealBundle& b = RealBundles()[0];
  CmdResult wrong_ref = Run(Verify(b, "refs/heads/main"));
  CHECK(wrong_ref.rc == 1);
  CHECK(wrong_ref.out.find("CERT_IDENTITY_MISMATCH") != std::string::npos);
  CmdResult j = Run(Verify(b, "refs/heads/main", " --json") + " 2>/dev/null");
  CHECK(j.rc == 1);
  auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["reason"] == "CERT_IDENTITY_MISMATCH");

  RealBundle plain = b;
  plain.file = "realworld/gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl";
  CmdResult p = Run(Verify(plain, "*"));
  CHECK(p.rc == 1);
  CHECK(p.out.find("TLOG_ENTRY_MISSING") != std::string::npos);

  TempDir tmp;
  std::string bad = tmp.path() + "/bad.json";
  REQUIRE(WriteFileAtomic(bad, "{\"mediaType\":").ok());
  CmdResult m = Run(std::string("'") + STRONGROOM_BINARY + "' keyless verify '" + bad +
                    "' --trusted-root " + Data("sigstore/trusted_root.json") + " --issuer " +
                    kGithubIssuer + " --workflow " + b.workflow + " --allowed-ref x");
  CHECK(m.rc == 3);
  CHECK(m.out.find("INPUT_BAD_JSON") != std::string::npos);
  CmdResult missing =
      Run(std::string("'") + STRONGROOM_BINARY + "' keyless verify '" + tmp.path() +
          "/none.json' --trusted-root " + Data("sigstore/trusted_root.json") + " --issuer " +
          kGithubIssuer + " --workflow " + b.workflow + " --allowed-ref x");
  CHECK(missing.rc == 4);
  CmdResult help = Run(std::string("'") + STRONGROOM_BINARY + "' keyless verify --help");
  CHECK(help.rc == 0);
  CHECK(help.out.find("--trusted-root") != std::string::npos);
}

}  // namespace
}  // namespace sr::testing
