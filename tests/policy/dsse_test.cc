// DSSE: the specification's test vector, PAE byte lengths, both base64
// alphabets, distinct-key threshold counting, Sigstore bundles.
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "base/encoding.h"
#include "base/spki.h"
#include "tests/testing/policy_fixtures.h"

namespace sr::testing {
namespace {

// The P-256 public key of the DSSE protocol spec's test vector (X, Y decimal).
policy::PublicKey SpecVectorKey() {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  BN_dec2bn(&x, "46950820868899156662930047687818585632848591499744589407958293238635476079160");
  BN_dec2bn(&y, "5640078356564379163099075877009565129882514886557779369047442380624545832820");
  unsigned char point[65] = {0x04};
  BN_bn2binpad(x, point + 1, 32);
  BN_bn2binpad(y, point + 33, 32);
  BN_free(x);
  BN_free(y);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  auto k = policy::PublicKey::FromEvp(pkey);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  REQUIRE(k.ok());
  return std::move(k).value();
}

constexpr const char* kSpecEnvelope =
    R"({"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]})";

TEST_CASE("dsse: PAE of the spec example is byte-exact") {
  CHECK(policy::PreAuthEncoding("http://example.com/HelloWorld", "hello world") ==
        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(policy::PreAuthEncoding("", "") == "DSSEv1 0  0 ");
}

TEST_CASE("dsse: PAE lengths count bytes, not characters") {
  // "é" is two bytes in UTF-8; "€" is three.
  CHECK(policy::PreAuthEncoding("t\xC3\xA9", "\xE2\x82\xAC") ==
        "DSSEv1 3 t\xC3\xA9 3 \xE2\x82\xAC");
}

TEST_CASE("dsse: the specification's test vector verifies, and fails when one byte changes") {
  auto env = policy::ParseEnvelope(kSpecEnvelope, "vector");
  REQUIRE(env.ok());
  CHECK(env->payload == "hello world");
  policy::PublicKey key = SpecVectorKey();
  auto r = policy::VerifySignatures(env.value(), {key});
  CHECK(r.accepted.size() == 1);
  env.value().payload = "hello world!";
  CHECK(policy::VerifySignatures(env.value(), {key}).accepted.empty());
}

TEST_CASE("dsse: a key counts once however many signatures or keyids it appears under") {
  auto a = NewKey("ec256");
  auto b = NewKey("ed25519");
  policy::Envelope env{"application/x-test", "body", {}, false};
  REQUIRE(policy::AddSignature(&env, *a).ok());
  env.signatures.push_back({"bogus", env.signatures[0].sig});
  env.signatures.push_back({b->KeyId(), env.signatures[0].sig});
  auto r = policy::VerifySignatures(env, {a->Public(), b->Public()});
  CHECK(r.accepted.size() == 1);
  CHECK(r.invalid == 0);
  REQUIRE(policy::AddSignature(&env, *b).ok());
  CHECK(policy::VerifySignatures(env, {a->Public(), b->Public()}).accepted.size() == 2);
  // The same key listed twice in the trusted set still counts once.
  CHECK(policy::VerifySignatures(env, {a->Public(), a->Public()}).accepted.size() == 1);
}

TEST_CASE("dsse: a wrong keyid hint does not stop a valid signature from verifying") {
  auto a = NewKey("ec384");
  policy::Envelope env{"application/x-test", "body", {}, false};
  REQUIRE(policy::AddSignature(&env, *a).ok());
  env.signatures[0].keyid = "not-the-key";
  CHECK(policy::VerifySignatures(env, {a->Public()}).accepted.size() == 1);
}

TEST_CASE("dsse: standard and URL-safe base64, padded or not, are both accepted") {
  std::string std_env = R"({"payloadType":"t","payload":"Pz8-","signatures":[{"sig":"+/8="}]})";
  std::string url_env = R"({"payloadType":"t","payload":"Pz8-","signatures":[{"sig":"-_8"}]})";
  auto a = policy::ParseEnvelope(std_env, "a");
  auto b = policy::ParseEnvelope(url_env, "b");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->signatures[0].sig == b->signatures[0].sig);
  CHECK(a->payload == std::string("??") + ">");
}

TEST_CASE("dsse: co-signing twice with one key does not add a second signature") {
  auto a = NewKey("ed25519");
  policy::Envelope env{"application/x-test", "body", {}, false};
  REQUIRE(policy::AddSignature(&env, *a).ok());
  REQUIRE(policy::AddSignature(&env, *a).ok());
  CHECK(env.signatures.size() == 1);
}

TEST_CASE("dsse: merging refuses envelopes over different payloads") {
  auto a = NewKey("ec256");
  auto b = NewKey("ec256");
  policy::Envelope x{"t", "one", {}, false}, y{"t", "two", {}, false}, z{"t", "one", {}, false};
  REQUIRE(policy::AddSignature(&x, *a).ok());
  REQUIRE(policy::AddSignature(&y, *b).ok());
  REQUIRE(policy::AddSignature(&z, *b).ok());
  CHECK_FALSE(policy::MergeSignatures(&x, y).ok());
  REQUIRE(policy::MergeSignatures(&x, z).ok());
  REQUIRE(policy::MergeSignatures(&x, z).ok());
  CHECK(x.signatures.size() == 2);
}

TEST_CASE("dsse: a serialized envelope parses back to the same bytes") {
  auto a = NewKey("ec256");
  policy::Envelope env{"application/vnd.in-toto+json", std::string("\x00\xff{}\n", 5), {}, false};
  REQUIRE(policy::AddSignature(&env, *a).ok());
  auto back = policy::ParseEnvelope(policy::SerializeEnvelope(env), "round trip");
  REQUIRE(back.ok());
  CHECK(back->payload == env.payload);
  CHECK(back->signatures[0].sig == env.signatures[0].sig);
  CHECK(back->signatures[0].keyid == a->KeyId());
}

TEST_CASE("dsse: an envelope with too many signatures is refused as too large") {
  std::string env = R"({"payloadType":"t","payload":"","signatures":[)";
  for (int i = 0; i < 40; ++i) env += std::string(i ? "," : "") + R"({"sig":"AA=="})";
  env += "]}";
  auto r = policy::ParseEnvelope(env, "many");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == policy::Reason::kInputTooLarge);
}

TEST_CASE("dsse: a bundle whose mediaType is not Sigstore's is refused") {
  auto r = policy::ParseEnvelope(R"({"mediaType":"x","dsseEnvelope":{}})", "bundle");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == policy::Reason::kInputBadField);
}

TEST_CASE(
    "dsse: every supported algorithm signs and verifies, and rejects another key's signature") {
  for (const char* kind : {"ec256", "ec384", "ed25519", "rsa"}) {
    SUBCASE(kind) {
      auto a = NewKey(kind);
      auto b = NewKey(kind);
      policy::Envelope env{"application/x-test", "payload", {}, false};
      REQUIRE(policy::AddSignature(&env, *a).ok());
      CHECK(policy::VerifySignatures(env, {a->Public()}).accepted.size() == 1);
      auto r = policy::VerifySignatures(env, {b->Public()});
      CHECK(r.accepted.empty());
      CHECK(r.unknown == 1);
    }
  }
}

}  // namespace
}  // namespace sr::testing

TEST_CASE("keys: a key's fingerprint does not depend on how its PEM encodes the EC point") {
  auto signer = sr::testing::NewKey("ec256");
  const sr::policy::PublicKey& k = signer->Public();
  // The same key with a compressed point (what `openssl ec -conv_form compressed` writes).
  EVP_PKEY* pkey = nullptr;
  {
    BIO* bio = BIO_new_mem_buf(k.pem().data(), static_cast<int>(k.pem().size()));
    pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  REQUIRE(pkey != nullptr);
  REQUIRE(EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                         OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED) == 1);
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(out, pkey) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string compressed(data, static_cast<std::size_t>(n));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  CHECK(compressed != k.pem());
  auto again = sr::policy::PublicKey::FromPem(compressed);
  REQUIRE(again.ok());
  CHECK(again->fingerprint() == k.fingerprint());
  // Either encoding verifies the key's signatures, and a signature counts once.
  sr::policy::Envelope env{"application/example", "payload", {}, false};
  REQUIRE(sr::policy::AddSignature(&env, *signer).ok());
  auto r = sr::policy::VerifySignatures(env, {k, *again});
  CHECK(r.accepted.size() == 1);
  // The fast path (fingerprint of the DER as given) agrees with re-encoding.
  for (const char* kind : {"ec256", "ec384", "ed25519", "rsa"}) {
    auto s = sr::testing::NewKey(kind);
    const std::string& pem = s->Public().pem();
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* p = PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(p, &der);
    std::string d(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    EVP_PKEY_free(p);
    CHECK_MESSAGE(sr::policy::PublicKey::FromPem(pem)->fingerprint() == sr::Sha256Hex(d), kind);
  }
}

TEST_CASE("keys: a PEM whose EC point is not on its curve is refused, for both curves") {
  for (const char* kind : {"ec256", "ec384"}) {
    CAPTURE(kind);
    auto s = sr::testing::NewKey(kind);
    // The PEM body between the armor lines, decoded: prefix, 0x04 || X || Y.
    std::string body;
    for (char c : s->Public().pem())
      if (c != '\n') body += c;
    body = body.substr(26, body.size() - 26 - 24);
    std::string der = sr::Base64Decode(body).value();
    REQUIRE(sr::SpkiKindOf(der) != sr::SpkiKind::kOther);
    REQUIRE(sr::policy::PublicKey::FromPem(sr::SpkiPem(der)).ok());
    der.back() = static_cast<char>(der.back() ^ 1);  // Y changed: off the curve
    CHECK_FALSE(sr::policy::PublicKey::FromPem(sr::SpkiPem(der)).ok());
  }
}
