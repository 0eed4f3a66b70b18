#include "hsm/uri.h"

#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <algorithm>
#include <random>
#include <string>

#include "hsm/pubkey.h"

using sr::hsm::Pkcs11Uri;

TEST_CASE("uri: a full RFC 7512 URI parses with percent-decoding and prints back canonically") {
  auto u = Pkcs11Uri::Parse(
      "pkcs11:token=Release%20Token;serial=abc123;object=fw-2026;id=%01%ff;type=private"
      "?module-path=/usr/lib/softhsm/libsofthsm2.so");
  REQUIRE_MESSAGE(u.ok(), u.status().message());
  CHECK(u->token == "Release Token");
  CHECK(u->serial == "abc123");
  CHECK(u->object == "fw-2026");
  CHECK(u->id == std::string("\x01\xff", 2));
  CHECK(u->type == "private");
  CHECK(u->module_path == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(u->ToString() ==
        "pkcs11:token=Release%20Token;serial=abc123;object=fw-2026;id=%01%ff;type=private"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so");
  auto again = Pkcs11Uri::Parse(u->ToString());
  REQUIRE(again.ok());
  CHECK(*again == *u);
}

TEST_CASE("uri: PINs inside a URI are refused as forbidden, naming the attribute") {
  for (const char* text : {"pkcs11:token=a;pin-value=1234", "pkcs11:token=a?pin-value=1234",
                           "pkcs11:object=k?pin-source=file:/tmp/pin"}) {
    INFO(text);
    auto u = Pkcs11Uri::Parse(text);
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().code() == sr::Code::kPermissionDenied);
    CHECK(u.status().message().find("pin-") != std::string::npos);
    CHECK(u.status().message().find("1234") == std::string::npos);
  }
}

TEST_CASE("uri: malformed URIs get a specific error naming what and where") {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"pkcs12:token=a", "must start with 'pkcs11:'"},
      {"pkcs11:token=a%2", "bad percent escape in attribute 'token' at byte 14"},
      {"pkcs11:object=%zz", "bad percent escape in attribute 'object'"},
      {"pkcs11:token=a;token=b", "'token' appears twice"},
      {"pkcs11:colour=blue", "unknown path attribute 'colour'"},
      {"pkcs11:token", "not of the form name=value"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto u = Pkcs11Uri::Parse(c.text);
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().message().find(c.expect) != std::string::npos);
  }
  CHECK_FALSE(Pkcs11Uri::Parse("pkcs11:object=" + std::string(5000, 'a')).ok());
  CHECK(Pkcs11Uri::Parse("pkcs11:").ok());
  CHECK(Pkcs11Uri::Parse("pkcs11:x-vendor=1;library-manufacturer=SoftHSM").ok());
}

TEST_CASE(
    "pubkey: raw r||s from a token becomes the DER OpenSSL writes, for every size and sign bit") {
  std::mt19937 rng(7);
  for (std::size_t half : {32u, 48u, 66u}) {
    for (int i = 0; i < 200; ++i) {
      std::string raw(2 * half, '\0');
      for (auto& c : raw) c = static_cast<char>(rng());
      if (i % 4 == 1) raw[0] = 0;                           // leading zero bytes in r
      if (i % 4 == 2) raw[half] = static_cast<char>(0x80);  // high bit of s set
      if (i % 4 == 3) std::fill(raw.begin(), raw.begin() + half - 1, '\0');  // r tiny
      auto ours = sr::hsm::EcdsaRawToDer(raw);
      REQUIRE(ours.ok());
      auto* p = reinterpret_cast<const unsigned char*>(raw.data());
      ECDSA_SIG* sig = ECDSA_SIG_new();
      REQUIRE(ECDSA_SIG_set0(sig, BN_bin2bn(p, static_cast<int>(half), nullptr),
                             BN_bin2bn(p + half, static_cast<int>(half), nullptr)) == 1);
      unsigned char* der = nullptr;
      int n = i2d_ECDSA_SIG(sig, &der);
      REQUIRE(n > 0);
      CHECK(*ours == std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)));
      OPENSSL_free(der);
      ECDSA_SIG_free(sig);
    }
  }
  CHECK_FALSE(sr::hsm::EcdsaRawToDer("abc").ok());
}
