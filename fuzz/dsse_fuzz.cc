// DSSE envelope / Sigstore bundle parser. Invariant: a parsed envelope
// serializes and parses back to the same payload type, payload and signatures.
#include "fuzz/fuzz.h"
#include "policy/dsse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto env = sr::policy::ParseEnvelope(AsView(data, size), "fuzz");
  if (!env.ok()) return 0;
  auto back = sr::policy::ParseEnvelope(sr::policy::SerializeEnvelope(env.value()), "round trip");
  SR_FUZZ_CHECK(back.ok());
  SR_FUZZ_CHECK(back->payload_type == env->payload_type);
  SR_FUZZ_CHECK(back->payload == env->payload);
  SR_FUZZ_CHECK(back->signatures.size() == env->signatures.size());
  (void)sr::policy::PreAuthEncoding(env->payload_type, env->payload);
  return 0;
}
