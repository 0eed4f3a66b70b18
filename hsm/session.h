// One logged-in PKCS#11 session on one token: key generation, listing,
// lookup and signing. The later `sign` command signs ~1000 artifacts in one
// Session: FindKey once, then Sign per artifact (no re-login, no re-find).
//
// Ownership: a Session keeps its Module alive (shared_ptr). The destructor
// logs out and closes the session and never throws.
// Thread-safety: every method takes an internal mutex, so one Session may be
// shared by threads, but calls are serialized (SoftHSMv2 is unreliable with
// parallel signing on one token). Across processes strongroom serializes HSM
// use with STATION/station.lock (signer/station.h), not here.
// Failure: PKCS#11 errors are kHsm with the CKR_ name, module and token.
// PKCS#11 login state is shared by all sessions of a process on one token:
// keep at most one logged-in Session per token (a second login fails with
// CKR_USER_ALREADY_LOGGED_IN; destroying a Session logs the token out).
#ifndef STRONGROOM_HSM_SESSION_H_
#define STRONGROOM_HSM_SESSION_H_

#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "hsm/key.h"
#include "hsm/module.h"

namespace sr::hsm {

inline constexpr std::size_t kMaxKeyLabelBytes = 64;

// Labels become file names (STATION/keys/<label>.pem): 1-64 bytes of
// [A-Za-z0-9._-], not starting with '.' or '-'.
Status ValidateKeyLabel(std::string_view label);

class Session {
 public:
  // Opens a read-write session on token. With pin, logs in as the normal user
  // (CKR_PIN_INCORRECT is reported, never retried); without, only public
  // objects are visible (ListKeys works, Sign and GenerateKey do not) unless
  // another Session of this process is logged in to the same token, whose
  // login it then uses (and never logs out).
  static Result<std::unique_ptr<Session>> Open(std::shared_ptr<Module> module,
                                               const TokenInfo& token, const SecretBytes* pin);
  // Changes the token's user PIN (with so: its security officer's PIN):
  // opens a read-write session, logs in with old_pin as the user (as the SO),
  // calls C_SetPIN(old_pin, new_pin) and logs out. One attempt each, never
  // retried: CKR_PIN_INCORRECT for a wrong old PIN, CKR_PIN_LEN_RANGE or
  // CKR_PIN_INVALID for a new PIN the token refuses, each by name. Fails with
  // CKR_USER_ALREADY_LOGGED_IN (or ..._ANOTHER_...) when this process has a
  // logged-in Session on the token: close it first.
  static Status ChangePin(std::shared_ptr<Module> module, const TokenInfo& token, bool so,
                          const SecretBytes& old_pin, const SecretBytes& new_pin);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  const TokenInfo& token() const { return token_; }
  const Module& module() const { return *module_; }
  // "module <path>, token '<label>' (serial <serial>)"
  std::string Describe() const;

  // Generates a key pair in the token: private key CKA_TOKEN, CKA_PRIVATE,
  // CKA_SENSITIVE true, CKA_EXTRACTABLE false, restricted to its one signing
  // mechanism; public key public (CKA_PRIVATE false); a random 16-byte
  // CKA_ID shared by both. kAlreadyExists when the label is taken.
  Result<KeyInfo> GenerateKey(std::string_view label, Algorithm algorithm);

  // Destroys both objects of a key pair this session generated (matched by
  // label and CKA_ID): for a key whose KEY_GENERATED event could not be
  // logged, so that no key exists that no record accounts for. Ok when
  // neither object exists any more.
  Status DestroyKey(const KeyInfo& key);

  // Every key pair with a public key of a supported algorithm, by label.
  Result<std::vector<KeyInfo>> ListKeys();

  // Finds a key by label or by RFC 7512 URI (object and/or id; a token or
  // serial in the URI must match this session's token). Needs a login to
  // return the private-key handle; kNotFound names the key and the token.
  Result<KeyHandle> FindKey(std::string_view label_or_uri);

  // Signs message (not a digest) with key: ECDSA hashes with SHA-256/384 and
  // signs with CKM_ECDSA, returning DER; Ed25519 is pure CKM_EDDSA (64 bytes);
  // RSA-PSS hashes with SHA-256 and signs with CKM_RSA_PKCS_PSS, salt 32.
  Result<std::string> Sign(const KeyHandle& key, std::string_view message);

  // Signs a digest the caller computed while streaming a large file, giving
  // exactly what Sign would give for the whole message: ECDSA P-256 takes a
  // SHA-256 digest, P-384 a SHA-384 digest, RSA-PSS a SHA-256 digest.
  // Ed25519 is pure (RFC 8032) and cannot sign a digest: kFailedPrecondition.
  // kInvalidArgument for a digest of the wrong length.
  Result<std::string> SignDigest(const KeyHandle& key, std::string_view digest);

  // Reads one attribute of the key's private object. Exists so tests and
  // audits can show that CKA_VALUE and friends cannot be read.
  Result<std::string> ReadPrivateAttribute(const KeyHandle& key, unsigned long type);
  // A CK_BBOOL attribute of the private key (CKA_SENSITIVE, CKA_EXTRACTABLE...).
  Result<bool> PrivateFlag(const KeyHandle& key, unsigned long type);

 private:
  Session(std::shared_ptr<Module> module, TokenInfo token, unsigned long handle)
      : module_(std::move(module)), token_(std::move(token)), handle_(handle) {}
  Result<std::string> GetAttribute(unsigned long object, unsigned long type);
  // Several attributes of one object in one call, with room for what a
  // key's attributes take (else two: their sizes, then their values),
  // instead of two calls each: SoftHSMv2 re-opens and re-reads the object's
  // file for every C_GetAttributeValue. An attribute the object does not
  // have or will not reveal is std::nullopt (PKCS#11 2.40 5.7: its length
  // comes back as CK_UNAVAILABLE_INFORMATION).
  Result<std::vector<std::optional<std::string>>> GetAttributes(
      unsigned long object, std::initializer_list<unsigned long> types);
  // Objects of class cls (kAnyClass: of every class) with this label and
  // id (each ignored when empty).
  static constexpr unsigned long kAnyClass = ~0ul;
  Result<std::vector<unsigned long>> FindObjects(unsigned long cls, std::string_view label,
                                                 std::string_view id);
  Result<KeyInfo> DescribePublicKey(unsigned long object);
  Result<unsigned long> GenerateKeyPair(std::string_view label, std::string_view id,
                                        Algorithm algorithm);
  Result<std::string> SignRaw(const KeyHandle& key, std::string_view data);
  std::string KeyUri(std::string_view label, std::string_view id) const;

  std::shared_ptr<Module> module_;
  TokenInfo token_;
  unsigned long handle_;      // CK_SESSION_HANDLE
  bool logged_in_ = false;    // this Session logged in (and logs out when destroyed)
  bool user_access_ = false;  // private objects usable: our login, or the process's
  std::mutex mu_;
};

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_SESSION_H_
