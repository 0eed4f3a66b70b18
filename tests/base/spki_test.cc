// base/spki against OpenSSL itself: for fresh keys of each everyday shape, the
// DER and PEM written by hand are byte for byte what i2d_PUBKEY and
// PEM_write_bio_PUBKEY write, and anything else is left to OpenSSL.
#include "base/spki.h"

#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

// PkeyOf copies one key of the curve and sets each new point in the copy:
// every key it hands out must be its own, from any thread.
TEST_CASE("PkeyOf's EC keys are each their own, built one after another and from several threads") {
  for (const char* curve : {"P-256", "P-384"}) {
    CAPTURE(curve);
    const SpkiKind kind = std::string(curve) == "P-256" ? SpkiKind::kP256 : SpkiKind::kP384;
    std::vector<Pkey> generated;
    std::vector<std::string> points;
    for (int i = 0; i < 8; ++i) {
      generated.push_back(Generate("EC", curve));
      points.push_back(KeyBytes(generated.back().get(), false));
    }
    std::vector<Pkey> built;
    for (const std::string& p : points) built.emplace_back(PkeyOf(kind, p), &EVP_PKEY_free);
    for (std::size_t i = 0; i < built.size(); ++i) {
      REQUIRE(built[i]);
      CHECK(KeyBytes(built[i].get(), false) == points[i]);  // not changed by the later ones
      CHECK(EVP_PKEY_eq(built[i].get(), generated[i].get()) == 1);
    }
    // A signature by one key verifies with its own built key only.
    const std::string msg = "strongroom";
    unsigned char sig[160];
    std::size_t sig_len = sizeof sig;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> s(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(s.get(), nullptr, EVP_sha256(), nullptr, generated[3].get()) == 1);
    REQUIRE(EVP_DigestSign(s.get(), sig, &sig_len,
                           reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1);
    for (std::size_t i = 0; i < built.size(); ++i) {
      std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> v(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
      REQUIRE(EVP_DigestVerifyInit(v.get(), nullptr, EVP_sha256(), nullptr, built[i].get()) == 1);
      CHECK((EVP_DigestVerify(v.get(), sig, sig_len,
                              reinterpret_cast<const unsigned char*>(msg.data()),
                              msg.size()) == 1) == (i == 3));
    }
    // Four threads building every key at once, many times over.
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 50; ++round) {
          const std::string& p = points[static_cast<std::size_t>(t + round) % points.size()];
          Pkey k(PkeyOf(kind, p), &EVP_PKEY_free);
          if (!k || KeyBytes(k.get(), false) != p) ++wrong;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong.load() == 0);
  }
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
