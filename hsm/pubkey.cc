#include "hsm/pubkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "base/openssl_ptr.h"
#include "base/spki.h"

namespace sr::hsm {
namespace {

constexpr char kP256Params[] = "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07";
constexpr char kP384Params[] = "\x06\x05\x2b\x81\x04\x00\x22";
constexpr char kEd25519Params[] = "\x06\x03\x2b\x65\x70";

Result<std::string> PkeyToSpki(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(pkey, &der);
  if (n <= 0) return Internal("encoding a public key as SubjectPublicKeyInfo failed");
  std::string out(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  return out;
}

// The key the parameters describe (OpenSSL checks them: an EC point must be
// on the curve).
Result<PkeyPtr> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return InvalidArgument(std::string("the token returned a malformed ") + type + " public key");
  }
  return PkeyPtr(raw);
}

// Removes a DER OCTET STRING wrapper (short or 0x81 length) when present.
std::string_view UnwrapOctetString(std::string_view v, std::size_t point_len) {
  if (v.size() == point_len + 2 && v[0] == 0x04 && static_cast<unsigned char>(v[1]) == point_len) {
    return v.substr(2);
  }
  if (v.size() == point_len + 3 && v[0] == 0x04 && static_cast<unsigned char>(v[1]) == 0x81 &&
      static_cast<unsigned char>(v[2]) == point_len) {
    return v.substr(3);
  }
  return v;
}

}  // namespace

std::string_view EcParamsFor(Algorithm a) {
  switch (a) {
    case Algorithm::kEcdsaP256:
      return {kP256Params, sizeof kP256Params - 1};
    case Algorithm::kEcdsaP384:
      return {kP384Params, sizeof kP384Params - 1};
    case Algorithm::kEd25519:
      return {kEd25519Params, sizeof kEd25519Params - 1};
    case Algorithm::kRsaPss3072:
      return {};
  }
  return {};
}

Result<std::string> SpkiFromEcPoint(Algorithm a, std::string_view ec_point) {
  if (a == Algorithm::kEd25519) {
    std::string_view raw = UnwrapOctetString(ec_point, 32);
    // Any 32 bytes are an Ed25519 key to OpenSSL (it does not decode the
    // point on import), so there is nothing more to check here.
    if (raw.size() != 32)
      return InvalidArgument("the token returned an Ed25519 point that is not 32 bytes");
    return SpkiOf(SpkiKind::kEd25519, raw);
  }
  std::size_t point_len = a == Algorithm::kEcdsaP256 ? 65 : 97;
  std::string_view point = UnwrapOctetString(ec_point, point_len);
  if (point.size() != point_len) {
    return InvalidArgument("the token returned an EC point of unexpected length " +
                           std::to_string(point.size()));
  }
  SpkiKind kind = a == Algorithm::kEcdsaP256 ? SpkiKind::kP256 : SpkiKind::kP384;
  std::string spki = SpkiOf(kind, point);
  if (spki.empty()) return InvalidArgument("the token returned a compressed or malformed EC point");
  // PkeyOf checks that the point is on the curve; the encoding is written
  // directly (OpenSSL 3's encoder: ~50 us and a process-wide lock).
  PkeyPtr pkey(PkeyOf(kind, point));
  if (!pkey) return InvalidArgument("the token returned an EC point that is not on its curve");
  return spki;
}

Result<std::string> SpkiFromRsa(std::string_view modulus, std::string_view exponent) {
  BignumPtr n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus.data()), modulus.size(), nullptr));
  BignumPtr e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent.data()), exponent.size(), nullptr));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return Internal("building RSA key parameters failed");
  }
  SR_ASSIGN_OR_RETURN(PkeyPtr pkey, FromParams("RSA", bld.get()));
  return PkeyToSpki(pkey.get());
}

Result<std::string> EcdsaRawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 132) {
    return InvalidArgument("ECDSA signature from the token has odd or bad length " +
                           std::to_string(raw.size()));
  }
  // SEQUENCE { INTEGER r, INTEGER s }, written directly: a 1,000-artifact
  // session signs a thousand times, and the BIGNUM round trip cost more than
  // the rest of the conversion. Each INTEGER is minimal (leading zero bytes
  // dropped) and positive (a 0x00 before a set high bit).
  std::size_t half = raw.size() / 2;
  auto integer = [](std::string_view v) {
    std::size_t i = 0;
    while (i + 1 < v.size() && v[i] == 0) ++i;
    v.remove_prefix(i);
    bool pad = (static_cast<unsigned char>(v[0]) & 0x80) != 0;
    std::string out(1, '\x02');
    out += static_cast<char>(v.size() + (pad ? 1 : 0));
    if (pad) out += '\0';
    out.append(v);
    return out;
  };
  std::string body = integer(raw.substr(0, half)) + integer(raw.substr(half));
  std::string out(1, '\x30');
  if (body.size() >= 0x80) out += '\x81';  // P-521: body up to 140 bytes
  out += static_cast<char>(body.size());
  return out + body;
}

Result<std::string> SpkiToPem(std::string_view spki_der) {
  if (SpkiKindOf(spki_der) != SpkiKind::kOther) return SpkiPem(spki_der);
  auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, spki_der.size()));
  if (!pkey) return InvalidArgument("not a SubjectPublicKeyInfo");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PUBKEY(bio.get(), pkey.get())) return Internal("PEM encoding failed");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

}  // namespace sr::hsm
