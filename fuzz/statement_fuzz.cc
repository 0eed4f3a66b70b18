// in-toto Statement parser (and the strict JSON check under it), fed the
// bytes as a DSSE payload. Invariant: a parsed Statement has >= 1 subject and
// every sha256 digest is 64 hex digits.
#include "fuzz/fuzz.h"
#include "policy/approval.h"
#include "policy/statement.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sr::policy::Envelope env{
      std::string(sr::policy::kInTotoPayloadType), std::string(AsView(data, size)), {}, false};
  auto st = sr::policy::ParseStatement(env, "fuzz",
                                       {sr::policy::kTestResultPredicate, "https://example.com/p"});
  if (st.ok()) {
    SR_FUZZ_CHECK(!st->subjects.empty());
    for (const auto& s : st->subjects) {
      auto it = s.digest.find("sha256");
      SR_FUZZ_CHECK(it == s.digest.end() || it->second.size() == 64);
    }
  }
  (void)sr::policy::ParseTestEvidence(env, "fuzz");
  return 0;
}
