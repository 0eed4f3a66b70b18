// DSSE interoperability with an independent implementation: @sigstore/core's
// preAuthEncoding + node:crypto (tests/interop/node/dsse.js). Envelopes it
// signs verify here, and envelopes we sign verify there, for ECDSA P-256,
// P-384 and Ed25519.
#include <doctest/doctest.h>

#include "base/file.h"
#include "tests/testing/files.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

const std::string kNodeDir = std::string(STRONGROOM_SOURCE_DIR) + "/tests/interop/node";

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
      TempDir dir("sr-interop");
      SecretBytes pem = NewKeyPem(kind);
      WriteAll(dir.Sub("key.pem"), AsText(pem));
      auto signer = KeyFileSigner::FromPem(pem);
      REQUIRE(signer.ok());
      WriteAll(dir.Sub("pub.pem"), signer.value()->Public().pem());
      // UTF-8 in the payload: PAE lengths must be in bytes on both sides. The
      // type stays ASCII: @sigstore/core 2.0 counts payloadType in UTF-16 units
      // and encodes it as latin1, which departs from DSSE for non-ASCII types
      // (strongroom counts bytes, as the spec requires; see docs/policy.md).
      const std::string type = "application/vnd.strongroom.test+json";
      const std::string payload = "{\"caf\xC3\xA9\":\"\xE2\x82\xAC 5.4.3\"}";
      WriteAll(dir.Sub("payload"), payload);

      CmdResult signed_by_node =
          Run("cd '" + kNodeDir + "' && node dsse.js sign '" + dir.Sub("key.pem") + "' '" + type +
                  "' '" + dir.Sub("payload") + "'",
              dir.Sub("stderr"));
      REQUIRE_MESSAGE(signed_by_node.rc == 0, signed_by_node.err);
      auto env = policy::ParseEnvelope(signed_by_node.out, "node envelope");
      REQUIRE(env.ok());
      CHECK(env->payload == payload);
      CHECK(policy::VerifySignatures(env.value(), {signer.value()->Public()}).accepted.size() == 1);
      env.value().payload += " ";
      CHECK(policy::VerifySignatures(env.value(), {signer.value()->Public()}).accepted.empty());

      policy::Envelope ours{type, payload, {}, false};
      REQUIRE(policy::AddSignature(&ours, *signer.value()).ok());
      WriteAll(dir.Sub("ours.json"), policy::SerializeEnvelope(ours));
      CHECK(Run("cd '" + kNodeDir + "' && node dsse.js verify '" + dir.Sub("pub.pem") + "' '" +
                    dir.Sub("ours.json") + "'",
                dir.Sub("stderr"))
                .rc == 0);
      ours.payload = "tampered";
      WriteAll(dir.Sub("bad.json"), policy::SerializeEnvelope(ours));
      CHECK(Run("cd '" + kNodeDir + "' && node dsse.js verify '" + dir.Sub("pub.pem") + "' '" +
                    dir.Sub("bad.json") + "'",
                dir.Sub("stderr"))
                .rc == 1);
    }
  }
}

}  // namespace
}  // namespace sr::testing
