// DSSE interoperability with an independent implementation: @sigstore/core's
// preAuthEncoding + node:crypto (tests/interop/node/dsse.js). Envelopes it
// signs verify here, and envelopes we sign verify there, for ECDSA P-256,
// P-384 and Ed25519.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "base/file.h"
#include "tests/policy/fixtures.h"

namespace sr::testing {
namespace {

const std::string kNodeDir = std::string(STRONGROOM_SOURCE_DIR) + "/tests/interop/node";

// Runs a shell command; returns its exit status and stdout.
int Run(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sr-interop-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
};

void Write(const std::string& path, std::string_view data) {
  REQUIRE(WriteFileAtomic(path, data, 0600).ok());
}

TEST_CASE("interop: @sigstore/core is installed for the DSSE interoperability test") {
  REQUIRE_MESSAGE(PathExists(kNodeDir + "/node_modules/@sigstore/core/package.json"),
                  "run scripts/install-deps (npm ci in tests/interop/node)");
}

TEST_CASE(
    "interop: envelopes signed by @sigstore/core + node:crypto verify in strongroom and back") {
  if (!PathExists(kNodeDir + "/node_modules/@sigstore/core/package.json"))
    return;  // reported above
  for (const char* kind : {"ec256", "ec384", "ed25519"}) {
    SUBCASE(kind) {
      TempDir dir;
      SecretBytes pem = NewKeyPem(kind);
      Write(dir.File("key.pem"),
            std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()));
      auto signer = KeyFileSigner::FromPem(pem);
      REQUIRE(signer.ok());
      Write(dir.File("pub.pem"), signer.value()->Public().pem());
      // UTF-8 in the payload: PAE lengths must be in bytes on both sides. The
      // type stays ASCII: @sigstore/core 2.0 counts payloadType in UTF-16 units
      // and encodes it as latin1, which departs from DSSE for non-ASCII types
      // (strongroom counts bytes, as the spec requires; see docs/policy.md).
      const std::string type = "application/vnd.strongroom.test+json";
      const std::string payload = "{\"caf\xC3\xA9\":\"\xE2\x82\xAC 5.4.3\"}";
      Write(dir.File("payload"), payload);

      std::string out;
      int rc = Run("cd '" + kNodeDir + "' && node dsse.js sign '" + dir.File("key.pem") + "' '" +
                       type + "' '" + dir.File("payload") + "'",
                   &out);
      REQUIRE(rc == 0);
      auto env = policy::ParseEnvelope(out, "node envelope");
      REQUIRE(env.ok());
      CHECK(env->payload == payload);
      CHECK(policy::VerifySignatures(env.value(), {signer.value()->Public()}).accepted.size() == 1);
      env.value().payload += " ";
      CHECK(policy::VerifySignatures(env.value(), {signer.value()->Public()}).accepted.empty());

      policy::Envelope ours{type, payload, {}, false};
      REQUIRE(policy::AddSignature(&ours, *signer.value()).ok());
      Write(dir.File("ours.json"), policy::SerializeEnvelope(ours));
      std::string verdict;
      CHECK(Run("cd '" + kNodeDir + "' && node dsse.js verify '" + dir.File("pub.pem") + "' '" +
                    dir.File("ours.json") + "'",
                &verdict) == 0);
      ours.payload = "tampered";
      Write(dir.File("bad.json"), policy::SerializeEnvelope(ours));
      verdict.clear();
      CHECK(Run("cd '" + kNodeDir + "' && node dsse.js verify '" + dir.File("pub.pem") + "' '" +
                    dir.File("bad.json") + "'",
                &verdict) == 1);
    }
  }
}

}  // namespace
}  // namespace sr::testing
