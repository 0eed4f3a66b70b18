// `make demo` is part of the product: the firmware 5.4.3 ceremony must keep
// running end to end and tell the story of the seed (refused with the
// regional configuration in scope, signed with it excluded, verified).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

TEST_CASE("demo: make demo runs the firmware 5.4.3 ceremony end to end in under a minute") {
  std::string build = STRONGROOM_BINARY;
  build = build.substr(0, build.rfind("/cli/"));
  std::string cmd =
      "'" + std::string(STRONGROOM_SOURCE_DIR) + "/scripts/demo.sh' '" + build + "' 2>&1";
  auto t0 = std::chrono::steady_clock::now();
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(seconds < 60);
  auto has = [&](const char* s) { return out.find(s) != std::string::npos; };
  // Keys of all four algorithms prove possession to openssl.
  auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (auto at = out.find(s); at != std::string::npos; at = out.find(s, at + 1)) ++n;
    return n;
  };
  // openssl dgst: P-256, P-384, RSA-PSS proofs and the boot loader's check;
  // openssl pkeyutl: the Ed25519 proofs (a demo key and the log key).
  CHECK(count("Verified OK") == 4);
  CHECK(count("Signature Verified Successfully") == 2);
  CHECK(has("KEY_GENERATED          6"));
  // The refusal names the untested configuration and the missing test.
  CHECK(has("REFUSED IC-22 5.4.3"));
  CHECK(has("EVIDENCE_REQUIRED_MISSING"));
  CHECK(has("configuration \"regional\" is in scope but has no passing \"recovery\""));
  // The seed's approval is signed, verified by strongroom and by openssl.
  CHECK(has("SIGNED IC-22 5.4.3"));
  CHECK(has("verified: IC-22 5.4.3 is signed by an authorized key"));
  CHECK(has("Verified OK"));
  CHECK(has("VERSION_NOT_ABOVE_LAST_SIGNED"));
  CHECK(has("log verified: strongroom/"));
  CHECK(has("SIGNING                1"));
  CHECK(has("REFUSAL                2"));
}

}  // namespace
