// SLSA provenance (v1 and v0.2) parser, fed the bytes both as a DSSE payload
// and as a whole envelope/bundle. Invariant: parsed provenance names a builder.
#include "fuzz/fuzz.h"
#include "policy/provenance.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  sr::policy::Envelope env{std::string(sr::policy::kInTotoPayloadType), std::string(in), {}, false};
  auto p = sr::policy::ParseProvenance(env, "fuzz");
  if (p.ok()) SR_FUZZ_CHECK(!p->builder_id.empty() && !p->build_type.empty());
  auto outer = sr::policy::ParseEnvelope(in, "fuzz");
  if (outer.ok()) (void)sr::policy::ParseProvenance(outer.value(), "fuzz");
  return 0;
}
