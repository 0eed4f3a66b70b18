// RFC 7512 PKCS#11 URI parser (hsm/uri.h). Invariants: a parsed URI prints
// to a form that parses back to the same value, and a refused URI never
// echoes a pin-value in its message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hsm/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto uri = sr::hsm::Pkcs11Uri::Parse(text);
  if (!uri.ok()) {
    if (uri.status().code() == sr::Code::kPermissionDenied &&
        uri.status().message().find(text) != std::string::npos && size > 16) {
      std::fprintf(stderr, "fuzz invariant failed: refused URI echoed in the message\n");
      std::abort();
    }
    return 0;
  }
  auto back = sr::hsm::Pkcs11Uri::Parse(uri->ToString());
  if (!back.ok() || !(*back == *uri)) {
    std::fprintf(stderr, "fuzz invariant failed: URI does not round-trip\n");
    std::abort();
  }
  return 0;
}
