// C2SP signed notes (signed-note@v1) with Ed25519 signatures (type 0x01) or
// ECDSA signatures (type 0x02, for logs whose HSM has no Ed25519: a TPM), and
// C2SP tlog-checkpoint bodies.
//
// log/ never talks to an HSM: it signs through NoteSigner. The station adapts
// its HSM-resident log key to this interface; Ed25519NoteSigner is an OpenSSL
// implementation for tests, benchmarks and tools.
#ifndef STRONGROOM_LOG_NOTE_H_
#define STRONGROOM_LOG_NOTE_H_

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sr::log {

// Upper bound on a note or checkpoint file we parse.
inline constexpr std::size_t kMaxNoteBytes = 64 * 1024;

// Note signature types (c2sp.org/signed-note, "Signature types").
// 0x01: Ed25519 over the note text; the verifier key carries the 32-byte
// RFC 8032 public key, the key ID is SHA-256(name || 0x0A || 0x01 || key)[:4].
inline constexpr std::uint8_t kNoteEd25519 = 0x01;
// 0x02: ECDSA "as implemented by github.com/transparency-dev/witness": an
// ASN.1 DER signature over SHA-256 of the note text whatever the curve (P-256,
// P-384 or P-521); the verifier key carries the SubjectPublicKeyInfo DER and
// the key ID is SHA-256(SPKI DER)[:4] (neither name nor type byte).
inline constexpr std::uint8_t kNoteEcdsa = 0x02;

// Signs note texts. Implementations need not be thread-safe; callers
// serialize (the log holds its lock while signing).
class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  // Key name: non-empty, no whitespace, no '+'. Used as the checkpoint origin.
  virtual std::string Name() const = 0;
  // kNoteEd25519 or kNoteEcdsa.
  virtual std::uint8_t SignatureType() const { return kNoteEd25519; }
  // The public key as the verifier key carries it: 32 raw bytes (Ed25519),
  // SubjectPublicKeyInfo DER (ECDSA).
  virtual std::string PublicKey() const = 0;
  // 64-byte Ed25519 signature over msg; for ECDSA, the DER signature over
  // SHA-256(msg).
  virtual Result<std::string> Sign(std::string_view msg) = 0;
};

// OpenSSL-backed Ed25519 signer. The private key lives in OpenSSL's
// EVP_PKEY (freed and wiped by OpenSSL on destruction).
class Ed25519NoteSigner final : public NoteSigner {
 public:
  // A fresh key generated in memory.
  static Result<std::unique_ptr<Ed25519NoteSigner>> Generate(std::string name);
  // A PKCS#8 PEM Ed25519 private key file (O_NOFOLLOW, at most 16 KiB).
  static Result<std::unique_ptr<Ed25519NoteSigner>> FromPemFile(std::string name,
                                                                std::string_view path);
  ~Ed25519NoteSigner() override;
  std::string Name() const override { return name_; }
  std::string PublicKey() const override { return public_key_; }
  Result<std::string> Sign(std::string_view msg) override;
  // Writes the private key as PKCS#8 PEM (mode 0600, refuses to overwrite).
  Status WritePemFile(std::string_view path) const;

 private:
  struct Key;
  Ed25519NoteSigner(std::string name, std::unique_ptr<Key> key);
  std::string name_;
  std::string public_key_;
  std::unique_ptr<Key> key_;
};

bool IsValidKeyName(std::string_view name);
// Ed25519: SHA-256(name || 0x0A || 0x01 || public_key)[:4];
// ECDSA: SHA-256(public_key, the SPKI DER)[:4].
std::string KeyId(std::string_view name, std::string_view public_key,
                  std::uint8_t type = kNoteEd25519);
// "<name>+<hex key id>+<base64(type || public_key)>".
std::string EncodeVerifierKey(std::string_view name, std::string_view public_key,
                              std::uint8_t type = kNoteEd25519);
// The verifier key of signer (its name, type and public key).
std::string VerifierKeyOf(const NoteSigner& signer);

// A parsed Ed25519 or ECDSA verifier key. Immutable; thread-safe.
class NoteVerifier {
 public:
  // Fails with kInvalidArgument naming the part that is wrong (name, key id
  // mismatch, an unknown type, key length, an ECDSA key not on P-256, P-384
  // or P-521).
  static Result<NoteVerifier> Parse(std::string_view vkey);
  const std::string& name() const { return name_; }
  const std::string& key_id() const { return key_id_; }
  // 32 raw bytes (Ed25519) or the SPKI DER (ECDSA).
  const std::string& public_key() const { return public_key_; }
  std::uint8_t type() const { return type_; }
  std::string ToString() const { return EncodeVerifierKey(name_, public_key_, type_); }
  bool VerifySignature(std::string_view msg, std::string_view sig) const;

 private:
  std::string name_, key_id_, public_key_;
  std::uint8_t type_ = kNoteEd25519;
  // Built once by Parse (OpenSSL 3 takes ~20 us to build a key); an
  // EVP_PKEY is safe to verify with from several threads.
  std::shared_ptr<EVP_PKEY> pkey_;
};

// text must end in '\n'. Returns text + "\n" + "— <name> <base64(id||sig)>\n".
Result<std::string> SignNote(std::string_view text, NoteSigner& signer);
// Splits a note, finds a signature line by `verifier` (same name and key id),
// verifies it and returns the text. Lines from other keys are ignored, as the
// spec requires; a matching line that does not verify is kDataLoss.
Result<std::string> OpenNote(std::string_view note, const NoteVerifier& verifier);

// A tlog-checkpoint body.
struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  std::string root;  // 32 raw bytes
  std::vector<std::string> extensions;
  // "<origin>\n<size>\n<base64 root>\n" plus extension lines.
  std::string Text() const;
  static Result<Checkpoint> ParseText(std::string_view text);
};

// Verifies a signed checkpoint note with `verifier` and parses its body; the
// origin must equal the verifier's key name.
Result<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& verifier);
// Parses a checkpoint note without verifying any signature (for reading the
// state the log writer itself stored; never for auditing).
Result<Checkpoint> ParseCheckpointUnverified(std::string_view note);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_NOTE_H_
