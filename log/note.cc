#include "log/note.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <charconv>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"
#include "log/vkey.h"

namespace sr::log {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space

std::string RawPublicKey(EVP_PKEY* pkey) {
  std::string out(32, '\0');
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != 32) {
    return "";
  }
  return out;
}

Result<std::uint64_t> ParseDecimal(std::string_view s, std::string_view field) {
  if (s.empty() || (s.size() > 1 && s[0] == '0') || s.size() > 20) {
    return InvalidArgument(std::string(field) + " '" + std::string(s) +
                           "' is not a decimal number without leading zeroes");
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return InvalidArgument(std::string(field) + " '" + std::string(s) +
                           "' is not a decimal number");
  }
  return v;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(std::min(text.size(), nl + 1));
  }
  return lines;
}

}  // namespace

struct Ed25519NoteSigner::Key {
  PkeyPtr pkey;
};

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, std::unique_ptr<Key> key)
    : name_(std::move(name)), key_(std::move(key)) {
  public_key_ = RawPublicKey(key_->pkey.get());
}
Ed25519NoteSigner::~Ed25519NoteSigner() = default;

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::Generate(std::string name) {
  if (!IsValidKeyName(name)) return InvalidArgument("invalid note key name '" + name + "'");
  auto key = std::make_unique<Key>();
  key->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key->pkey) return Internal("OpenSSL could not generate an Ed25519 key");
  return std::unique_ptr<Ed25519NoteSigner>(new Ed25519NoteSigner(std::move(name), std::move(key)));
}

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::FromPemFile(std::string name,
                                                                          std::string_view path) {
  if (!IsValidKeyName(name)) return InvalidArgument("invalid note key name '" + name + "'");
  SR_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, 16 * 1024));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  auto key = std::make_unique<Key>();
  key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key->pkey || EVP_PKEY_get_id(key->pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgument("'" + std::string(path) + "' is not a PEM Ed25519 private key");
  }
  return std::unique_ptr<Ed25519NoteSigner>(new Ed25519NoteSigner(std::move(name), std::move(key)));
}

Result<std::string> Ed25519NoteSigner::Sign(std::string_view msg) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1 ||
      len != 64) {
    return Internal("OpenSSL Ed25519 signing failed");
  }
  return sig;
}

Status Ed25519NoteSigner::WritePemFile(std::string_view path) const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return Internal("OpenSSL could not encode the Ed25519 key as PEM");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  Status s = WriteFileAtomic(path, std::string_view(data, static_cast<std::size_t>(n)), 0600, true);
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  return s;
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  }
  return true;
}

std::string KeyId(std::string_view name, std::string_view public_key, std::uint8_t type) {
  if (type == kNoteEcdsa) return Sha256Bytes(public_key).substr(0, 4);
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(static_cast<char>(type));
  buf.append(public_key);
  return Sha256Bytes(buf).substr(0, 4);
}

std::string EncodeVerifierKey(std::string_view name, std::string_view public_key,
                              std::uint8_t type) {
  std::string typed(1, static_cast<char>(type));
  typed.append(public_key);
  return std::string(name) + "+" + HexEncode(KeyId(name, public_key, type)) + "+" +
         Base64Encode(typed);
}

std::string VerifierKeyOf(const NoteSigner& signer) {
  return EncodeVerifierKey(signer.Name(), signer.PublicKey(), signer.SignatureType());
}

namespace {

// The ECDSA key of a type 0x02 verifier key: an EC SubjectPublicKeyInfo on a
// curve the spec admits, its DER exactly as given (the key ID hashes it).
Result<std::shared_ptr<EVP_PKEY>> EcdsaVerifierPkey(std::string_view spki) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki.data());
  std::shared_ptr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())),
                                 &EVP_PKEY_free);
  if (!pkey || p != reinterpret_cast<const unsigned char*>(spki.data() + spki.size()) ||
      EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC) {
    return InvalidArgument("verifier key of type 0x02 does not hold an ECDSA SubjectPublicKeyInfo");
  }
  char curve[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), "group", curve, sizeof curve, &len) != 1 ||
      (std::string_view(curve) != "prime256v1" && std::string_view(curve) != "secp384r1" &&
       std::string_view(curve) != "secp521r1")) {
    return InvalidArgument("verifier key of type 0x02 is not on NIST P-256, P-384 or P-521");
  }
  return pkey;
}

}  // namespace

Result<VerifierKeyParts> SplitVerifierKey(std::string_view vkey, std::string_view what) {
  const std::string w(what);
  while (!vkey.empty() && (vkey.back() == '\n' || vkey.back() == '\r')) vkey.remove_suffix(1);
  std::size_t p1 = vkey.find('+');
  std::size_t p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos)
    return InvalidArgument(w + " key is not '<name>+<hex key id>+<base64 key>'");
  VerifierKeyParts out;
  out.name = std::string(vkey.substr(0, p1));
  if (!IsValidKeyName(out.name))
    return InvalidArgument(w + " key name '" + out.name + "' is invalid");
  out.hex_id = std::string(vkey.substr(p1 + 1, p2 - p1 - 1));
  if (out.hex_id.size() != 8) return InvalidArgument(w + " key id must be 8 hex digits");
  SR_ASSIGN_OR_RETURN(out.id, HexDecode(out.hex_id, w + " key id"));
  SR_ASSIGN_OR_RETURN(out.typed, Base64Decode(vkey.substr(p2 + 1), w + " public key"));
  return out;
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  SR_ASSIGN_OR_RETURN(VerifierKeyParts parts, SplitVerifierKey(vkey, "verifier"));
  NoteVerifier v;
  v.name_ = std::move(parts.name);
  const std::string& hex_id = parts.hex_id;
  const std::string& id = parts.id;
  const std::string& typed = parts.typed;
  const std::uint8_t type =
      typed.size() < 2 ? 0 : static_cast<std::uint8_t>(std::string_view(typed).front());
  if (type != kNoteEd25519 && type != kNoteEcdsa) {
    return InvalidArgument("verifier key is neither Ed25519 (type 0x01) nor ECDSA (type 0x02)");
  }
  v.type_ = type;
  if (v.type_ == kNoteEd25519 && typed.size() != 33) {
    return InvalidArgument("verifier key is not an Ed25519 (type 0x01, 32-byte) key");
  }
  if (v.type_ == kNoteEcdsa && typed.size() > 1024) {
    return InvalidArgument("verifier key of type 0x02 is longer than any ECDSA key");
  }
  v.public_key_ = typed.substr(1);
  v.key_id_ = KeyId(v.name_, v.public_key_, v.type_);
  if (v.key_id_ != id) {
    return InvalidArgument("verifier key id " + std::string(hex_id) +
                           " does not match its name and key (" + HexEncode(v.key_id_) + ")");
  }
  if (v.type_ == kNoteEcdsa) {
    SR_ASSIGN_OR_RETURN(v.pkey_, EcdsaVerifierPkey(v.public_key_));
    return v;
  }
  v.pkey_.reset(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(v.public_key_.data()),
                                  v.public_key_.size()),
      &EVP_PKEY_free);
  if (!v.pkey_) return Internal("OpenSSL could not build the verifier's Ed25519 key");
  return v;
}

bool NoteVerifier::VerifySignature(std::string_view msg, std::string_view sig) const {
  if (!pkey_) return false;
  if (type_ == kNoteEd25519 && sig.size() != 64) return false;
  if (type_ == kNoteEcdsa && (sig.empty() || sig.size() > 160)) return false;
  // ECDSA notes hash with SHA-256 whatever the curve (the type's definition).
  const EVP_MD* md = type_ == kNoteEcdsa ? EVP_sha256() : nullptr;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

Result<std::string> SignNote(std::string_view text, NoteSigner& signer) {
  if (text.empty() || text.back() != '\n' || text.find("\n\n") != std::string_view::npos) {
    return InvalidArgument("note text must be non-empty lines, each ending in a newline");
  }
  std::string name = signer.Name();
  std::string pub = signer.PublicKey();
  std::uint8_t type = signer.SignatureType();
  bool ed25519 = type == kNoteEd25519;
  if (!IsValidKeyName(name) || (ed25519 && pub.size() != 32) ||
      (!ed25519 && (type != kNoteEcdsa || pub.empty()))) {
    return InvalidArgument("note signer has an invalid name, type or public key");
  }
  SR_ASSIGN_OR_RETURN(std::string sig, signer.Sign(text));
  if (ed25519 && sig.size() != 64)
    return Internal("note signer returned a signature that is not 64 bytes");
  if (!ed25519 && (sig.size() < 8 || sig.size() > 160 || sig[0] != 0x30))
    return Internal("note signer returned an ECDSA signature that is not DER");
  std::string out(text);
  out += "\n";
  out.append(kSigPrefix);
  out += name + " " + Base64Encode(KeyId(name, pub, type) + sig) + "\n";
  return out;
}

Result<std::string> OpenNote(std::string_view note, const NoteVerifier& verifier) {
  if (note.size() > kMaxNoteBytes) return InvalidArgument("signed note is larger than 64 KiB");
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos || note.empty() || note.back() != '\n') {
    return InvalidArgument("not a signed note: no blank line before the signature lines");
  }
  std::string_view text = note.substr(0, split + 1);
  bool found = false;
  for (std::string_view line : SplitLines(note.substr(split + 2))) {
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return InvalidArgument("signed note has a malformed signature line");
    }
    line.remove_prefix(kSigPrefix.size());
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos)
      return InvalidArgument("signed note signature line has no space");
    if (line.substr(0, sp) != verifier.name()) continue;
    auto blob = Base64Decode(line.substr(sp + 1), "note signature");
    if (!blob.ok() || blob->size() < 4)
      return InvalidArgument("signed note signature is not base64");
    if (blob->substr(0, 4) != verifier.key_id()) continue;
    if (!verifier.VerifySignature(text, blob->substr(4))) {
      return DataLoss("the signature by '" + verifier.name() +
                      "' does not verify: the note was altered or forged");
    }
    found = true;
  }
  if (!found) {
    return DataLoss("the note has no signature by the key '" + verifier.name() + "+" +
                    HexEncode(verifier.key_id()) + "'");
  }
  return std::string(text);
}

std::string Checkpoint::Text() const {
  std::string t = origin + "\n" + std::to_string(size) + "\n" + Base64Encode(root) + "\n";
  for (const std::string& e : extensions) t += e + "\n";
  return t;
}

Result<Checkpoint> Checkpoint::ParseText(std::string_view text) {
  if (text.empty() || text.back() != '\n')
    return InvalidArgument("checkpoint text must end in a newline");
  std::vector<std::string_view> lines = SplitLines(text);
  if (lines.size() < 3) return InvalidArgument("checkpoint has fewer than three lines");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return InvalidArgument("checkpoint origin line is empty");
  SR_ASSIGN_OR_RETURN(c.size, ParseDecimal(lines[1], "checkpoint tree size"));
  SR_ASSIGN_OR_RETURN(c.root, Base64Decode(lines[2], "checkpoint root hash"));
  if (c.root.size() != 32) return InvalidArgument("checkpoint root hash is not 32 bytes");
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return InvalidArgument("checkpoint has an empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

Result<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& verifier) {
  SR_ASSIGN_OR_RETURN(std::string text, OpenNote(note, verifier));
  SR_ASSIGN_OR_RETURN(Checkpoint c, Checkpoint::ParseText(text));
  if (c.origin != verifier.name()) {
    return DataLoss("checkpoint origin '" + c.origin + "' is not the log's name '" +
                    verifier.name() + "'");
  }
  return c;
}

Result<Checkpoint> ParseCheckpointUnverified(std::string_view note) {
  if (note.size() > kMaxNoteBytes) return InvalidArgument("checkpoint is larger than 64 KiB");
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return InvalidArgument("checkpoint has no signature block");
  return Checkpoint::ParseText(note.substr(0, split + 1));
}

}  // namespace sr::log
