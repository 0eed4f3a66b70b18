// Key algorithms strongroom generates and signs with, and the description of
// a key in a token. Plain value types; thread-compatible.
#ifndef STRONGROOM_HSM_KEY_H_
#define STRONGROOM_HSM_KEY_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::hsm {

enum class Algorithm {
  kEcdsaP256,   // ECDSA over SHA-256, DER signature
  kEcdsaP384,   // ECDSA over SHA-384, DER signature
  kEd25519,     // pure Ed25519 (RFC 8032), 64-byte signature
  kRsaPss3072,  // RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32, 384-byte signature
};

// "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss-3072".
std::string_view AlgorithmName(Algorithm a);
// Inverse of AlgorithmName; kInvalidArgument naming the accepted values.
Result<Algorithm> ParseAlgorithm(std::string_view name);

struct KeyInfo {
  std::string label;  // CKA_LABEL
  std::string id;     // CKA_ID, raw bytes (random, 16 bytes when we generate)
  Algorithm algorithm = Algorithm::kEcdsaP256;
  std::string spki_der;         // SubjectPublicKeyInfo DER of the public key
  std::string fingerprint_hex;  // lower-case hex SHA-256 of spki_der
  std::string uri;              // RFC 7512 URI of the private key (no PIN, ever)
};

// A key found in an open Session: its description and the object handles.
// Valid only for the Session that produced it.
struct KeyHandle {
  KeyInfo info;
  unsigned long private_handle = 0;  // CK_OBJECT_HANDLE
  unsigned long public_handle = 0;   // CK_OBJECT_HANDLE
};

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_KEY_H_
