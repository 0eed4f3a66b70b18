// policy::JudgeRevocation, the verifier's rule for a revoked key: a signature
// the log proves was made before the revocation (by index, else by time)
// stands; one at or after compromisedSince, or with no proof, or under a
// revocation that names no point, does not. One row per case.
#include "policy/revocation.h"

#include <doctest/doctest.h>

#include "tests/testing/policy_fixtures.h"

namespace sr::testing {
namespace {

const std::string kFp(64, 'a');

struct Row {
  const char* name;
  std::uint64_t revoked_index;    // 0: not given
  const char* revoked_at;         // "": not given
  const char* compromised_since;  // "": not given
  bool proven;
  std::uint64_t signed_index;
  const char* signed_at;
  bool stands;
};

TEST_CASE(
    "revocation: a signature stands only when proven before the revocation and any "
    "compromise") {
  const Row rows[] = {
      {"index below the revocation", 10, "", "", true, 9, "2026-05-01T00:00:00Z", true},
      {"index at the revocation", 10, "", "", true, 10, "2026-05-01T00:00:00Z", false},
      {"index above the revocation", 10, "", "", true, 11, "2026-05-01T00:00:00Z", false},
      {"time before revokedAt", 0, "2026-06-01T00:00:00Z", "", true, 50, "2026-05-31T23:59:59Z",
       true},
      {"time at revokedAt", 0, "2026-06-01T00:00:00Z", "", true, 50, "2026-06-01T00:00:00Z", false},
      {"both given: the index decides (time after revokedAt, index before)", 10,
       "2026-06-01T00:00:00Z", "", true, 9, "2026-06-02T00:00:00Z", true},
      {"both given: the index decides (time before revokedAt, index after)", 10,
       "2026-06-01T00:00:00Z", "", true, 11, "2026-05-02T00:00:00Z", false},
      {"before the revocation but after the compromise", 10, "", "2026-04-01T00:00:00Z", true, 9,
       "2026-05-01T00:00:00Z", false},
      {"before the revocation and before the compromise", 10, "", "2026-06-01T00:00:00Z", true, 9,
       "2026-05-01T00:00:00Z", true},
      {"no proof", 10, "2026-06-01T00:00:00Z", "", false, 0, "", false},
      {"a revocation with no index and no time", 0, "", "", true, 1, "2026-01-01T00:00:00Z", false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    v1::TrustPolicy p;
    auto* rk = p.add_revoked_keys();
    rk->set_key_fingerprint(kFp);
    rk->set_reason("test");
    rk->set_revoked_at_log_index(r.revoked_index);
    if (*r.revoked_at) *rk->mutable_revoked_at() = Ts(r.revoked_at);
    if (*r.compromised_since) *rk->mutable_compromised_since() = Ts(r.compromised_since);
    std::optional<policy::ProvenSigning> at;
    if (r.proven) at = policy::ProvenSigning{r.signed_index, policy::ToTimePoint(Ts(r.signed_at))};
    policy::RevocationJudgement j = policy::JudgeRevocation(p, kFp, at);
    CHECK(j.revoked);
    CHECK(j.failures.empty() == r.stands);
    for (const auto& f : j.failures) CHECK(f.reason == policy::Reason::kKeyRevoked);
    if (!r.proven)
      CHECK(j.failures.at(0).message.find("pass the release's .tlog-proof") != std::string::npos);
  }
}

TEST_CASE("revocation: a key the policy does not revoke is not judged") {
  v1::TrustPolicy p;
  p.add_revoked_keys()->set_key_fingerprint(std::string(64, 'b'));
  policy::RevocationJudgement j = policy::JudgeRevocation(p, kFp, std::nullopt);
  CHECK(!j.revoked);
  CHECK(j.failures.empty());
}

TEST_CASE("revocation: revokedAtLogIndex and compromisedSince read from the policy JSON") {
  World w;
  auto* rk = w.policy.add_revoked_keys();
  rk->set_key_fingerprint(kFp);
  rk->set_revoked_at_log_index(42);
  *rk->mutable_compromised_since() = Ts("2026-02-01T00:00:00Z");
  std::string json = ToJson(w.policy);
  CHECK(json.find("\"revokedAtLogIndex\"") != std::string::npos);
  auto back = policy::ParsePolicyJson(json, "policy");
  REQUIRE(back.ok());
  REQUIRE(back->revoked_keys_size() == 1);
  CHECK(back->revoked_keys(0).revoked_at_log_index() == 42);
  CHECK(policy::FormatTime(back->revoked_keys(0).compromised_since()) == "2026-02-01T00:00:00Z");
}

TEST_CASE(
    "gate: a key the log records as revoked or retired is refused whatever the policy "
    "says, with the event named") {
  World w;
  REQUIRE(w.Evaluate().allowed());
  for (bool revoked : {true, false}) {
    CAPTURE(revoked);
    w.facts.key_ended = policy::EndedKey{revoked, 17, "rel", "rotated", "2026-03-01T00:00:00Z"};
    policy::Decision d = w.Evaluate();
    CHECK(d.ReasonNames() == std::vector<std::string>{revoked ? "KEY_REVOKED" : "KEY_RETIRED"});
    REQUIRE(d.failures.size() == 1);
    CHECK(d.failures[0].input == "log");
    CHECK(d.failures[0].message.find("event 17") != std::string::npos);
  }
  // Even with no policy at all, the log's word is reported.
  w.tamper = [](policy::GateInputs& in) { in.policy.clear(); };
  policy::Decision d = w.Evaluate();
  CHECK(d.Has(policy::Reason::kKeyRetired));
}

}  // namespace
}  // namespace sr::testing
