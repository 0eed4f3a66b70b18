// Ceremony answers file parser (JSON). Invariant: each participant parsed
// signs with exactly one of a key file and a PKCS#11 URI, and a PIN source,
// when given, is a file: or fd: spec.
#include "ceremonies/answers.h"
#include "fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto a = sr::ceremonies::ParseAnswers(AsView(data, size), "/base");
  if (a.ok()) {
    for (const auto& [name, c] : a->participants) {
      SR_FUZZ_CHECK(c.key_file.empty() != c.pkcs11_uri.empty());
      SR_FUZZ_CHECK(c.pin_source.empty() || c.pin_source.starts_with("file:") ||
                    c.pin_source.starts_with("fd:"));
    }
  }
  return 0;
}
