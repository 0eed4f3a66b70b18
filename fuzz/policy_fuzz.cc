// Trust-policy parser, as a JSON document and as a signed envelope, then the
// self-verification. Invariant: a parsed policy has thresholds in 1..keys.
#include "fuzz/fuzz.h"
#include "policy/trust_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  auto p = sr::policy::ParsePolicyJson(in, "fuzz");
  if (p.ok()) {
    const auto& g = p->governance();
    SR_FUZZ_CHECK(g.threshold() >= 1 && g.threshold() <= static_cast<unsigned>(g.keys_size()));
  }
  auto lp = sr::policy::ParsePolicy(in, "fuzz");
  if (lp.ok()) (void)sr::policy::VerifyPolicySelf(lp.value(), sr::policy::Clock::now());
  return 0;
}
