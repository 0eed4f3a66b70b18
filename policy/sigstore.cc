#include "policy/sigstore.h"

#include "policy/json.h"

namespace sr::policy {

bool RefAllowed(std::string_view pattern, std::string_view ref) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return ref.starts_with(pattern);
  }
  return pattern == ref;
}

Checked<TrustedRoot> TrustedRoot::Parse(std::string_view json, std::string_view input) {
  (void)json;
  return MakeFailure(Reason::kInputBadField, input, "not implemented yet");
}

Checked<KeylessVerified> VerifyKeylessBundle(std::string_view bundle_text, const TrustedRoot& root,
                                             std::span<const KeylessIdentityRule> rules,
                                             std::string_view input) {
  (void)bundle_text;
  (void)root;
  (void)rules;
  return MakeFailure(Reason::kTlogEntryMissing, input, "not implemented yet");
}

}  // namespace sr::policy
