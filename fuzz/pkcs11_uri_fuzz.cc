// RFC 7512 PKCS#11 URI parser (hsm/uri.h). Invariants: a parsed URI prints
// to a form that parses back to the same value, and a refused URI never
// echoes a pin-value in its message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz.h"
#include "hsm/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto uri = sr::hsm::Pkcs11Uri::Parse(text);
  if (!uri.ok()) {
    // A refused URI is never echoed in the message (it may hold a pin-value).
    SR_FUZZ_CHECK(!(uri.status().code() == sr::Code::kPermissionDenied &&
                    uri.status().message().find(text) != std::string::npos && size > 16));
    return 0;
  }
  auto back = sr::hsm::Pkcs11Uri::Parse(uri->ToString());
  SR_FUZZ_CHECK(back.ok() && *back == *uri);  // round-trips
  return 0;
}
