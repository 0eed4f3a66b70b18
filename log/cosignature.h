// C2SP tlog-cosignature/v1: witnesses' Ed25519 cosignatures on checkpoints
// (signature type 0x04), and the store of cosignatures a station was given
// (LOG/cosignatures/, docs/formats.md "Cosignatures").
//
// A cosignature line is a signed-note signature line
//   — <witness name> base64(key id || u64 big-endian time || Ed25519 signature)
// over "cosignature/v1\ntime <time>\n" + the checkpoint text, with key id
// SHA-256(name || "\n" || 0x04 || public key)[:4]. A witness's public key is
// published as a vkey "<name>+<hex key id>+base64(0x04 || key)".
// Verifiers are immutable and thread-safe; the signer is not thread-safe.
#ifndef STRONGROOM_LOG_COSIGNATURE_H_
#define STRONGROOM_LOG_COSIGNATURE_H_

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sr::log {

inline constexpr char kCosignatureV1Type = 0x04;
inline constexpr std::string_view kCosignaturesDir = "cosignatures";

// SHA-256(name || "\n" || 0x04 || public_key)[:4].
std::string CosignerKeyId(std::string_view name, std::string_view public_key);
// "<name>+<hex key id>+<base64(0x04 || public_key)>".
std::string EncodeCosignerKey(std::string_view name, std::string_view public_key);
// "cosignature/v1\ntime <time>\n" + checkpoint_text.
std::string CosignedMessage(std::string_view checkpoint_text, std::uint64_t time);

// A witness's public key, from its vkey.
class CosignatureVerifier {
 public:
  // kInvalidArgument naming what is wrong (form, name, key id, not type 0x04).
  static Result<CosignatureVerifier> Parse(std::string_view vkey);
  const std::string& name() const { return name_; }
  const std::string& key_id() const { return key_id_; }
  std::string ToString() const;
  // The time of this witness's valid cosignature among the note's signature
  // lines (over the note's text), nullopt when it has none that verifies.
  std::optional<std::uint64_t> Find(std::string_view note) const;

 private:
  std::string name_, key_id_, public_key_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

// Which of `witnesses` (by name) cosigned the note validly.
std::vector<std::string> ValidCosigners(std::string_view note,
                                        const std::vector<CosignatureVerifier>& witnesses);

// A witness's private key: an unencrypted PKCS#8 PEM Ed25519 key file (the
// key-file convention of Ed25519NoteSigner and policy keys), read bounded,
// without following a symbolic link, refused when others may read it, and
// wiped after parsing. The witness's name is not in the file: it comes from
// the witness's vkey, whose key must be this key's.
class CosignatureSigner {
 public:
  static Result<std::unique_ptr<CosignatureSigner>> FromPemFile(std::string_view path,
                                                                std::string name);
  // A fresh key written to path (mode 0600, refuses to overwrite).
  static Result<std::unique_ptr<CosignatureSigner>> Generate(std::string_view path,
                                                             std::string name);
  ~CosignatureSigner();
  const std::string& name() const { return name_; }
  const std::string& public_key() const { return public_key_; }
  std::string Vkey() const { return EncodeCosignerKey(name_, public_key_); }
  // The signature line (ending in '\n') over checkpoint_text at `time`.
  Result<std::string> Cosign(std::string_view checkpoint_text, std::uint64_t time);

 private:
  struct Key;
  CosignatureSigner(std::string name, std::unique_ptr<Key> key);
  std::string name_, public_key_;
  std::unique_ptr<Key> key_;
};

// The station's store of cosignatures: LOG/cosignatures/<tree size> holds
// the log's checkpoint note of that size with the cosignature lines given
// for it appended. Writes take LOG/cosignatures/lock (not the log's writer
// lock: a signing session is never blocked by it).

// Checks `lines` (one or more cosignature lines, as `log cosign` writes)
// against `note` (a checkpoint of this log, verified with DIR/vkey and
// checked to be this log's tree at its size) with the witnesses' keys, and
// stores them. Every line must be a valid cosignature by one of
// `witnesses`; otherwise nothing is stored. Returns how many lines were new.
Result<std::size_t> AddCosignatures(std::string_view log_dir, std::string_view note,
                                    std::string_view lines,
                                    const std::vector<CosignatureVerifier>& witnesses);
// note with the cosignature lines stored for its checkpoint appended (note
// itself when none are stored).
Result<std::string> WithStoredCosignatures(std::string_view log_dir, std::string_view note);
// The stored cosigned checkpoint notes, largest tree size first (not verified).
Result<std::vector<std::pair<std::uint64_t, std::string>>> StoredCosignedNotes(
    std::string_view log_dir);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_COSIGNATURE_H_
