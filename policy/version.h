// Release version numbers: dotted decimal ("5.4.3"), 1 to 8 components of at
// most 9 digits each, no leading zeros except "0". Pure.
#ifndef STRONGROOM_POLICY_VERSION_H_
#define STRONGROOM_POLICY_VERSION_H_

#include <optional>
#include <string_view>

namespace sr::policy {

bool IsValidVersion(std::string_view v);
// <0, 0, >0 like strcmp, comparing numerically ("5.10" > "5.9", "5.4" < "5.4.0");
// nullopt if either is invalid.
std::optional<int> CompareVersions(std::string_view a, std::string_view b);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_VERSION_H_
