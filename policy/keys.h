// Public keys the gate trusts (governance, approvers, builders, test labs):
// parsed from PEM SubjectPublicKeyInfo, identified by their fingerprint
// (lower-case hex SHA-256 of the DER SubjectPublicKeyInfo), and used to verify
// signatures. Supported: ECDSA P-256 (SHA-256), P-384 (SHA-384), Ed25519, and
// RSA-PSS (SHA-256, salt length = digest length) for RSA keys of >= 2048 bits.
// ECDSA signatures are accepted DER-encoded or as raw r||s.
// A PublicKey is immutable and safe to share between threads.
#ifndef STRONGROOM_POLICY_KEYS_H_
#define STRONGROOM_POLICY_KEYS_H_

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::policy {

class PublicKey {
 public:
  // Parses one PEM "PUBLIC KEY" block; kInvalidArgument names `what` on failure
  // or for an unsupported algorithm or curve.
  static Result<PublicKey> FromPem(std::string_view pem, std::string_view what = "public key");
  // Takes a reference to an existing key (e.g. the public half of a private key).
  static Result<PublicKey> FromEvp(EVP_PKEY* pkey);

  const std::string& fingerprint() const { return fingerprint_; }
  const std::string& pem() const { return pem_; }
  // "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss".
  const std::string& algorithm() const { return algorithm_; }
  // True only if sig is a valid signature of message under this key.
  bool Verify(std::string_view message, std::string_view sig) const;
  // The hash this key's signatures are made over: "sha256" (P-256, RSA-PSS),
  // "sha384" (P-384), or "" for Ed25519, which signs whole messages.
  std::string_view digest_name() const;
  // Verify for a message given by its digest (digest_name() of it), so a
  // large file is hashed once while streaming. False for Ed25519 keys.
  bool VerifyDigest(std::string_view digest, std::string_view sig) const;

 private:
  PublicKey() = default;
  // FromEvp, with the DER the key was parsed from (used for the fingerprint
  // when it is the canonical encoding; "" to re-encode).
  static Result<PublicKey> FromEvpAndDer(EVP_PKEY* pkey, std::string_view parsed_der);
  std::shared_ptr<EVP_PKEY> key_;
  std::string fingerprint_;
  std::string pem_;
  std::string algorithm_;
  int ec_coord_bytes_ = 0;
};

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_KEYS_H_
