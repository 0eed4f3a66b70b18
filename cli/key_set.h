// Printing who signed an envelope among a key set of the policy (governance
// keys, or a product's approvers) and who is still needed: `policy sign`,
// `policy show` and `approve show` (policy::CheckKeySet).
#ifndef STRONGROOM_CLI_KEY_SET_H_
#define STRONGROOM_CLI_KEY_SET_H_

#include <ostream>
#include <string>

#include "cli/json.h"
#include "policy/trust_policy.h"

namespace sr::cli {

inline std::string KeyLabel(const std::string& name, const std::string& fingerprint) {
  return (name.empty() ? std::string("(unnamed)") : name) + " (" + fingerprint + ")";
}

// "threshold met: 2 of 3 signed" or "1 more governance signature needed (1 of
// 2 signed), from any of: g2 (fp), g3 (fp)"; what: "governance", "approver".
inline std::string ThresholdLine(const policy::KeySetStatus& st, const std::string& what) {
  std::string s;
  if (st.more_needed() == 0)
    return "threshold met: " + std::to_string(st.signed_count()) + " " + what +
           " signature(s), " + std::to_string(st.threshold) + " required";
  s = std::to_string(st.more_needed()) + " more " + what + " signature(s) needed (" +
      std::to_string(st.signed_count()) + " of " + std::to_string(st.threshold) +
      " required), from any of: ";
  bool first = true;
  for (const auto* k : st.missing()) {
    s += (first ? "" : ", ") + KeyLabel(k->name, k->fingerprint);
    first = false;
  }
  return s;
}

inline const char* KindName(policy::KeySetSignature::Kind k) {
  switch (k) {
    case policy::KeySetSignature::Kind::kValid:
      return "valid";
    case policy::KeySetSignature::Kind::kInvalid:
      return "invalid";
    case policy::KeySetSignature::Kind::kUnknown:
      break;
  }
  return "unknown key";
}

// One line per signature: "valid: a1 (fp)", "invalid: ...", "unknown key: keyid K".
inline void PrintSignatures(std::ostream& out, const policy::KeySetStatus& st,
                            const std::string& indent) {
  for (const auto& s : st.signatures) {
    out << indent << "signature " << KindName(s.kind) << ": ";
    if (s.kind == policy::KeySetSignature::Kind::kUnknown)
      out << "keyid " << (s.keyid.empty() ? "(none)" : s.keyid) << "\n";
    else if (s.fingerprint.empty())
      out << "keyid " << (s.keyid.empty() ? "(none)" : s.keyid) << "\n";
    else
      out << KeyLabel(s.name, s.fingerprint) << "\n";
  }
}

inline Json KeySetJson(const policy::KeySetStatus& st) {
  Json sigs = Json::array(), missing = Json::array(), signed_by = Json::array();
  for (const auto& s : st.signatures)
    sigs.push_back({{"status", KindName(s.kind)},
                    {"keyid", s.keyid},
                    {"name", s.name},
                    {"fingerprint", s.fingerprint}});
  for (const auto& k : st.keys)
    (k.signed_ ? signed_by : missing)
        .push_back({{"name", k.name}, {"fingerprint", k.fingerprint}});
  return {{"threshold", st.threshold},   {"signed", st.signed_count()},
          {"met", st.more_needed() == 0}, {"more_needed", st.more_needed()},
          {"signed_by", signed_by},      {"missing", missing},
          {"signatures", sigs}};
}

}  // namespace sr::cli

#endif  // STRONGROOM_CLI_KEY_SET_H_
