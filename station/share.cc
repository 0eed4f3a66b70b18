#include "station/share.h"

// libgfshare.h declares C functions without extern "C".
extern "C" {
#include <libgfshare.h>
}
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "base/encoding.h"
#include "base/hash.h"

namespace sr::custody {
namespace {

// Passphrase protection: scrypt (RFC 7914) with these costs (~32 MiB, about
// 0.1 s), then AES-256-GCM.
constexpr std::uint64_t kScryptN = 1u << 15;
constexpr unsigned kScryptR = 8, kScryptP = 1;
constexpr std::size_t kSaltBytes = 16, kNonceBytes = 12, kTagBytes = 16;
constexpr std::size_t kDataHexPerLine = 64;  // 32 bytes a line: short enough to type

void FillRandom(unsigned char* buf, unsigned int n) {
  // libgfshare cannot report a failure; a station whose CSPRNG fails must
  // not split a PIN with predictable coefficients.
  if (RAND_priv_bytes(buf, static_cast<int>(n)) != 1) std::abort();
}

struct GfshareFree {
  void operator()(gfshare_ctx* c) const { gfshare_ctx_free(c); }
};
using GfsharePtr = std::unique_ptr<gfshare_ctx, GfshareFree>;

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* k) const { EVP_KDF_CTX_free(k); }
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string_view View(const SecretBytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The header fields a fingerprint and the encryption bind.
std::string BindingText(const ShareHeader& h) {
  return "strongroom-pin-share-fingerprint v1\nstation=" + h.station_id + "\ntoken=" + h.token +
         "\npin=" + h.pin + "\nsplit=" + h.split_id + "\nindex=" + std::to_string(h.index) +
         "\nthreshold=" + std::to_string(h.threshold) + "\nshares=" + std::to_string(h.shares) +
         "\nlength=" + std::to_string(h.secret_length) + "\n";
}

std::string LineCheck(std::size_t number, std::string_view content) {
  return Sha256Hex("strongroom-share-line " + std::to_string(number) + "\n" + std::string(content))
      .substr(0, 4);
}

Result<SecretBytes> ScryptKey(const SecretBytes& passphrase, std::string_view salt, std::uint64_t n,
                              unsigned r, unsigned p) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return Internal("OpenSSL has no scrypt KDF");
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  std::uint64_t maxmem = 256u << 20;
  std::uint32_t r32 = r, p32 = p;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD, const_cast<std::uint8_t*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  SecretBytes key(32);
  if (!ctx || EVP_KDF_derive(ctx.get(), key.data(), key.size(), params) != 1)
    return Internal("scrypt key derivation failed");
  return key;
}

// AES-256-GCM of in under key; encrypt or decrypt (then in ends with the tag).
Result<SecretBytes> Gcm(bool encrypt, const SecretBytes& key, std::string_view nonce,
                        std::string_view aad, std::span<const std::uint8_t> in) {
  std::unique_ptr<EVP_CIPHER_CTX, KdfFree> c(EVP_CIPHER_CTX_new());
  if (!c) return Internal("EVP_CIPHER_CTX_new failed");
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  int ok = encrypt ? EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv)
                   : EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv);
  if (ok != 1) return Internal("AES-256-GCM init failed");
  std::size_t body = encrypt ? in.size() : in.size() - kTagBytes;
  SecretBytes out(body + (encrypt ? kTagBytes : 0));
  int n = 0;
  const auto* a = reinterpret_cast<const unsigned char*>(aad.data());
  if (encrypt) {
    if (EVP_EncryptUpdate(c.get(), nullptr, &n, a, int(aad.size())) != 1 ||
        EVP_EncryptUpdate(c.get(), out.data(), &n, in.data(), int(body)) != 1 ||
        EVP_EncryptFinal_ex(c.get(), out.data() + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out.data() + body) != 1)
      return Internal("AES-256-GCM encryption failed");
    return out;
  }
  SecretBytes tag(in.begin() + std::ptrdiff_t(body), in.end());
  if (EVP_DecryptUpdate(c.get(), nullptr, &n, a, int(aad.size())) != 1 ||
      EVP_DecryptUpdate(c.get(), out.data(), &n, in.data(), int(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(c.get(), out.data() + n, &n) != 1)
    return Status(Code::kPermissionDenied, "");
  return out;
}

void AppendHex(SecretBytes& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint8_t b : bytes) {
    out.push_back(std::uint8_t(kHex[b >> 4]));
    out.push_back(std::uint8_t(kHex[b & 15]));
  }
}

int HexValue(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AddLine(SecretBytes& out, std::size_t& number, std::string_view content) {
  ++number;
  out.insert(out.end(), content.begin(), content.end());
  std::string check = "  ~" + LineCheck(number, content) + "\n";
  out.insert(out.end(), check.begin(), check.end());
}

Result<unsigned> ParseUnsigned(std::string_view v, std::string_view what, std::string_view field) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    return InvalidArgument(std::string(what) + ": " + std::string(field) + " is not a number");
  return n;
}

}  // namespace

void UseCsprngForGfshare() {
  static std::once_flag once;
  std::call_once(once, [] { gfshare_fill_rand = FillRandom; });
}

bool GfshareUsesCsprng() { return gfshare_fill_rand == FillRandom; }

bool ValidCustodianName(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

std::string ShareFingerprint(const ShareHeader& h, const SecretBytes& data) {
  Sha256Hasher hasher;
  hasher.Update(BindingText(h));
  hasher.Update(View(data));
  Sha256Digest d = hasher.Finish();
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Result<std::vector<Share>> Split(const SecretBytes& secret, const ShareHeader& header,
                                 const std::vector<std::string>& custodians) {
  const unsigned m = header.threshold, n = header.shares;
  if (m < 2 || m > n || n > kMaxShares)
    return InvalidArgument("a custody split needs 2 <= M <= N <= " + std::to_string(kMaxShares) +
                           " (got " + std::to_string(m) + " of " + std::to_string(n) + ")");
  if (secret.empty() || secret.size() > kMaxSecretBytes)
    return InvalidArgument("a secret to split must be 1 to 255 bytes");
  UseCsprngForGfshare();
  std::vector<unsigned char> nrs(n);
  for (unsigned i = 0; i < n; ++i) nrs[i] = static_cast<unsigned char>(i + 1);
  GfsharePtr ctx(gfshare_ctx_init_enc(nrs.data(), n, static_cast<unsigned char>(m),
                                      static_cast<unsigned>(secret.size())));
  if (!ctx) return Internal("libgfshare refused the split parameters");
  SecretBytes copy = secret;  // libgfshare takes a non-const pointer
  gfshare_ctx_enc_setsecret(ctx.get(), copy.data());
  std::vector<Share> out;
  for (unsigned i = 0; i < n; ++i) {
    Share s;
    s.header = header;
    s.header.index = i + 1;
    s.header.secret_length = static_cast<unsigned>(secret.size());
    if (i < custodians.size()) s.header.custodian = custodians[i];
    s.data.resize(secret.size());
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i), s.data.data());
    s.fingerprint = ShareFingerprint(s.header, s.data);
    out.push_back(std::move(s));
  }
  return out;
}

Result<SecretBytes> Combine(const std::vector<const Share*>& shares) {
  if (shares.empty()) return InvalidArgument("no shares to combine");
  UseCsprngForGfshare();
  const unsigned size = shares[0]->header.secret_length;
  std::vector<unsigned char> nrs;
  for (const Share* s : shares) {
    if (s->header.secret_length != size || s->data.size() != size)
      return InvalidArgument("shares of different lengths cannot be combined");
    nrs.push_back(static_cast<unsigned char>(s->header.index));
  }
  GfsharePtr ctx(gfshare_ctx_init_dec(nrs.data(), static_cast<unsigned>(nrs.size()), size));
  if (!ctx) return Internal("libgfshare refused the combination parameters");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    SecretBytes copy = shares[i]->data;
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i), copy.data());
  }
  SecretBytes secret(size);
  gfshare_ctx_dec_extract(ctx.get(), secret.data());
  return secret;
}

Result<SecretBytes> FormatShare(const Share& s, const SecretBytes& passphrase) {
  const ShareHeader& h = s.header;
  SecretBytes out;
  std::string intro =
      "# strongroom PIN share " + std::to_string(h.index) + " of " + std::to_string(h.shares) +
      " (any " + std::to_string(h.threshold) + " open the " + h.token + " token's " + h.pin +
      " PIN)\n# Keep it apart from the other shares. Each line ends with its check (~XXXX).\n";
  out.insert(out.end(), intro.begin(), intro.end());
  std::size_t number = 0;
  std::string all;  // every content line, for the whole-share checksum
  all.reserve(kMaxShareTextBytes);  // never reallocated: wiped once, below
  auto line = [&](const std::string& content) {
    AddLine(out, number, content);
    all += content + "\n";
  };
  line(std::string(kShareMagic));
  line("station: " + h.station_id);
  line("token: " + h.token);
  line("pin: " + h.pin);
  line("split: " + h.split_id);
  line("index: " + std::to_string(h.index));
  line("threshold: " + std::to_string(h.threshold));
  line("shares: " + std::to_string(h.shares));
  line("secret-length: " + std::to_string(h.secret_length));
  line("custodian: " + h.custodian);
  line("issued: " + h.issued);
  line("fingerprint: " + s.fingerprint);
  SecretBytes payload;
  if (passphrase.empty()) {
    line("protection: none");
    payload = s.data;
  } else {
    line("protection: scrypt N=" + std::to_string(kScryptN) + " r=" + std::to_string(kScryptR) +
         " p=" + std::to_string(kScryptP) + " aes-256-gcm");
    std::string salt(kSaltBytes, '\0'), nonce(kNonceBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), int(salt.size())) != 1 ||
        RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), int(nonce.size())) != 1)
      return Internal("the random generator failed");
    SR_ASSIGN_OR_RETURN(SecretBytes key, ScryptKey(passphrase, salt, kScryptN, kScryptR, kScryptP));
    SR_ASSIGN_OR_RETURN(SecretBytes sealed, Gcm(true, key, nonce, BindingText(h), s.data));
    payload.insert(payload.end(), salt.begin(), salt.end());
    payload.insert(payload.end(), nonce.begin(), nonce.end());
    payload.insert(payload.end(), sealed.begin(), sealed.end());
  }
  SecretBytes hex;
  AppendHex(hex, payload);
  for (std::size_t off = 0; off < hex.size(); off += kDataHexPerLine) {
    std::size_t len = std::min(kDataHexPerLine, hex.size() - off);
    SecretBytes content;
    const std::string_view prefix = "data: ";
    content.insert(content.end(), prefix.begin(), prefix.end());
    content.insert(content.end(), hex.begin() + std::ptrdiff_t(off),
                   hex.begin() + std::ptrdiff_t(off + len));
    AddLine(out, number, View(content));
    all.append(View(content));  // hashed only: the digest reveals nothing
    all += "\n";
  }
  AddLine(out, number, "checksum: " + Sha256Hex(all));
  OPENSSL_cleanse(all.data(), all.size());
  return out;
}

Result<ParsedShare> ParseShare(std::span<const std::uint8_t> text, std::string_view what_in) {
  const std::string what(what_in);
  if (text.size() > kMaxShareTextBytes)
    return InvalidArgument(what + " is larger than " + std::to_string(kMaxShareTextBytes) +
                           " bytes: not a strongroom PIN share");
  std::string_view rest(reinterpret_cast<const char*>(text.data()), text.size());
  std::vector<std::string_view> lines;  // contents, checks verified
  std::size_t number = 0;
  std::string all;
  all.reserve(text.size());  // never reallocated: wiped once, below
  bool ended = false;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view raw = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    while (!raw.empty() && (raw.back() == '\r' || raw.back() == ' ' || raw.back() == '\t'))
      raw.remove_suffix(1);
    while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
    if (raw.empty() || raw.front() == '#') continue;
    if (ended) return DataLoss(what + " has text after its checksum line");
    ++number;
    std::size_t tilde = raw.rfind('~');
    if (tilde == std::string_view::npos || raw.size() - tilde != 5) {
      if (number == 1) return InvalidArgument(what + " is not a strongroom PIN share");
      return DataLoss(what + ": line " + std::to_string(number) +
                      " has no check (~XXXX) at its end: retype it from the printed share");
    }
    std::string_view content = raw.substr(0, tilde);
    while (!content.empty() && content.back() == ' ') content.remove_suffix(1);
    std::string check(raw.substr(tilde + 1));
    for (char& c : check) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (number == 1 && content != kShareMagic)
      return InvalidArgument(what + " is not a strongroom PIN share (its first line is not \"" +
                             std::string(kShareMagic) + "\")");
    if (check != LineCheck(number, content))
      return DataLoss(what + ": line " + std::to_string(number) + " (\"" +
                      std::string(content.substr(0, content.find(':'))) +
                      ": ...\") does not match its check ~" + check +
                      ": the share is damaged or the line was mistyped; retype it");
    if (content.starts_with("checksum: ")) {
      if (content.substr(10) != Sha256Hex(all))
        return DataLoss(what +
                        ": its checksum does not cover its lines (a line is missing, "
                        "added or moved): the share is damaged");
      ended = true;
      continue;
    }
    all.append(content);
    all += "\n";
    lines.push_back(content);
  }
  OPENSSL_cleanse(all.data(), all.size());
  if (!ended) return DataLoss(what + " ends before its checksum line: the share is incomplete");
  const char* keys[] = {"station",   "token",     "pin",         "split",
                        "index",     "threshold", "shares",      "secret-length",
                        "custodian", "issued",    "fingerprint", "protection"};
  if (lines.size() < 1 + std::size(keys) + 1)
    return DataLoss(what + " is missing lines: the share is incomplete");
  std::string values[std::size(keys)];
  for (std::size_t i = 0; i < std::size(keys); ++i) {
    std::string_view l = lines[i + 1];
    std::string prefix = std::string(keys[i]) + ": ";
    if (!l.starts_with(prefix))
      return DataLoss(what + ": line " + std::to_string(i + 2) + " should be \"" + keys[i] +
                      ": ...\"");
    values[i] = l.substr(prefix.size());
  }
  ParsedShare p;
  ShareHeader& h = p.header;
  h.station_id = values[0];
  h.token = values[1];
  h.pin = values[2];
  h.split_id = values[3];
  SR_ASSIGN_OR_RETURN(h.index, ParseUnsigned(values[4], what, "index"));
  SR_ASSIGN_OR_RETURN(h.threshold, ParseUnsigned(values[5], what, "threshold"));
  SR_ASSIGN_OR_RETURN(h.shares, ParseUnsigned(values[6], what, "shares"));
  SR_ASSIGN_OR_RETURN(h.secret_length, ParseUnsigned(values[7], what, "secret-length"));
  h.custodian = values[8];
  h.issued = values[9];
  p.fingerprint = values[10];
  if (h.index < 1 || h.index > h.shares || h.threshold < 2 || h.threshold > h.shares ||
      h.shares > kMaxShares || h.secret_length < 1 || h.secret_length > kMaxSecretBytes)
    return InvalidArgument(what + " has an impossible index, threshold, share count or length");
  const std::string& prot = values[11];
  if (prot == "none") {
    p.encrypted = false;
  } else {
    unsigned long long n = 0;
    unsigned r = 0, pp = 0;
    char tail[16] = {};
    if (std::sscanf(prot.c_str(), "scrypt N=%llu r=%u p=%u %15s", &n, &r, &pp, tail) != 4 ||
        std::string_view(tail) != "aes-256-gcm" || n < 1024 || n > (1u << 22) || r < 1 || r > 32 ||
        pp < 1 || pp > 16)
      return InvalidArgument(what + ": unsupported protection \"" + prot + "\"");
    p.encrypted = true;
    p.scrypt_n = n;
    p.scrypt_r = r;
    p.scrypt_p = pp;
  }
  for (std::size_t i = 1 + std::size(keys); i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!l.starts_with("data: "))
      return DataLoss(what + ": line " + std::to_string(i + 1) + " should be \"data: ...\"");
    l.remove_prefix(6);
    if (l.size() % 2 != 0) return DataLoss(what + ": line " + std::to_string(i + 1) + " is cut");
    for (std::size_t j = 0; j < l.size(); j += 2) {
      int hi = HexValue(std::uint8_t(l[j])), lo = HexValue(std::uint8_t(l[j + 1]));
      if (hi < 0 || lo < 0)
        return DataLoss(what + ": line " + std::to_string(i + 1) + " is not hex");
      p.payload.push_back(std::uint8_t(hi * 16 + lo));
    }
  }
  std::size_t want = h.secret_length + (p.encrypted ? kSaltBytes + kNonceBytes + kTagBytes : 0);
  if (p.payload.size() != want)
    return DataLoss(what + " holds " + std::to_string(p.payload.size()) + " bytes of data, not " +
                    std::to_string(want) + ": the share is damaged");
  return p;
}

Result<Share> OpenShare(const ParsedShare& p, const SecretBytes& passphrase,
                        std::string_view what) {
  Share s;
  s.header = p.header;
  if (!p.encrypted) {
    s.data = p.payload;
  } else {
    if (passphrase.empty())
      return Status(Code::kPermissionDenied,
                    std::string(what) + " is protected by a passphrase; none was given");
    std::string salt(reinterpret_cast<const char*>(p.payload.data()), kSaltBytes);
    std::string nonce(reinterpret_cast<const char*>(p.payload.data()) + kSaltBytes, kNonceBytes);
    SR_ASSIGN_OR_RETURN(SecretBytes key,
                        ScryptKey(passphrase, salt, p.scrypt_n, p.scrypt_r, p.scrypt_p));
    auto sealed = std::span<const std::uint8_t>(p.payload).subspan(kSaltBytes + kNonceBytes);
    auto opened = Gcm(false, key, nonce, BindingText(p.header), sealed);
    if (!opened.ok())
      return Status(Code::kPermissionDenied,
                    std::string(what) +
                        ": wrong passphrase, or the share was damaged (its encryption does not "
                        "verify)");
    s.data = std::move(opened).value();
  }
  s.fingerprint = ShareFingerprint(s.header, s.data);
  if (s.fingerprint != p.fingerprint)
    return DataLoss(std::string(what) +
                    " is corrupted: its content does not match its fingerprint " +
                    p.fingerprint.substr(0, 16) + "...");
  return s;
}

}  // namespace sr::custody
