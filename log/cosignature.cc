#include "log/cosignature.h"

#include <dirent.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"
#include "base/secret.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/vkey.h"

namespace sr::log {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr std::size_t kCosignatureBlobBytes = 4 + 8 + 64;
constexpr std::uint64_t kMaxWitnessKeyBytes = 16 * 1024;

struct SplitNote {
  std::string_view text;                // ends in '\n'
  std::vector<std::string_view> lines;  // signature lines, without '\n'
};

Result<SplitNote> Split(std::string_view note) {
  if (note.size() > kMaxNoteBytes) return InvalidArgument("signed note is larger than 64 KiB");
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos || note.back() != '\n')
    return InvalidArgument("not a signed note: no blank line before the signature lines");
  SplitNote s{note.substr(0, split + 1), {}};
  std::string_view rest = note.substr(split + 2);
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) nl = rest.size();
    s.lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(std::min(rest.size(), nl + 1));
  }
  return s;
}

// "— name base64" -> (name, blob); nullopt when malformed.
std::optional<std::pair<std::string_view, std::string>> ParseSigLine(std::string_view line) {
  if (line.substr(0, kSigPrefix.size()) != kSigPrefix) return std::nullopt;
  line.remove_prefix(kSigPrefix.size());
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto blob = Base64Decode(line.substr(sp + 1), "signature");
  if (!blob.ok() || blob->size() < 4) return std::nullopt;
  return std::make_pair(line.substr(0, sp), std::move(blob).value());
}

std::uint64_t LoadBe64At(std::string_view s, std::size_t at) { return LoadBe64(s.data() + at); }

std::string CosignaturesDir(std::string_view log_dir) {
  return JoinPath(log_dir, kCosignaturesDir);
}

Result<NoteVerifier> LogVerifier(std::string_view log_dir) {
  SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(log_dir, kVkeyFile), 4096));
  return NoteVerifier::Parse(vkey);
}

}  // namespace

std::string CosignerKeyId(std::string_view name, std::string_view public_key) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(kCosignatureV1Type);
  buf.append(public_key);
  return Sha256Bytes(buf).substr(0, 4);
}

std::string EncodeCosignerKey(std::string_view name, std::string_view public_key) {
  std::string typed(1, kCosignatureV1Type);
  typed.append(public_key);
  return std::string(name) + "+" + HexEncode(CosignerKeyId(name, public_key)) + "+" +
         Base64Encode(typed);
}

std::string CosignedMessage(std::string_view checkpoint_text, std::uint64_t time) {
  return "cosignature/v1\ntime " + std::to_string(time) + "\n" + std::string(checkpoint_text);
}

Result<CosignatureVerifier> CosignatureVerifier::Parse(std::string_view vkey) {
  SR_ASSIGN_OR_RETURN(VerifierKeyParts parts, SplitVerifierKey(vkey, "witness"));
  CosignatureVerifier v;
  v.name_ = std::move(parts.name);
  const std::string& hex_id = parts.hex_id;
  const std::string& id = parts.id;
  const std::string& typed = parts.typed;
  if (typed.size() != 33 || typed[0] != kCosignatureV1Type) {
    return InvalidArgument(
        "witness key '" + v.name_ +
        "' is not a tlog-cosignature/v1 key (type 0x04, 32-byte Ed25519): a log's own key "
        "(type 0x01) cannot stand for a witness");
  }
  v.public_key_ = typed.substr(1);
  v.key_id_ = CosignerKeyId(v.name_, v.public_key_);
  if (v.key_id_ != id) {
    return InvalidArgument("witness key id " + std::string(hex_id) +
                           " does not match its name and key (" + HexEncode(v.key_id_) + ")");
  }
  v.pkey_.reset(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                  reinterpret_cast<const unsigned char*>(v.public_key_.data()),
                                  v.public_key_.size()),
      &EVP_PKEY_free);
  if (!v.pkey_) return Internal("OpenSSL could not build the witness's Ed25519 key");
  return v;
}

std::string CosignatureVerifier::ToString() const { return EncodeCosignerKey(name_, public_key_); }

std::optional<std::uint64_t> CosignatureVerifier::Find(std::string_view note) const {
  auto s = Split(note);
  if (!s.ok()) return std::nullopt;
  for (std::string_view line : s->lines) {
    auto parsed = ParseSigLine(line);
    if (!parsed || parsed->first != name_) continue;
    const std::string& blob = parsed->second;
    if (blob.size() != kCosignatureBlobBytes || blob.compare(0, 4, key_id_) != 0) continue;
    std::uint64_t t = LoadBe64At(blob, 4);
    if (t > (std::uint64_t{1} << 63) - 1) continue;
    std::string msg = CosignedMessage(s->text, t);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(blob.data() + 12), 64,
                         reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1) {
      return t;
    }
  }
  return std::nullopt;
}

std::vector<std::string> ValidCosigners(std::string_view note,
                                        const std::vector<CosignatureVerifier>& witnesses) {
  std::vector<std::string> out;
  for (const auto& w : witnesses) {
    if (!w.Find(note)) continue;
    std::string id = w.ToString();
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

struct CosignatureSigner::Key {
  PkeyPtr pkey;
};

CosignatureSigner::CosignatureSigner(std::string name, std::unique_ptr<Key> key)
    : name_(std::move(name)), key_(std::move(key)) {
  public_key_.assign(32, '\0');
  std::size_t len = public_key_.size();
  if (EVP_PKEY_get_raw_public_key(
          key_->pkey.get(), reinterpret_cast<unsigned char*>(public_key_.data()), &len) != 1 ||
      len != 32) {
    public_key_.clear();
  }
}
CosignatureSigner::~CosignatureSigner() = default;

Result<std::unique_ptr<CosignatureSigner>> CosignatureSigner::FromPemFile(std::string_view path,
                                                                          std::string name) {
  if (!IsValidKeyName(name)) return InvalidArgument("invalid witness name '" + name + "'");
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenReadOnly(path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("cannot stat", path, errno);
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition(
        "the witness key file '" + std::string(path) + "' may be read by other users (mode 0" +
        std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
        std::to_string(st.st_mode & 7) + "): chmod 600 it");
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxWitnessKeyBytes || st.st_size == 0) {
    return InvalidArgument("'" + std::string(path) + "' is not a witness key file (size)");
  }
  SecretBytes buf(static_cast<std::size_t>(st.st_size));
  SR_RETURN_IF_ERROR(
      ReadExactAt(fd.get(), 0, reinterpret_cast<char*>(buf.data()), buf.size(), path));
  BioPtr bio(BIO_new_mem_buf(buf.data(), static_cast<int>(buf.size())));
  auto key = std::make_unique<Key>();
  key->pkey.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!key->pkey || EVP_PKEY_get_id(key->pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgument("'" + std::string(path) +
                           "' is not an unencrypted PEM Ed25519 private key (the witness key)");
  }
  return std::unique_ptr<CosignatureSigner>(new CosignatureSigner(std::move(name), std::move(key)));
}

Result<std::unique_ptr<CosignatureSigner>> CosignatureSigner::Generate(std::string_view path,
                                                                       std::string name) {
  if (!IsValidKeyName(name)) return InvalidArgument("invalid witness name '" + name + "'");
  auto key = std::make_unique<Key>();
  key->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key->pkey) return Internal("OpenSSL could not generate an Ed25519 key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return Internal("OpenSSL could not encode the Ed25519 key as PEM");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  Status s = WriteFileAtomic(path, std::string_view(data, static_cast<std::size_t>(n)), 0600, true);
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  SR_RETURN_IF_ERROR(s);
  return std::unique_ptr<CosignatureSigner>(new CosignatureSigner(std::move(name), std::move(key)));
}

Result<std::string> CosignatureSigner::Cosign(std::string_view checkpoint_text,
                                              std::uint64_t time) {
  if (public_key_.size() != 32) return Internal("the witness key has no Ed25519 public key");
  if (time > (std::uint64_t{1} << 63) - 1) return InvalidArgument("cosignature time out of range");
  std::string msg = CosignedMessage(checkpoint_text, time);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1 ||
      len != 64) {
    return Internal("OpenSSL Ed25519 signing failed");
  }
  std::string blob = CosignerKeyId(name_, public_key_);
  AppendBe64(blob, time);
  blob += sig;
  return std::string(kSigPrefix) + name_ + " " + Base64Encode(blob) + "\n";
}

Result<std::size_t> AddCosignatures(std::string_view log_dir, std::string_view note,
                                    std::string_view lines,
                                    const std::vector<CosignatureVerifier>& witnesses) {
  SR_ASSIGN_OR_RETURN(NoteVerifier v, LogVerifier(log_dir));
  auto cp = OpenCheckpoint(note, v);
  if (!cp.ok()) return cp.status().Annotate("the cosigned checkpoint");
  SR_ASSIGN_OR_RETURN(SplitNote given, Split(note));
  if (cp->size > 0) {
    SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(log_dir));
    auto root = RangeHash(r.nodes(), 0, cp->size);
    if (!root.ok() || *root != cp->root) {
      return DataLoss("the cosigned checkpoint (size " + std::to_string(cp->size) +
                      ") is not this log's tree at that size: it comes from another history "
                      "(a fork) or another log; nothing was stored");
    }
  }
  // The new lines, each checked against the checkpoint.
  std::vector<std::string> fresh;
  int line_no = 0;
  while (!lines.empty()) {
    std::size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    auto parsed = ParseSigLine(line);
    if (!parsed) {
      return InvalidArgument("cosignature line " + std::to_string(line_no) +
                             " is not a signature line ('— <name> <base64>')");
    }
    const CosignatureVerifier* w = nullptr;
    for (const auto& c : witnesses)
      if (c.name() == parsed->first && parsed->second.compare(0, 4, c.key_id()) == 0) w = &c;
    if (w == nullptr) {
      return InvalidArgument("cosignature line " + std::to_string(line_no) + " is by '" +
                             std::string(parsed->first) +
                             "', whose key was not given: add --witness VKEY for it");
    }
    std::string one = std::string(given.text) + "\n" + std::string(line) + "\n";
    if (!w->Find(one)) {
      return DataLoss("the cosignature by '" + w->name() + "' (line " + std::to_string(line_no) +
                      ") does not verify over this checkpoint (size " + std::to_string(cp->size) +
                      "): it was made for another checkpoint, or altered");
    }
    fresh.emplace_back(line);
  }
  if (fresh.empty()) return InvalidArgument("no cosignature line was given");

  std::string dir = CosignaturesDir(log_dir);
  SR_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  SR_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(dir, "lock")));
  std::string path = JoinPath(dir, std::to_string(cp->size));
  std::vector<std::string> kept;  // the log's own signature lines, then cosignatures
  std::string stored_text(given.text);
  if (PathExists(path)) {
    SR_ASSIGN_OR_RETURN(std::string old, ReadFile(path, kMaxNoteBytes));
    SR_ASSIGN_OR_RETURN(SplitNote s, Split(old));
    if (s.text != given.text) {
      return DataLoss("a different checkpoint of size " + std::to_string(cp->size) +
                      " is already stored in " + path + ": the log showed two views");
    }
    for (std::string_view l : s.lines) kept.emplace_back(l);
  } else {
    for (std::string_view l : given.lines) {
      auto p = ParseSigLine(l);
      if (p && p->first == v.name()) kept.emplace_back(l);
    }
  }
  std::size_t added = 0;
  for (std::string& l : fresh) {
    auto p = ParseSigLine(l);
    bool have = false;
    for (const std::string& k : kept) {
      auto q = ParseSigLine(k);
      have = have || (q && q->first == p->first && q->second.compare(0, 4, p->second, 0, 4) == 0);
    }
    if (have) continue;
    kept.push_back(std::move(l));
    ++added;
  }
  std::string out = stored_text + "\n";
  for (const std::string& l : kept) out += l + "\n";
  if (added > 0) SR_RETURN_IF_ERROR(WriteFileAtomic(path, out, 0644));
  return added;
}

Result<std::string> WithStoredCosignatures(std::string_view log_dir, std::string_view note) {
  SR_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointUnverified(note));
  std::string path = JoinPath(CosignaturesDir(log_dir), std::to_string(cp.size));
  if (!PathExists(path)) return std::string(note);
  SR_ASSIGN_OR_RETURN(std::string stored, ReadFile(path, kMaxNoteBytes));
  SR_ASSIGN_OR_RETURN(SplitNote s, Split(stored));
  SR_ASSIGN_OR_RETURN(SplitNote n, Split(note));
  if (s.text != n.text) return std::string(note);
  std::string out(note);
  for (std::string_view l : s.lines) {
    if (std::find(n.lines.begin(), n.lines.end(), l) == n.lines.end()) out += std::string(l) + "\n";
  }
  return out;
}

Result<std::vector<std::pair<std::uint64_t, std::string>>> StoredCosignedNotes(
    std::string_view log_dir) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  std::string dir = CosignaturesDir(log_dir);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return ErrnoError("cannot read", dir, errno);
  }
  std::vector<std::uint64_t> sizes;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    std::uint64_t size = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), size);
    if (ec == std::errc() && p == name.data() + name.size() && !name.empty()) sizes.push_back(size);
  }
  ::closedir(d);
  std::sort(sizes.rbegin(), sizes.rend());
  for (std::uint64_t s : sizes) {
    SR_ASSIGN_OR_RETURN(std::string note,
                        ReadFile(JoinPath(dir, std::to_string(s)), kMaxNoteBytes));
    out.emplace_back(s, std::move(note));
  }
  return out;
}

}  // namespace sr::log
