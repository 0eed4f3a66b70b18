// Hex and base64 codecs. Decoders are strict: any character outside the
// alphabet, or bad padding, is an error naming the field.
#ifndef STRONGROOM_BASE_ENCODING_H_
#define STRONGROOM_BASE_ENCODING_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr {

std::string HexEncode(std::string_view bytes);
// Lower- or upper-case hex; even length.
Result<std::string> HexDecode(std::string_view hex, std::string_view field = "hex value");
// True when hex is non-empty and only [0-9a-f] (how digests and key
// fingerprints are written). Branch-free, for the thousands of digests of a
// large release.
bool IsLowerHex(std::string_view hex);
// 64 lower-case hex digits: a SHA-256 digest or key fingerprint as written.
bool IsSha256Hex(std::string_view hex);

// Standard alphabet with padding (RFC 4648 section 4).
std::string Base64Encode(std::string_view bytes);
// URL-safe alphabet, with padding (RFC 4648 section 5).
std::string Base64UrlEncode(std::string_view bytes);
// Accepts the standard and the URL-safe alphabet (not mixed), padded or not,
// as DSSE requires. Whitespace is not accepted.
Result<std::string> Base64Decode(std::string_view text, std::string_view field = "base64 value");

// Escapes s for use inside a JSON string literal as protobuf's JSON printer
// does for ASCII: '"', '\\' and \b \f \n \r \t by their short forms, the
// other control characters, '<', '>' and DEL as \u00XX (so a JSON document
// can sit in HTML unchanged); bytes >= 0x80 pass through unchanged (UTF-8).
std::string JsonEscape(std::string_view s);

// The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, at most U+10FFFF) starting at s[i], or 0 when there is none.
std::size_t Utf8SequenceAt(std::string_view s, std::size_t i);
// s with every byte that does not start a valid UTF-8 sequence replaced by
// U+FFFD; s itself when it is valid.
std::string ToValidUtf8(std::string_view s);
// Whether s is valid UTF-8 (ToValidUtf8(s) == s), without building a copy.
bool IsValidUtf8(std::string_view s);

}  // namespace sr

#endif  // STRONGROOM_BASE_ENCODING_H_
