#include "policy/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "base/encoding.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"
#include "base/spki.h"

namespace sr::policy {
namespace {

// The canonical SubjectPublicKeyInfo: EC points uncompressed, as PKCS#11
// tokens report them, so a key written with a compressed point has the same
// fingerprint as the key in the token and counts once however it is written.
std::string Der(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC)
    EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                   OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(pkey, &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

constexpr std::string_view kPemBegin = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kPemEnd = "-----END PUBLIC KEY-----";

// The DER inside one "PUBLIC KEY" PEM block, or "" when the text is not one
// (then OpenSSL's PEM reader decides).
std::string DerOfPem(std::string_view pem) {
  auto begin = pem.find(kPemBegin);
  auto end = pem.find(kPemEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return "";
  std::string body;
  for (char c : pem.substr(begin + kPemBegin.size(), end - begin - kPemBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
  auto der = Base64Decode(body, "PEM");
  return der.ok() ? *der : "";
}

// Converts a raw r||s ECDSA signature to DER; "" if sizes do not fit.
std::string RawToDer(std::string_view raw, int coord) {
  if (raw.size() != static_cast<std::size_t>(2 * coord)) return "";
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), coord, nullptr));
  BignumPtr s(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + coord, coord, nullptr));
  std::string out;
  if (sig && r && s && ECDSA_SIG_set0(sig.get(), r.get(), s.get()) == 1) {
    (void)r.release();  // owned by sig now
    (void)s.release();
    unsigned char* der = nullptr;
    int n = i2d_ECDSA_SIG(sig.get(), &der);
    if (n > 0) out.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  }
  return out;
}

// The key of a SubjectPublicKeyInfo of the everyday shapes (base/spki.h),
// built without OpenSSL 3's decoder (~95 us a key, under a process-wide lock
// the HSM thread of a signing session also needs): Ed25519 from its raw
// bytes, EC from its named group and point (checked to be on the curve).
// nullptr for anything else, or a point not on the curve.
EVP_PKEY* PkeyOfCanonical(std::string_view der) {
  SpkiKind kind = SpkiKindOf(der);
  if (kind == SpkiKind::kOther) return nullptr;
  return PkeyOf(kind, der.substr(der.size() - SpkiKeyBytes(kind)));
}

}  // namespace

Result<PublicKey> PublicKey::FromEvp(EVP_PKEY* pkey) { return FromEvpAndDer(pkey, ""); }

Result<PublicKey> PublicKey::FromEvpAndDer(EVP_PKEY* pkey, std::string_view parsed_der) {
  if (pkey == nullptr) return InvalidArgument("no public key");
  PublicKey k;
  int id = EVP_PKEY_get_base_id(pkey);
  if (id == EVP_PKEY_ED25519) {
    k.algorithm_ = "ed25519";
  } else if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1)
      return InvalidArgument("EC key without a named curve");
    std::string g(group, len);
    if (g == "prime256v1" || g == "P-256") {
      k.algorithm_ = "ecdsa-p256";
      k.ec_coord_bytes_ = 32;
    } else if (g == "secp384r1" || g == "P-384") {
      k.algorithm_ = "ecdsa-p384";
      k.ec_coord_bytes_ = 48;
    } else {
      return InvalidArgument("unsupported EC curve " + g + " (P-256 and P-384 are supported)");
    }
  } else if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
    if (EVP_PKEY_get_bits(pkey) < 2048) return InvalidArgument("RSA key shorter than 2048 bits");
    k.algorithm_ = "rsa-pss";
  } else {
    return InvalidArgument("unsupported key type (ECDSA P-256/P-384, Ed25519, RSA-PSS)");
  }
  EVP_PKEY_up_ref(pkey);
  k.key_ = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
  // The SHA-256 of a canonical SubjectPublicKeyInfo as given is its
  // fingerprint; anything else is re-encoded, so that two encodings of one
  // key never get two fingerprints (which would let one approver count twice).
  std::string der =
      SpkiKindOf(parsed_der) != SpkiKind::kOther ? std::string(parsed_der) : Der(pkey);
  if (der.empty()) return Internal("cannot encode public key");
  k.fingerprint_ = Sha256Hex(der);
  k.pem_ = SpkiPem(der);
  return k;
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem, std::string_view what) {
  if (pem.size() > 16384) return InvalidArgument(std::string(what) + ": PEM too large");
  // The everyday key shapes are built from their DER directly; d2i on the
  // DER (~3x faster than OpenSSL 3's PEM reader) takes the others, and the
  // reader stays as the fallback for anything unusual in the armor.
  std::string der = DerOfPem(pem);
  PkeyPtr pkey(PkeyOfCanonical(der));
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  if (!pkey && !der.empty()) {
    pkey.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (pkey && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
      pkey.reset();  // trailing bytes after the key: not a clean SubjectPublicKeyInfo
  }
  BioPtr bio(pkey ? nullptr : BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!pkey && bio) pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!pkey)
    return InvalidArgument(std::string(what) +
                           ": not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  auto k = FromEvpAndDer(pkey.get(), der);
  if (!k.ok()) return k.status().Annotate(what);
  return k;
}

bool PublicKey::Verify(std::string_view message, std::string_view sig) const {
  if (!key_ || sig.empty() || sig.size() > 1024) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  const EVP_MD* md = nullptr;
  if (algorithm_ == "ecdsa-p256" || algorithm_ == "rsa-pss") md = Sha256Md();
  if (algorithm_ == "ecdsa-p384") md = Sha384Md();
  std::string der_sig(sig);
  if (ec_coord_bytes_ > 0 && sig.size() == static_cast<std::size_t>(2 * ec_coord_bytes_) &&
      static_cast<unsigned char>(sig[0]) != 0x30) {
    der_sig = RawToDer(sig, ec_coord_bytes_);
  }
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) return false;
  if (algorithm_ == "rsa-pss") {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
      return false;
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der_sig.data()),
                            der_sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                            message.size());
  if (rc != 1 && ec_coord_bytes_ > 0 &&
      sig.size() == static_cast<std::size_t>(2 * ec_coord_bytes_) &&
      der_sig != RawToDer(sig, ec_coord_bytes_)) {
    // A DER signature starting with 0x30 and exactly 2*coord long is rare; try raw too.
    std::string raw = RawToDer(sig, ec_coord_bytes_);
    MdCtxPtr c2(EVP_MD_CTX_new());
    if (c2 && EVP_DigestVerifyInit(c2.get(), nullptr, md, nullptr, key_.get()) == 1)
      rc =
          EVP_DigestVerify(c2.get(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                           reinterpret_cast<const unsigned char*>(message.data()), message.size());
  }
  ERR_clear_error();
  return rc == 1;
}

std::string_view PublicKey::digest_name() const {
  if (algorithm_ == "ecdsa-p384") return "sha384";
  if (algorithm_ == "ed25519") return "";
  return "sha256";
}

bool PublicKey::VerifyDigest(std::string_view digest, std::string_view sig) const {
  if (!key_ || sig.empty() || sig.size() > 1024 || algorithm_ == "ed25519") return false;
  const EVP_MD* md = algorithm_ == "ecdsa-p384" ? Sha384Md() : Sha256Md();
  if (digest.size() != static_cast<std::size_t>(EVP_MD_get_size(md))) return false;
  std::string der_sig(sig);
  if (ec_coord_bytes_ > 0 && sig.size() == static_cast<std::size_t>(2 * ec_coord_bytes_) &&
      static_cast<unsigned char>(sig[0]) != 0x30) {
    der_sig = RawToDer(sig, ec_coord_bytes_);
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1;
  if (ok && algorithm_ == "rsa-pss") {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  ok = ok && EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(der_sig.data()),
                             der_sig.size(), reinterpret_cast<const unsigned char*>(digest.data()),
                             digest.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace sr::policy
