// release::KeyFileSigner: a private key file of a person or system outside the
// station (release/key_file.h).
#include "release/key_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "base/file.h"
#include "tests/testing/files.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

TEST_CASE("key file: a public key, a garbage file or a symbolic link is refused as a private key") {
  auto pub = KeyFileSigner::FromPem(SecretBytes{'x', 'y'});
  CHECK_FALSE(pub.ok());
  auto a = NewKey("ec256");
  std::string pem = a->Public().pem();
  CHECK_FALSE(KeyFileSigner::FromPem(SecretBytes(pem.begin(), pem.end())).ok());
  TempDir tmp("sr-keyfile");
  const std::string& dir = tmp.path();
  SecretBytes key = NewKeyPem("ed25519");
  REQUIRE(WriteFileAtomic(dir + "/k.pem", AsText(key), 0600).ok());
  REQUIRE(symlink((dir + "/k.pem").c_str(), (dir + "/link.pem").c_str()) == 0);
  CHECK(KeyFileSigner::FromFile(dir + "/k.pem").ok());
  CHECK_FALSE(KeyFileSigner::FromFile(dir + "/link.pem").ok());
}

}  // namespace
}  // namespace sr::testing
