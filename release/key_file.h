// KeyFileSigner: a policy::Signer backed by a PEM private key (PKCS#8 or
// traditional EC/RSA, unencrypted) read from a file. Used by `policy sign`
// and `approve sign` until those sign with PKCS#11 keys. The file bytes are
// held only in SecretBytes and wiped; the key lives in OpenSSL's memory.
// Not thread-safe; owns its EVP_PKEY.
#ifndef STRONGROOM_RELEASE_KEY_FILE_H_
#define STRONGROOM_RELEASE_KEY_FILE_H_

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/secret.h"
#include "base/status.h"
#include "policy/keys.h"
#include "policy/signer.h"

namespace sr::release {

class KeyFileSigner final : public policy::Signer {
 public:
  // Reads and parses the key file (regular file, no symbolic link, <= 64 KiB).
  static Result<std::unique_ptr<KeyFileSigner>> FromFile(std::string_view path);
  // Parses PEM bytes held in SecretBytes.
  static Result<std::unique_ptr<KeyFileSigner>> FromPem(const SecretBytes& pem,
                                                        std::string_view what = "private key");

  std::string KeyId() const override { return public_.fingerprint(); }
  const policy::PublicKey& Public() const override { return public_; }
  // ECDSA P-256/SHA-256 and P-384/SHA-384 (DER signatures), Ed25519,
  // RSA-PSS SHA-256 with salt length = digest length.
  Result<std::string> Sign(std::string_view message) override;

 private:
  KeyFileSigner(std::shared_ptr<EVP_PKEY> key, policy::PublicKey pub)
      : key_(std::move(key)), public_(std::move(pub)) {}
  std::shared_ptr<EVP_PKEY> key_;
  policy::PublicKey public_;
};

}  // namespace sr::release

#endif  // STRONGROOM_RELEASE_KEY_FILE_H_
