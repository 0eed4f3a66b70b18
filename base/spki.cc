#include "base/spki.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <memory>

#include "base/encoding.h"
#include "base/openssl_ptr.h"

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

// The base points G of P-256 and P-384, uncompressed (SEC 2 v2, 2.4.2 and
// 2.5.1), for GeneratorKey. Any point of the curve would do, since every key
// replaces it; were one not on its curve, PkeyOf would import keys afresh.
constexpr std::string_view kP256Generator(
    "\x04\x6b\x17\xd1\xf2\xe1\x2c\x42\x47\xf8\xbc\xe6\xe5\x63\xa4\x40"
    "\xf2\x77\x03\x7d\x81\x2d\xeb\x33\xa0\xf4\xa1\x39\x45\xd8\x98\xc2"
    "\x96\x4f\xe3\x42\xe2\xfe\x1a\x7f\x9b\x8e\xe7\xeb\x4a\x7c\x0f\x9e"
    "\x16\x2b\xce\x33\x57\x6b\x31\x5e\xce\xcb\xb6\x40\x68\x37\xbf\x51"
    "\xf5",
    65);
constexpr std::string_view kP384Generator(
    "\x04\xaa\x87\xca\x22\xbe\x8b\x05\x37\x8e\xb1\xc7\x1e\xf3\x20\xad"
    "\x74\x6e\x1d\x3b\x62\x8b\xa7\x9b\x98\x59\xf7\x41\xe0\x82\x54\x2a"
    "\x38\x55\x02\xf2\x5d\xbf\x55\x29\x6c\x3a\x54\x5e\x38\x72\x76\x0a"
    "\xb7\x36\x17\xde\x4a\x96\x26\x2c\x6f\x5d\x9e\x98\xbf\x92\x92\xdc"
    "\x29\xf8\xf4\x1d\xbd\x28\x9a\x14\x7c\xe9\xda\x31\x13\xb5\xf0\xb8"
    "\xc0\x0a\x60\xb1\xce\x1d\x7e\x81\x9d\x7a\x43\x1d\x7c\x90\xea\x0e"
    "\x5f",
    97);

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
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
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
  if (kind == SpkiKind::kP256) {
    static EVP_PKEY* const p256 = ImportEc(kind, kP256Generator);
    return p256;
  }
  static EVP_PKEY* const p384 = ImportEc(kind, kP384Generator);
  return p384;
}

}  // namespace

EVP_PKEY* PkeyOf(SpkiKind kind, std::string_view key) {
  if (SpkiOf(kind, key).empty()) return nullptr;
  const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
  if (kind == SpkiKind::kEd25519)
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, key.size());
  if (EVP_PKEY* g = GeneratorKey(kind)) {
    PkeyPtr pkey(EVP_PKEY_dup(g));
    if (pkey) {
      // Decodes the point and checks that it is on the curve.
      if (EVP_PKEY_set1_encoded_public_key(pkey.get(), bytes, key.size()) == 1)
        return pkey.release();
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
