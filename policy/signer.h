// The one interface through which policy documents and approvals are signed.
// signer/ implements it with a PEM private-key file (KeyFileSigner) and later
// with a PKCS#11 key; policy/ never sees private key material.
#ifndef STRONGROOM_POLICY_SIGNER_H_
#define STRONGROOM_POLICY_SIGNER_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "policy/keys.h"

namespace sr::policy {

class Signer {
 public:
  virtual ~Signer() = default;
  // The DSSE keyid hint: the public key's fingerprint.
  virtual std::string KeyId() const = 0;
  virtual const PublicKey& Public() const = 0;
  // Signs message (the DSSE PAE bytes). Thread-compatible, not thread-safe.
  virtual Result<std::string> Sign(std::string_view message) = 0;
};

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_SIGNER_H_
