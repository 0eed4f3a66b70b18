#include "policy/revocation.h"

namespace sr::policy {
namespace v1 = strongroom::v1;

namespace {

std::string Short(std::string_view fp) { return std::string(fp.substr(0, 16)) + "..."; }

// Why one revocation refuses a signature logged at s, or "" when it stands.
std::string Refuses(const v1::RevokedKey& rk, const ProvenSigning& s) {
  std::string at = "event " + std::to_string(s.log_index);
  if (rk.has_compromised_since() && s.time >= ToTimePoint(rk.compromised_since()))
    return "the key is compromised since " + FormatTime(rk.compromised_since()) +
           " and this signature was logged after that (" + at + ")";
  bool has_index = rk.revoked_at_log_index() != 0;
  if (has_index && s.log_index >= rk.revoked_at_log_index())
    return "this signature was logged at " + at + ", not before the revocation at event " +
           std::to_string(rk.revoked_at_log_index());
  // The index is exact (the log's own order); a time, to the second, only
  // decides when no index is given.
  if (!has_index && rk.has_revoked_at() && s.time >= ToTimePoint(rk.revoked_at()))
    return "this signature was logged at or after the revocation time " +
           FormatTime(rk.revoked_at());
  if (!has_index && !rk.has_revoked_at())
    return "the revocation gives neither revokedAtLogIndex nor revokedAt, so no signature by "
           "the key is trusted";
  return "";
}

}  // namespace

RevocationJudgement JudgeRevocation(const v1::TrustPolicy& policy, std::string_view fp,
                                    const std::optional<ProvenSigning>& signing) {
  RevocationJudgement out;
  for (const v1::RevokedKey& rk : policy.revoked_keys()) {
    if (rk.key_fingerprint() != fp) continue;
    out.revoked = true;
    std::string head = "key " + Short(fp) + " is revoked (" + rk.reason() + ")";
    if (!signing) {
      out.failures.push_back(
          {Reason::kKeyRevoked, "policy",
           head + ": no verified inclusion proof shows when it signed this release; pass the "
                  "release's .tlog-proof to show it was signed before the revocation"});
      continue;
    }
    std::string why = Refuses(rk, *signing);
    if (!why.empty()) {
      out.failures.push_back({Reason::kKeyRevoked, "policy", head + ": " + why});
      continue;
    }
    std::string before = rk.revoked_at_log_index() != 0
                             ? "event " + std::to_string(rk.revoked_at_log_index())
                             : FormatTime(rk.revoked_at());
    out.summary = head + ", but this signature was logged at event " +
                  std::to_string(signing->log_index) + ", before the revocation (" + before +
                  "): it stands";
  }
  return out;
}

}  // namespace sr::policy
