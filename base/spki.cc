#include "base/spki.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include <cstring>
#include <memory>

#include "base/encoding.h"

namespace sr {
namespace {

// The DER before the key, up to and including the BIT STRING's unused-bits
// byte (an EC point then starts with its 0x04).
constexpr std::string_view kP256Prefix(
    "\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"
    "\x03\x42\x00",
    26);
constexpr std::string_view kP384Prefix(
    "\x30\x76\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00\x22\x03\x62\x00",
    23);
constexpr std::string_view kEd25519Prefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);

std::string_view PrefixOf(SpkiKind kind) {
  switch (kind) {
    case SpkiKind::kP256:
      return kP256Prefix;
    case SpkiKind::kP384:
      return kP384Prefix;
    case SpkiKind::kEd25519:
      return kEd25519Prefix;
    case SpkiKind::kOther:
      break;
  }
  return {};
}

}  // namespace

std::size_t SpkiKeyBytes(SpkiKind kind) {
  switch (kind) {
    case SpkiKind::kP256:
      return 65;
    case SpkiKind::kP384:
      return 97;
    case SpkiKind::kEd25519:
      return 32;
    case SpkiKind::kOther:
      break;
  }
  return 0;
}

std::string SpkiOf(SpkiKind kind, std::string_view key) {
  if (kind == SpkiKind::kOther || key.size() != SpkiKeyBytes(kind)) return "";
  if (kind != SpkiKind::kEd25519 && key[0] != '\x04') return "";  // not uncompressed
  return std::string(PrefixOf(kind)).append(key);
}

SpkiKind SpkiKindOf(std::string_view der) {
  for (SpkiKind k : {SpkiKind::kP256, SpkiKind::kP384, SpkiKind::kEd25519}) {
    std::string_view prefix = PrefixOf(k);
    if (der.size() == prefix.size() + SpkiKeyBytes(k) && der.starts_with(prefix) &&
        (k == SpkiKind::kEd25519 || der[prefix.size()] == '\x04'))
      return k;
  }
  return SpkiKind::kOther;
}

namespace {

// An EC public key imported from its curve's name and point (OpenSSL checks
// that the point is on the curve).
EVP_PKEY* ImportEc(SpkiKind kind, std::string_view point) {
  char group[] = "P-256";
  if (kind == SpkiKind::kP384) std::memcpy(group, "P-384", sizeof group);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<char*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    return nullptr;
  return pkey;
}

// The key whose point is the curve's generator: every other key of the curve
// is a copy of it with another point. OpenSSL 3.0 builds a fresh EC_GROUP
// (two Montgomery contexts, a modular inverse) for each key it imports,
// ~15 us; a copy shares that work and takes ~4 us. Built once, on first use;
// only ever read (copied) after that, which OpenSSL allows from any thread.
EVP_PKEY* GeneratorKey(SpkiKind kind) {
  auto build = [](SpkiKind k, int nid) -> EVP_PKEY* {
    std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> g(EC_GROUP_new_by_curve_name(nid),
                                                          &EC_GROUP_free);
    unsigned char buf[97];
    std::size_t n = g ? EC_POINT_point2oct(g.get(), EC_GROUP_get0_generator(g.get()),
                                           POINT_CONVERSION_UNCOMPRESSED, buf, sizeof buf, nullptr)
                      : 0;
    if (n != SpkiKeyBytes(k)) return nullptr;
    return ImportEc(k, std::string_view(reinterpret_cast<char*>(buf), n));
  };
  if (kind == SpkiKind::kP256) {
    static EVP_PKEY* const p256 = build(kind, NID_X9_62_prime256v1);
    return p256;
  }
  static EVP_PKEY* const p384 = build(kind, NID_secp384r1);
  return p384;
}

}  // namespace

EVP_PKEY* PkeyOf(SpkiKind kind, std::string_view key) {
  if (SpkiOf(kind, key).empty()) return nullptr;
  const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
  if (kind == SpkiKind::kEd25519)
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, key.size());
  if (EVP_PKEY* g = GeneratorKey(kind)) {
    EVP_PKEY* pkey = EVP_PKEY_dup(g);
    if (pkey != nullptr) {
      // Decodes the point and checks that it is on the curve.
      if (EVP_PKEY_set1_encoded_public_key(pkey, bytes, key.size()) == 1) return pkey;
      EVP_PKEY_free(pkey);
      return nullptr;
    }
  }
  return ImportEc(kind, key);
}

std::string SpkiPem(std::string_view der) {
  std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out.append(b64, i, 64).append("\n");
  return out + "-----END PUBLIC KEY-----\n";
}

}  // namespace sr
