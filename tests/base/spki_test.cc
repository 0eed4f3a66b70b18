// base/spki against OpenSSL itself: for fresh keys of each everyday shape, the
// DER and PEM written by hand are byte for byte what i2d_PUBKEY and
// PEM_write_bio_PUBKEY write, and anything else is left to OpenSSL.
#include "base/spki.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include <doctest/doctest.h>

namespace sr {
namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Pkey Generate(const char* type, const char* curve) {
  return Pkey(curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, type),
              &EVP_PKEY_free);
}

std::string OpensslDer(EVP_PKEY* k) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(k, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string OpensslPem(EVP_PKEY* k) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), k);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// The key bytes OpenSSL reports: the uncompressed point, or the raw key.
std::string KeyBytes(EVP_PKEY* k, bool ed25519) {
  unsigned char buf[256];
  std::size_t n = 0;
  if (ed25519) {
    n = sizeof buf;
    EVP_PKEY_get_raw_public_key(k, buf, &n);
  } else {
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &n);
  }
  return std::string(reinterpret_cast<char*>(buf), n);
}

// The everyday key shapes, as OpenSSL generates them.
struct Shape {
  const char* type;
  const char* curve;
  SpkiKind kind;
};
constexpr Shape kShapes[] = {{"EC", "P-256", SpkiKind::kP256},
                             {"EC", "P-384", SpkiKind::kP384},
                             {"ED25519", nullptr, SpkiKind::kEd25519}};

TEST_CASE("SpkiOf and SpkiPem write what OpenSSL writes, for each everyday key shape") {
  for (const Shape& s : kShapes) {
    CAPTURE(s.type);
    CAPTURE(s.curve ? s.curve : "");
    for (int i = 0; i < 5; ++i) {
      Pkey k = Generate(s.type, s.curve);
      REQUIRE(k);
      std::string key = KeyBytes(k.get(), s.kind == SpkiKind::kEd25519);
      REQUIRE(key.size() == SpkiKeyBytes(s.kind));
      std::string der = SpkiOf(s.kind, key);
      CHECK(der == OpensslDer(k.get()));
      CHECK(SpkiKindOf(der) == s.kind);
      CHECK(der.substr(der.size() - key.size()) == key);
      CHECK(SpkiPem(der) == OpensslPem(k.get()));
    }
  }
}

TEST_CASE("PkeyOf builds, for each everyday shape, the key OpenSSL generated") {
  for (const Shape& s : kShapes) {
    CAPTURE(s.type);
    CAPTURE(s.curve ? s.curve : "");
    Pkey k = Generate(s.type, s.curve);
    REQUIRE(k);
    std::string key = KeyBytes(k.get(), s.kind == SpkiKind::kEd25519);
    Pkey built(PkeyOf(s.kind, key), &EVP_PKEY_free);
    REQUIRE(built);
    CHECK(EVP_PKEY_eq(built.get(), k.get()) == 1);
    CHECK(OpensslDer(built.get()) == SpkiOf(s.kind, key));
    if (s.kind != SpkiKind::kEd25519) {
      CHECK(EVP_PKEY_get_bits(built.get()) == EVP_PKEY_get_bits(k.get()));
      std::string off = key;
      off.back() = static_cast<char>(off.back() ^ 1);  // Y no longer matches X
      CHECK(PkeyOf(s.kind, off) == nullptr);
    }
    CHECK(PkeyOf(s.kind, key.substr(1)) == nullptr);
    CHECK(PkeyOf(SpkiKind::kOther, key) == nullptr);
  }
  // A P-256 point is not a P-384 key, nor the other way round.
  Pkey p256 = Generate("EC", "P-256");
  CHECK(PkeyOf(SpkiKind::kP384, KeyBytes(p256.get(), false)) == nullptr);
}

TEST_CASE("SpkiKindOf leaves everything else to OpenSSL") {
  Pkey p256 = Generate("EC", "P-256");
  std::string der = OpensslDer(p256.get());
  REQUIRE(SpkiKindOf(der) == SpkiKind::kP256);
  CHECK(SpkiKindOf(der + "x") == SpkiKind::kOther);                       // trailing byte
  CHECK(SpkiKindOf(der.substr(0, der.size() - 1)) == SpkiKind::kOther);  // short
  std::string compressed = der;
  compressed[26] = '\x02';  // the point's form byte
  CHECK(SpkiKindOf(compressed) == SpkiKind::kOther);
  Pkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)),
           &EVP_PKEY_free);
  REQUIRE(rsa);
  CHECK(SpkiKindOf(OpensslDer(rsa.get())) == SpkiKind::kOther);
  CHECK(SpkiKindOf("") == SpkiKind::kOther);
  // A P-384 prefix with a P-256-sized key, and keys of the wrong size.
  CHECK(SpkiOf(SpkiKind::kP384, std::string(65, '\x04')).empty());
  CHECK(SpkiOf(SpkiKind::kEd25519, std::string(31, 'k')).empty());
  CHECK(SpkiOf(SpkiKind::kP256, std::string(1, '\x02') + std::string(64, 'x')).empty());
  CHECK(SpkiOf(SpkiKind::kOther, "anything").empty());
}

}  // namespace
}  // namespace sr
