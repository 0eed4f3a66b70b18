// Lifecycle record parser (release/lifecycle_record.h: `strongroom record`),
// fed the bytes as an envelope file and, wrapped, as its payload. Invariant:
// a parsed record names its product and version, and its digest is the
// SHA-256 (64 hex digits) of the bytes.
#include "base/encoding.h"
#include "fuzz/fuzz.h"
#include "release/lifecycle_record.h"

namespace {
void Check(std::string_view text) {
  auto r = sr::release::ParseLifecycleRecord(text);
  if (!r.ok()) return;
  SR_FUZZ_CHECK(!r->record.product().empty() && !r->record.version().empty());
  SR_FUZZ_CHECK(r->envelope_sha256.size() == 64);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  Check(in);
  // The same bytes as the payload of an (unsigned) envelope.
  const std::string b64 = sr::Base64Encode(in);
  Check("{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"" + b64 +
        "\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"AAAA\"}]}");
  return 0;
}
