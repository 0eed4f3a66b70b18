// One custodian's share of a token PIN: the secret splitting (libgfshare,
// Shamir over GF(2^8)), the share's text form, and its optional passphrase
// protection (scrypt + AES-256-GCM). docs/formats.md, "PIN share file",
// describes the text form; station/custody.h checks shares against the
// station's custody record.
//
// The text form is what the custodian keeps and what they type back in from
// paper: every line ends with "  ~XXXX", four hex digits of SHA-256 over the
// line's number and content, so a mistyped line is named by its number, and
// a last "checksum:" line covers the whole share (a dropped line).
//
// libgfshare gives a silent wrong secret for a wrong share, and its
// gfshare_fill_rand is NULL until set (a crash, even when decoding): every
// entry point here sets it to RAND_priv_bytes first (UseCsprngForGfshare).
// Thread-safe (no shared state besides that one-time setting).
#ifndef STRONGROOM_STATION_SHARE_H_
#define STRONGROOM_STATION_SHARE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace sr::custody {

inline constexpr std::string_view kShareMagic = "strongroom-pin-share v1";
inline constexpr std::size_t kMaxShareTextBytes = 8192;
inline constexpr unsigned kMaxShares = 16;
inline constexpr std::size_t kMaxSecretBytes = 255;

// What a share belongs to; all of it is bound into the share's fingerprint.
struct ShareHeader {
  std::string station_id;  // the station that split the PIN
  std::string token;       // "release" or "log"
  std::string pin;         // "user" or "so"
  std::string split_id;    // random id of one split (a resplit makes a new one)
  unsigned index = 0;      // 1..shares
  unsigned threshold = 0;  // M
  unsigned shares = 0;     // N
  unsigned secret_length = 0;
  std::string custodian;  // who received it (a safe file-name word)
  std::string issued;     // RFC 3339 UTC
};

struct Share {
  ShareHeader header;
  SecretBytes data;  // secret_length bytes of libgfshare output
  // SHA-256 hex over the header's binding fields and data (ShareFingerprint).
  std::string fingerprint;
};

// Sets libgfshare's gfshare_fill_rand to a RAND_priv_bytes wrapper (once per
// process). Called by Split and Combine; exposed for tests.
void UseCsprngForGfshare();
// True once gfshare_fill_rand is the CSPRNG wrapper.
bool GfshareUsesCsprng();

// Splits secret into header.shares shares, any header.threshold of which
// recover it (2 <= M <= N <= kMaxShares, secret 1..kMaxSecretBytes bytes).
// header.index and custodian are filled per share by the caller afterwards
// (custodians[i] for share i+1 when given).
Result<std::vector<Share>> Split(const SecretBytes& secret, const ShareHeader& header,
                                 const std::vector<std::string>& custodians);

// Recovers the secret from at least threshold shares with distinct indexes,
// all of one split (the caller has checked them: libgfshare cannot tell a
// wrong share, it just yields another secret).
Result<SecretBytes> Combine(const std::vector<const Share*>& shares);

// The fingerprint of a share: SHA-256 hex over a domain tag, the header's
// station, token, pin, split, index, threshold, shares, secret length, and
// the share's bytes. Never reveals the share (a 256-bit hash of it).
std::string ShareFingerprint(const ShareHeader& h, const SecretBytes& data);

// The text form of share, its data in the clear, or, with a non-empty
// passphrase, encrypted (AES-256-GCM under a scrypt key, the header as
// associated data). The result is a secret (the share).
Result<SecretBytes> FormatShare(const Share& share, const SecretBytes& passphrase);

// A share's text as read, before its data is decrypted.
struct ParsedShare {
  ShareHeader header;
  std::string fingerprint;  // as written in the share
  bool encrypted = false;
  SecretBytes payload;  // the data, or salt||nonce||ciphertext||tag when encrypted
  std::uint64_t scrypt_n = 0;
  unsigned scrypt_r = 0, scrypt_p = 0;
};

// Parses a share's text. what names the share in errors ("share file
// /media/alice.share"); a damaged line is named by its number and
// kDataLoss, a missing line or a bad whole-share checksum too.
Result<ParsedShare> ParseShare(std::span<const std::uint8_t> text, std::string_view what);

// The share's data, decrypted with passphrase when it is encrypted (a wrong
// passphrase or a damaged ciphertext: kPermissionDenied naming what), with
// its fingerprint recomputed and checked against the written one (kDataLoss).
Result<Share> OpenShare(const ParsedShare& parsed, const SecretBytes& passphrase,
                        std::string_view what);

// Whether s is a custodian name usable in file names and records: 1..64 of
// [A-Za-z0-9._-], not starting with '.' or '-'.
bool ValidCustodianName(std::string_view s);

}  // namespace sr::custody

#endif  // STRONGROOM_STATION_SHARE_H_
