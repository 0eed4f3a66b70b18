#include "hsm/uri.h"

#include <doctest/doctest.h>

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
