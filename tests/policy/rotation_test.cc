// Policy installation and rotation (the TUF root-rotation rule): a new policy
// needs a higher version, a threshold of the current governance keys AND a
// threshold of its own.
#include <doctest/doctest.h>

#include "tests/testing/policy_fixtures.h"

namespace sr::testing {
namespace {

using policy::LoadedPolicy;

LoadedPolicy Load(const v1::TrustPolicy& p, const std::vector<Signer*>& signers) {
  auto lp = policy::ParsePolicy(
      SignEnvelope(std::string(policy::kPolicyPayloadType), ToJson(p), signers));
  REQUIRE(lp.ok());
  return std::move(lp).value();
}

std::set<std::string> Names(const std::vector<policy::Failure>& fs) {
  std::set<std::string> out;
  for (const auto& f : fs) out.insert(std::string(policy::ReasonName(f.reason)));
  return out;
}

// Version 4 hands governance to {gov[2], outsider} with threshold 2.
struct Rotation {
  World w;
  v1::TrustPolicy next;
  Rotation() {
    next = w.policy;
    next.set_version(4);
    auto* g = next.mutable_governance();
    g->clear_keys();
    *g->add_keys() = Trusted("governance 2", *Keys().gov[2]);
    *g->add_keys() = Trusted("new governance", *Keys().outsider);
    g->set_threshold(2);
  }
  LoadedPolicy Current() { return Load(w.policy, {Keys().gov[0].get(), Keys().gov[1].get()}); }
};

TEST_CASE("rotation: a first install needs only its own governance threshold") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  CHECK(policy::VerifyPolicyInstall(nullptr, cur, r.w.now).empty());
  LoadedPolicy one = Load(r.w.policy, {Keys().gov[0].get()});
  CHECK(Names(policy::VerifyPolicyInstall(nullptr, one, r.w.now)) ==
        std::set<std::string>{"POLICY_GOVERNANCE_THRESHOLD_NOT_MET"});
}

TEST_CASE(
    "rotation: accepted when signed by thresholds of both the current and the new governance "
    "keys") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  LoadedPolicy next = Load(r.next, {Keys().gov[0].get(), Keys().gov[1].get(), Keys().gov[2].get(),
                                    Keys().outsider.get()});
  CHECK(policy::VerifyPolicyInstall(&cur, next, r.w.now).empty());
  // gov[2] is in both sets: one current key (gov[0]) + gov[2] meet the current 2-of-3.
  LoadedPolicy overlap =
      Load(r.next, {Keys().gov[0].get(), Keys().gov[2].get(), Keys().outsider.get()});
  CHECK(policy::VerifyPolicyInstall(&cur, overlap, r.w.now).empty());
}

TEST_CASE("rotation: refused when the current governance threshold is missing") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  LoadedPolicy next = Load(r.next, {Keys().gov[2].get(), Keys().outsider.get()});
  CHECK(Names(policy::VerifyPolicyInstall(&cur, next, r.w.now)) ==
        std::set<std::string>{"POLICY_ROTATION_THRESHOLD_NOT_MET"});
}

TEST_CASE("rotation: refused when the new policy's own threshold is missing") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  LoadedPolicy next = Load(r.next, {Keys().gov[0].get(), Keys().gov[1].get(), Keys().gov[2].get()});
  CHECK(Names(policy::VerifyPolicyInstall(&cur, next, r.w.now)) ==
        std::set<std::string>{"POLICY_GOVERNANCE_THRESHOLD_NOT_MET"});
}

TEST_CASE("rotation: refused on a version rollback or a replay of the same version") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  std::vector<Signer*> all = {Keys().gov[0].get(), Keys().gov[1].get(), Keys().gov[2].get(),
                              Keys().outsider.get()};
  for (std::uint64_t v : {3u, 2u}) {
    r.next.set_version(v);
    LoadedPolicy next = Load(r.next, all);
    CHECK(Names(policy::VerifyPolicyInstall(&cur, next, r.w.now)) ==
          std::set<std::string>{"POLICY_VERSION_NOT_HIGHER"});
  }
}

TEST_CASE("rotation: an expired new policy is refused even when properly signed") {
  Rotation r;
  LoadedPolicy cur = r.Current();
  *r.next.mutable_expires() = Ts("2026-01-02T00:00:00Z");
  LoadedPolicy next = Load(r.next, {Keys().gov[0].get(), Keys().gov[1].get(), Keys().gov[2].get(),
                                    Keys().outsider.get()});
  CHECK(Names(policy::VerifyPolicyInstall(&cur, next, r.w.now)) ==
        std::set<std::string>{"POLICY_EXPIRED"});
}

TEST_CASE("rotation: a policy in the wrong payloadType is refused") {
  World w;
  auto lp = policy::ParsePolicy(
      SignEnvelope("application/json", ToJson(w.policy), {Keys().gov[0].get()}));
  REQUIRE_FALSE(lp.ok());
  CHECK(lp.failure().reason == policy::Reason::kInputUnknownPayloadType);
}

}  // namespace
}  // namespace sr::testing
