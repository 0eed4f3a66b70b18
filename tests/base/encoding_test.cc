#include <doctest/doctest.h>

#include "base/encoding.h"
#include "base/hash.h"

TEST_CASE("base64: both alphabets decode, padded or not, and bad input is named") {
  std::string bytes("\xfb\xff\x00\x10hello", 9);
  CHECK(sr::Base64Decode(sr::Base64Encode(bytes)).value() == bytes);
  CHECK(sr::Base64Decode(sr::Base64UrlEncode(bytes)).value() == bytes);
  CHECK(sr::Base64Decode("aGk").value() == "hi");
  CHECK(sr::Base64Decode("aGk=").value() == "hi");
  SUBCASE("mixed alphabets are rejected") { CHECK_FALSE(sr::Base64Decode("+_AA").ok()); }
  SUBCASE("non-alphabet character is rejected with its position") {
    auto r = sr::Base64Decode("aG!k", "payload");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("payload") != std::string::npos);
    CHECK(r.status().message().find("position 2") != std::string::npos);
  }
  SUBCASE("non-canonical trailing bits are rejected") { CHECK_FALSE(sr::Base64Decode("aGl=").ok()); }
  SUBCASE("impossible length is rejected") { CHECK_FALSE(sr::Base64Decode("aGkhZ").ok()); }
}

namespace {
// Bit by bit, the way RFC 4648 section 4 describes it: an encoder to check
// the library's against.
std::string SlowBase64(const std::string& in, bool url) {
  const std::string a = std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") +
                        (url ? "-_" : "+/");
  std::string out;
  std::size_t bits = in.size() * 8;
  for (std::size_t at = 0; at < bits; at += 6) {
    int v = 0;
    for (std::size_t b = at; b < at + 6; ++b) {
      int bit = b < bits ? (static_cast<unsigned char>(in[b / 8]) >> (7 - b % 8)) & 1 : 0;
      v = v << 1 | bit;
    }
    out += a[static_cast<std::size_t>(v)];
  }
  while (out.size() % 4) out += '=';
  return out;
}
}  // namespace

TEST_CASE("base64 encodes the RFC 4648 vectors, both alphabets, and inputs of megabytes") {
  CHECK(sr::Base64Encode("") == "");
  CHECK(sr::Base64Encode("f") == "Zg==");
  CHECK(sr::Base64Encode("fo") == "Zm8=");
  CHECK(sr::Base64Encode("foo") == "Zm9v");
  CHECK(sr::Base64Encode("foob") == "Zm9vYg==");
  CHECK(sr::Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(sr::Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(sr::Base64Encode("\xfb\xff") == "+/8=");
  CHECK(sr::Base64UrlEncode("\xfb\xff") == "-_8=");
  // Past the 3 MiB pieces the encoder works in, at every alignment.
  std::string big((3u << 20) + 2, '\0');
  unsigned x = 7;
  for (char& c : big) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  for (std::size_t n : {big.size() - 2, big.size() - 1, big.size(), std::size_t{3} << 21}) {
    CAPTURE(n);
    std::string in = n <= big.size() ? big.substr(0, n) : big + big.substr(0, n - big.size());
    CHECK(sr::Base64Encode(in) == SlowBase64(in, false));
    CHECK(sr::Base64UrlEncode(in) == SlowBase64(in, true));
  }
}

TEST_CASE("hex: IsLowerHex takes only [0-9a-f], wherever another character is") {
  CHECK_FALSE(sr::IsLowerHex(""));
  CHECK(sr::IsLowerHex("0123456789abcdef"));
  CHECK(sr::IsLowerHex(std::string(64, 'f')));
  CHECK(sr::IsSha256Hex(std::string(64, 'f')));
  CHECK_FALSE(sr::IsSha256Hex(std::string(63, 'f')));
  CHECK_FALSE(sr::IsSha256Hex(std::string(65, 'f')));
  // The neighbours of each range, upper case, and bytes with the high bit.
  for (char bad : {'/', ':', '`', 'g', 'A', 'F', ' ', '\0', '\x80', '\xb0', '\xe1'}) {
    for (std::size_t at = 0; at < 64; at += 9) {
      std::string s(64, 'a');
      s[at] = bad;
      CAPTURE(at);
      CHECK_FALSE(sr::IsLowerHex(s));
    }
  }
  // Every byte value at every position of every length up to 40 (it checks
  // eight characters at a time, then the rest one by one), against the
  // definition.
  std::size_t wrong = 0;
  for (std::size_t len = 1; len <= 40; ++len)
    for (std::size_t at = 0; at < len; ++at)
      for (int c = 0; c < 256; ++c) {
        std::string s;
        for (std::size_t k = 0; k < len; ++k) s += "0123456789abcdef"[k % 16];
        s[at] = static_cast<char>(c);
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        wrong += sr::IsLowerHex(s) != hex;
      }
  CHECK(wrong == 0);
}

TEST_CASE("hex: round trip and odd length rejected") {
  CHECK(sr::HexEncode(std::string("\x00\xab", 2)) == "00ab");
  CHECK(sr::HexDecode("00AB").value() == std::string("\x00\xab", 2));
  CHECK_FALSE(sr::HexDecode("abc").ok());
  CHECK_FALSE(sr::HexDecode("zz").ok());
}

TEST_CASE("sha256: known answer for 'abc'") {
  CHECK(sr::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("base64 decodes every length in both alphabets and names the first bad character") {
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    CAPTURE(n);
    for (const std::string& text : {sr::Base64Encode(bytes), sr::Base64UrlEncode(bytes)}) {
      auto back = sr::Base64Decode(text);
      REQUIRE(back.ok());
      CHECK(*back == bytes);
      std::size_t body = text.find('=') == std::string::npos ? text.size() : text.find('=');
      for (std::size_t at : {std::size_t{0}, body / 2, body == 0 ? 0 : body - 1}) {
        if (at >= body) continue;
        std::string bad = text;
        bad[at] = '*';
        auto r = sr::Base64Decode(bad, "field");
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().message() ==
              "field: invalid base64 character at position " + std::to_string(at));
      }
    }
    bytes += static_cast<char>((n * 131 + 7) & 0xff);
  }
}

TEST_CASE("JsonEscape: the escapes protobuf's JSON printer writes, UTF-8 as it is") {
  CHECK(sr::JsonEscape("") == "");
  CHECK(sr::JsonEscape("plain text/with & 'quotes'") == "plain text/with & 'quotes'");
  CHECK(sr::JsonEscape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(sr::JsonEscape("\b\f\n\r\t") == "\\b\\f\\n\\r\\t");
  CHECK(sr::JsonEscape(std::string("\x01\x1f\x7f", 3)) == "\\u0001\\u001f\\u007f");
  CHECK(sr::JsonEscape(std::string("\0x", 2)) == "\\u0000x");
  CHECK(sr::JsonEscape("<script>") == "\\u003cscript\\u003e");
  CHECK(sr::JsonEscape("\xc3\xa9\xf0\x9f\x98\x80") == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(sr::JsonEscape("end\n") == "end\\n");
}

TEST_CASE("utf-8: valid text is kept, every invalid byte becomes U+FFFD") {
  const std::string fffd = "\xef\xbf\xbd";
  struct Row {
    std::string in, out;
  };
  const Row rows[] = {
      {"plain", "plain"},
      {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},
      {"\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91"},  // U+1F511
      {"a\xff" "b", "a" + fffd + "b"},
      {"\xc0\xaf", fffd + fffd},                // overlong '/'
      {"\xed\xa0\x80", fffd + fffd + fffd},     // a surrogate
      {"\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {"\xe2\x82", fffd + fffd},                // truncated
  };
  for (const Row& r : rows) {
    CAPTURE(r.in);
    CHECK(sr::ToValidUtf8(r.in) == r.out);
    CHECK(sr::IsValidUtf8(r.in) == (r.in == r.out));
  }
  CHECK(sr::IsValidUtf8(""));
}
