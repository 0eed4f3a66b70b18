// OpenVEX predicate parser (policy/vex.h), fed the bytes both as a DSSE
// payload and as a whole envelope; and the generic purl splitter. Invariant:
// a parsed VEX has statements, each naming a vulnerability, products and one
// of OpenVEX's four statuses; a split purl has a name and a version.
#include "fuzz/fuzz.h"
#include "policy/vex.h"

namespace {
void Check(const sr::policy::Envelope& env) {
  auto v = sr::policy::ParseVex(env, "fuzz");
  if (!v.ok()) return;
  SR_FUZZ_CHECK(!v->statements.empty());
  for (const auto& s : v->statements) {
    SR_FUZZ_CHECK(!s.vulnerability.empty() && !s.products.empty());
    SR_FUZZ_CHECK(s.status == "not_affected" || s.status == "affected" || s.status == "fixed" ||
                  s.status == "under_investigation");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  Check(sr::policy::Envelope{
      std::string(sr::policy::kInTotoPayloadType), std::string(in), {}, false});
  auto outer = sr::policy::ParseEnvelope(in, "fuzz");
  if (outer.ok()) Check(outer.value());
  std::string name, version;
  if (sr::policy::ParseGenericPurl(in, &name, &version))
    SR_FUZZ_CHECK(!name.empty() && !version.empty());
  return 0;
}
