#include "base/encoding.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <cstdio>

namespace sr {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// OpenSSL's EVP_EncodeBlock (standard alphabet, padded), in pieces a
// multiple of 3 bytes long that fit its int length; the URL alphabet swaps
// its two last characters afterwards. A DSSE payload of hundreds of
// kilobytes is encoded at memory speed.
std::string Encode64(std::string_view in, bool url) {
  std::string out((in.size() + 2) / 3 * 4, '\0');
  constexpr std::size_t kPiece = std::size_t{3} << 20;
  std::size_t o = 0;
  for (std::size_t i = 0; i < in.size(); i += kPiece) {
    std::size_t n = std::min(kPiece, in.size() - i);
    // out has room for this piece's output; its NUL lands on the next
    // piece's first byte (overwritten by it) or on out's own terminator.
    o += static_cast<std::size_t>(
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + o),
                        reinterpret_cast<const unsigned char*>(in.data() + i), static_cast<int>(n)));
  }
  if (url) {
    for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex, std::string_view field) {
  if (hex.size() % 2 != 0) {
    return InvalidArgument(std::string(field) + ": hex has an odd number of digits");
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument(std::string(field) + ": not a hex digit at position " +
                             std::to_string(hi < 0 ? i : i + 1));
    }
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

bool IsLowerHex(std::string_view hex) {
  if (hex.empty()) return false;
  // Eight characters at a time (SWAR), without a branch per character:
  // audit replay checks every artifact digest of every refusal it re-runs.
  // For a byte b < 0x80, b + (0x80 - lo) has its top bit set iff b >= lo,
  // and no sum carries into the next byte.
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= hex.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, hex.data() + i, 8);
    if (x & kHigh) return false;
    const std::uint64_t digit = (x + kOnes * (0x80 - '0')) & ~(x + kOnes * (0x80 - '9' - 1));
    const std::uint64_t letter = (x + kOnes * (0x80 - 'a')) & ~(x + kOnes * (0x80 - 'f' - 1));
    if (((digit | letter) & kHigh) != kHigh) return false;
  }
  bool ok = true;
  for (; i < hex.size(); ++i) {
    auto c = static_cast<unsigned char>(hex[i]);
    ok &= static_cast<unsigned char>(c - '0') < 10 || static_cast<unsigned char>(c - 'a') < 6;
  }
  return ok;
}

bool IsSha256Hex(std::string_view hex) { return hex.size() == 64 && IsLowerHex(hex); }

std::string Base64Encode(std::string_view bytes) { return Encode64(bytes, false); }
std::string Base64UrlEncode(std::string_view bytes) { return Encode64(bytes, true); }

Result<std::string> Base64Decode(std::string_view text, std::string_view field) {
  // One table for both alphabets (they differ only in the last two
  // characters); which one a text uses is found with memchr, so a DSSE
  // payload of hundreds of kilobytes is decoded at memory speed.
  static const std::array<std::int8_t, 256> kValue = [] {
    std::array<std::int8_t, 256> m;
    m.fill(-1);
    for (int i = 0; i < 64; ++i) {
      m[static_cast<unsigned char>(kStd[i])] = static_cast<std::int8_t>(i);
      m[static_cast<unsigned char>(kUrl[i])] = static_cast<std::int8_t>(i);
    }
    return m;
  }();
  // Strip padding (at most two '=' at the end).
  std::size_t len = text.size();
  std::size_t pad = 0;
  while (len > 0 && text[len - 1] == '=' && pad < 2) {
    --len;
    ++pad;
  }
  if (pad > 0 && text.size() % 4 != 0) {
    return InvalidArgument(std::string(field) + ": base64 padding is wrong");
  }
  if (len % 4 == 1) return InvalidArgument(std::string(field) + ": base64 length is impossible");
  auto has = [&](char c) { return std::memchr(text.data(), c, len) != nullptr; };
  if ((has('+') || has('/')) && (has('-') || has('_'))) {
    return InvalidArgument(std::string(field) + ": base64 mixes the standard and URL alphabets");
  }
  auto value = [&](std::size_t i) { return kValue[static_cast<unsigned char>(text[i])]; };
  auto bad = [&](std::size_t from) {
    std::size_t i = from;
    while (value(i) >= 0) ++i;
    return InvalidArgument(std::string(field) + ": invalid base64 character at position " +
                           std::to_string(i));
  };
  std::string out(len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1), '\0');
  std::size_t o = 0, i = 0;
  for (; i + 4 <= len; i += 4) {
    int a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
    if ((a | b | c | d) < 0) return bad(i);
    std::uint32_t v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>(v >> 8);
    out[o++] = static_cast<char>(v);
  }
  if (i < len) {  // 2 or 3 characters: 1 or 2 bytes, the rest of the bits zero
    int a = value(i), b = value(i + 1), c = len - i == 3 ? value(i + 2) : 0;
    if ((a | b | c) < 0) return bad(i);
    std::uint32_t v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6);
    out[o++] = static_cast<char>(v >> 16);
    if (len - i == 3) out[o++] = static_cast<char>(v >> 8);
    // Leftover bits must be zero (canonical encoding).
    if ((len - i == 2 ? (v & 0xFFFF) : (v & 0xFF)) != 0)
      return InvalidArgument(std::string(field) + ": base64 has non-zero trailing bits");
  }
  return out;
}

std::string JsonEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  std::size_t run = 0;  // start of the characters not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\' && u != '<' && u != '>' && u != 0x7f) continue;
    o.append(s.substr(run, i - run));
    run = i + 1;
    switch (u) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\b':
        o += "\\b";
        break;
      case '\f':
        o += "\\f";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default: {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", u);
        o += b;
      }
    }
  }
  o.append(s.substr(run));
  return o;
}

// By hand: what UTF-8 validation libraries Debian has (ICU, glib) would be a
// large dependency for twenty lines, and protobuf keeps its validator internal.
std::size_t Utf8SequenceAt(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = Utf8SequenceAt(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = Utf8SequenceAt(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace sr
