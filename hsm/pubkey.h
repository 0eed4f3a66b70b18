// Conversions between PKCS#11's public-key and signature encodings and the
// standard ones (SubjectPublicKeyInfo DER, DER ECDSA signatures), using
// OpenSSL 3 EVP (no ENGINE, no deprecated key APIs). Pure functions.
#ifndef STRONGROOM_HSM_PUBKEY_H_
#define STRONGROOM_HSM_PUBKEY_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "hsm/key.h"

namespace sr::hsm {

// DER of the curve OIDs, as CKA_EC_PARAMS holds them.
std::string_view EcParamsFor(Algorithm a);

// SPKI DER from CKA_EC_POINT (a DER OCTET STRING around the point, or the bare
// point) for ECDSA P-256/P-384 and Ed25519.
Result<std::string> SpkiFromEcPoint(Algorithm a, std::string_view ec_point);

// SPKI DER of an RSA key from CKA_MODULUS and CKA_PUBLIC_EXPONENT (big-endian).
Result<std::string> SpkiFromRsa(std::string_view modulus, std::string_view exponent);

// PKCS#11 ECDSA signatures are r||s with fixed-size halves; X.509/openssl
// want DER ECDSA-Sig-Value. raw must have even length.
Result<std::string> EcdsaRawToDer(std::string_view raw);

// PEM ("-----BEGIN PUBLIC KEY-----") of an SPKI DER.
Result<std::string> SpkiToPem(std::string_view spki_der);

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_PUBKEY_H_
