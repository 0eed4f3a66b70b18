// Release-approval parser (Statement + ReleaseApproval predicate through the
// protobuf JSON mapping). Invariant: a parsed approval names product and version.
#include "fuzz/fuzz.h"
#include "policy/approval.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sr::policy::Envelope env{
      std::string(sr::policy::kInTotoPayloadType), std::string(AsView(data, size)), {}, false};
  auto a = sr::policy::ParseApproval(env, "fuzz");
  if (a.ok()) SR_FUZZ_CHECK(!a->predicate.product().empty() && !a->predicate.version().empty());
  return 0;
}
