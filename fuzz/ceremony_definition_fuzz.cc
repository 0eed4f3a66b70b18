// Ceremony definition parser (protobuf text format + validation).
// Invariant: a definition that parses has steps and participants, one parsed
// key per participant, and its digest is of the exact bytes.
#include "base/hash.h"
#include "ceremonies/definition.h"
#include "fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(AsView(data, size));
  auto d = sr::ceremonies::ParseDefinition(bytes, "fuzz");
  if (d.ok()) {
    SR_FUZZ_CHECK(d->ceremony.steps_size() > 0);
    SR_FUZZ_CHECK(d->keys.size() == static_cast<std::size_t>(d->ceremony.participants_size()));
    SR_FUZZ_CHECK(d->sha256 == sr::Sha256Hex(bytes));
  }
  return 0;
}
