#include "base/encoding.h"

#include <array>
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

std::string Encode64(std::string_view in, const char* alphabet) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t v = b(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
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

std::string Base64Encode(std::string_view bytes) { return Encode64(bytes, kStd); }
std::string Base64UrlEncode(std::string_view bytes) { return Encode64(bytes, kUrl); }

Result<std::string> Base64Decode(std::string_view text, std::string_view field) {
  std::array<int, 256> std_map, url_map;
  std_map.fill(-1);
  url_map.fill(-1);
  for (int i = 0; i < 64; ++i) {
    std_map[static_cast<unsigned char>(kStd[i])] = i;
    url_map[static_cast<unsigned char>(kUrl[i])] = i;
  }
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
  bool use_url = false, use_std = false;
  for (std::size_t i = 0; i < len; ++i) {
    char c = text[i];
    if (c == '+' || c == '/') use_std = true;
    if (c == '-' || c == '_') use_url = true;
  }
  if (use_std && use_url) {
    return InvalidArgument(std::string(field) + ": base64 mixes the standard and URL alphabets");
  }
  const auto& map = use_url ? url_map : std_map;
  std::string out;
  out.reserve(len * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    int v = map[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      return InvalidArgument(std::string(field) + ": invalid base64 character at position " +
                             std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgument(std::string(field) + ": base64 has non-zero trailing bits");
  }
  return out;
}

std::string JsonEscape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace sr
