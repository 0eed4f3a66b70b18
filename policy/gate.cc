#include "policy/gate.h"

#include <algorithm>
#include <set>

#include "base/encoding.h"
#include "base/hash.h"
#include "policy/approval.h"
#include "policy/gate_vex.h"
#include "policy/json.h"
#include "policy/provenance.h"
#include "policy/sigstore.h"
#include "policy/version.h"

namespace sr::policy {
namespace v1 = strongroom::v1;

bool Decision::Has(Reason r) const {
  return std::any_of(failures.begin(), failures.end(),
                     [&](const Failure& f) { return f.reason == r; });
}

std::vector<std::string> Decision::ReasonNames() const {
  std::vector<std::string> out;
  for (const Failure& f : failures) {
    std::string n(ReasonName(f.reason));
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

v1::GateDecision Decision::ToProto() const {
  v1::GateDecision d;
  d.set_allowed(allowed());
  for (const Failure& f : failures) {
    auto* g = d.add_failures();
    g->set_reason(std::string(ReasonName(f.reason)));
    g->set_input(f.input);
    g->set_message(f.message);
  }
  if (allowed()) *d.mutable_bindings() = bindings;
  return d;
}

namespace {

bool Contains(const auto& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The state one evaluation accumulates.
struct Eval {
  const SigningRequest& req;
  Clock::time_point now;
  Decision d;
  const LoadedPolicy* lp = nullptr;  // keys parsed once
  void Fail(Reason r, std::string input, std::string msg) {
    d.failures.push_back(Failure{r, std::move(input), std::move(msg)});
  }
  void Fail(const Failure& f) { d.failures.push_back(f); }
};

// No policy to judge by (Evaluate and EvaluateWithoutDocuments).
Failure NoPolicyInstalled() {
  return MakeFailure(Reason::kInputMissing, "policy",
                     "no trust policy is installed; install one with `strongroom policy install`");
}

void CheckRequest(Eval& e) {
  const SigningRequest& r = e.req;
  if (r.product.empty()) e.Fail(Reason::kRequestMalformed, "request", "no product named");
  if (!IsValidVersion(r.version))
    e.Fail(
        Reason::kRequestMalformed, "request",
        "version \"" + r.version.substr(0, 40) + "\" is not a dotted decimal version like 5.4.3");
  if (r.artifacts.empty()) e.Fail(Reason::kRequestMalformed, "request", "no artifact presented");
  if (r.artifacts.size() > kMaxSubjects)
    e.Fail(Reason::kRequestMalformed, "request", "too many artifacts");
  for (const Artifact& a : r.artifacts)
    if (!IsSha256Hex(a.sha256))
      e.Fail(Reason::kRequestMalformed, "request",
             "artifact \"" + a.name + "\" has no valid sha256");
  if (!IsSha256Hex(r.key_fingerprint))
    e.Fail(Reason::kRequestMalformed, "request", "signing key fingerprint is not 64 hex digits");
}

const v1::ProductPolicy* CheckPolicy(Eval& e, const LoadedPolicy& p, const LogFacts& facts) {
  for (const Failure& f : VerifyPolicySelf(p, e.now)) e.Fail(f);
  if (p.policy.version() < facts.installed_policy_version)
    e.Fail(Reason::kPolicyVersionBelowInstalled, "policy",
           "policy version " + std::to_string(p.policy.version()) +
               " is below the version the log shows installed (" +
               std::to_string(facts.installed_policy_version) +
               "); a rollback of the policy is refused");
  if (!facts.installed_policy_digest.empty() && p.digest != facts.installed_policy_digest)
    e.Fail(Reason::kPolicyNotInstalled, "policy",
           "the policy presented (sha256 " + p.digest.substr(0, 16) +
               "...) is not the policy the log records as installed (sha256 " +
               facts.installed_policy_digest.substr(0, 16) +
               "...): STATION/policy/current.json was replaced or an install did not finish; "
               "run `strongroom policy install` with the intended policy");
  for (const auto& prod : p.policy.products())
    if (prod.name() == e.req.product) return &prod;
  e.Fail(Reason::kPolicyProductUnknown, "policy",
         "product \"" + e.req.product + "\" is not in policy version " +
             std::to_string(p.policy.version()) + "; add it in a new policy");
  return nullptr;
}

void CheckApprovalSignatures(Eval& e, const v1::ProductPolicy& pp, const Envelope& env) {
  ThresholdResult r = VerifySignatures(env, e.lp->KeysOf(pp.approvers()));
  if (r.invalid > 0)
    e.Fail(Reason::kApprovalSignatureInvalid, "approval",
           std::to_string(r.invalid) +
               " signature(s) name an approver's key but do not verify: "
               "the approval was altered after signing, or the signature is corrupt");
  if (r.unknown > 0)
    e.Fail(Reason::kApprovalUnknownSigner, "approval",
           std::to_string(r.unknown) + " signature(s) are by no approver of " + pp.name() +
               " in the policy (keyid hints: " +
               (r.unknown_keyids.empty() ? "" : r.unknown_keyids[0]) +
               "); only the policy's approvers may approve");
  if (r.accepted.size() < pp.approvers().threshold())
    e.Fail(Reason::kApprovalThresholdNotMet, "approval",
           "signed by " + std::to_string(r.accepted.size()) + " distinct approver(s) of " +
               pp.name() + "; the policy requires " + std::to_string(pp.approvers().threshold()) +
               ": collect more signatures with `strongroom approve sign`");
  for (const std::string& fp : r.accepted) e.d.bindings.add_approver_fingerprints(fp);
}

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void CheckScope(Eval& e, const v1::ProductPolicy& pp, const v1::ReleaseApproval& a) {
  std::set<std::string> excluded;
  for (const auto& x : a.exclusions()) {
    excluded.insert(x.configuration());
    if (x.configuration().empty() || x.reason().empty() || !IsDate(x.follow_up_date()))
      e.Fail(Reason::kApprovalExclusionIncomplete, "approval",
             "exclusion of \"" + x.configuration() +
                 "\" needs a configuration, a reason and a follow-up date (YYYY-MM-DD)");
  }
  for (const auto& c : a.scope().configurations()) {
    if (excluded.count(c))
      e.Fail(Reason::kApprovalScopeConflict, "approval",
             "configuration \"" + c + "\" is both in scope and excluded");
    if (pp.configurations_size() > 0 && !Contains(pp.configurations(), c))
      e.Fail(Reason::kApprovalScopeConflict, "approval",
             "configuration \"" + c + "\" in scope is not a configuration of " + pp.name() +
                 " in the policy");
  }
  for (const auto& c : pp.configurations())
    if (!Contains(a.scope().configurations(), c) && !excluded.count(c))
      e.Fail(Reason::kApprovalScopeConflict, "approval",
             "configuration \"" + c +
                 "\" is neither in scope nor excluded; every configuration must be "
                 "approved or explicitly excluded with a reason");
}

const Approval* CheckApproval(Eval& e, const v1::ProductPolicy& pp, const Checked<Envelope>& env,
                              const Checked<Approval>& parsed) {
  if (!env.ok() || !parsed.ok()) return nullptr;  // reported when parsed
  CheckApprovalSignatures(e, pp, env.value());
  const v1::ReleaseApproval& a = parsed->predicate;
  if (a.product() != e.req.product)
    e.Fail(Reason::kApprovalProductMismatch, "approval",
           "the approval is for product \"" + a.product() + "\", not \"" + e.req.product + "\"");
  if (a.version() != e.req.version)
    e.Fail(Reason::kApprovalVersionMismatch, "approval",
           "the approval is for version " + a.version() + ", not " + e.req.version);
  if (ToTimePoint(a.approved_at()) > e.now)
    e.Fail(Reason::kApprovalNotYetValid, "approval",
           "the approval is dated " + FormatTime(a.approved_at()) +
               ", in the future; check the station clock");
  if (ToTimePoint(a.expires()) <= e.now)
    e.Fail(Reason::kApprovalExpired, "approval",
           "the approval expired at " + FormatTime(a.expires()) + "; obtain a new approval");
  std::string diff = SubjectDifference(parsed->statement.subjects, e.req.artifacts);
  if (!diff.empty()) e.Fail(Reason::kApprovalSubjectMismatch, "approval", diff);
  CheckScope(e, pp, a);
  *e.d.bindings.mutable_scope() = a.scope();
  *e.d.bindings.mutable_exclusions() = a.exclusions();
  *e.d.bindings.mutable_vulnerabilities() = a.vulnerabilities();
  e.d.bindings.set_approved_at(FormatTime(a.approved_at()));
  e.d.bindings.set_previous_version(a.previous_version());
  *e.d.bindings.mutable_eligible_source_versions() = a.eligible_source_versions();
  return &parsed.value();
}

// The checks of what the provenance claims against the builder that signed
// it (key or identity), and the bindings the signing event records.
void CheckBuilderClaims(Eval& e, const v1::TrustedBuilder& builder, const Provenance& p,
                        const Approval* approval, std::string_view signed_by) {
  if (builder.id() != p.builder_id)
    e.Fail(Reason::kProvenanceBuilderIdMismatch, "provenance",
           "builder.id \"" + p.builder_id + "\" is not the id \"" + builder.id() +
               "\" the policy trusts for the " + std::string(signed_by) + " that signed it");
  if (!Contains(builder.allowed_source_repositories(), p.source_repository))
    e.Fail(Reason::kProvenanceSourceNotAllowed, "provenance",
           "source repository \"" + p.source_repository + "\" is not allowed for builder " +
               builder.id());
  if (!Contains(builder.allowed_build_types(), p.build_type))
    e.Fail(Reason::kProvenanceBuildTypeNotAllowed, "provenance",
           "buildType \"" + p.build_type + "\" is not allowed for builder " + builder.id());
  std::set<std::string> subject_digests;
  for (const Subject& s : p.statement.subjects)
    if (auto it = s.digest.find("sha256"); it != s.digest.end()) subject_digests.insert(it->second);
  for (const Artifact& a : e.req.artifacts) {
    if (!subject_digests.count(a.sha256))
      e.Fail(Reason::kProvenanceSubjectMismatch, "provenance",
             "artifact \"" + a.name + "\" (sha256 " + a.sha256 +
                 ") is not a subject of the provenance");
  }
  if (approval && approval->predicate.eligible_source_versions_size() > 0) {
    const auto& ok = approval->predicate.eligible_source_versions();
    bool eligible = (!p.source_commit.empty() && Contains(ok, p.source_commit)) ||
                    (!p.source_ref.empty() && Contains(ok, p.source_ref));
    if (!eligible)
      e.Fail(Reason::kProvenanceSourceVersionNotEligible, "provenance",
             "the build's source revision (" +
                 (p.source_commit.empty() ? p.source_ref : p.source_commit) +
                 ") is not among the approval's eligible source versions");
  }
  e.d.bindings.set_builder_id(p.builder_id);
  e.d.bindings.set_builder_slsa_level(builder.slsa_build_level());
  e.d.bindings.set_source_repository(p.source_repository);
  e.d.bindings.set_source_revision(p.source_commit.empty() ? p.source_ref : p.source_commit);
}

// A provenance signed keyless, for a product with builders trusted by
// identity: the Sigstore bundle verified offline against the trusted root the
// policy pins (policy/sigstore.h), then the claims against the builder whose
// identity the certificate names.
void CheckKeylessProvenance(Eval& e, const v1::ProductPolicy& pp, const GateInputs& in,
                            const Provenance& p, const Approval* approval) {
  const std::string& pinned = e.lp->policy.sigstore_trusted_root_sha256();
  std::string presented = in.trusted_root.empty() ? "" : Sha256Hex(in.trusted_root);
  if (pinned.empty() || presented != pinned) {
    e.Fail(Reason::kTrustedRootMissing, "trusted_root",
           std::string("the provenance is a keyless Sigstore bundle, verified against the "
                       "Sigstore trusted root the policy pins (sigstore_trusted_root_sha256 ") +
               (pinned.empty() ? "unset" : pinned) + "), but " +
               (presented.empty() ? "no trusted root is installed"
                                  : "the installed trusted root has SHA-256 " + presented) +
               "; install the policy's trusted root with `strongroom policy install "
               "--trusted-root trusted_root.json`");
    return;
  }
  auto root = TrustedRoot::Parse(in.trusted_root, "trusted_root");
  if (!root.ok()) {
    e.Fail(root.failure());
    return;
  }
  std::vector<KeylessIdentityRule> rules;
  std::vector<const v1::TrustedBuilder*> owners;
  for (const auto& b : pp.builders()) {
    if (!b.has_identity()) continue;
    rules.push_back({b.identity().issuer(),
                     b.identity().workflow(),
                     {b.identity().allowed_refs().begin(), b.identity().allowed_refs().end()}});
    owners.push_back(&b);
  }
  auto v = VerifyKeylessBundle(in.provenance, root.value(), rules, "provenance");
  if (!v.ok()) {
    e.Fail(v.failure());
    return;
  }
  // Of the builders whose identity the certificate names, the one whose id
  // the provenance claims (else the first).
  const v1::TrustedBuilder* builder = owners[v->rule_index];
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (owners[i]->id() == p.builder_id && IdentityAllowed(rules[i], v->issuer, v->identity))
      builder = owners[i];
  if (v->source_repository != p.source_repository) {
    e.Fail(Reason::kCertIdentityMismatch, "provenance",
           "the certificate says the build ran from source repository \"" +
               v->source_repository.substr(0, 200) + "\" but the provenance names \"" +
               p.source_repository.substr(0, 200) + "\"");
  }
  CheckBuilderClaims(e, *builder, p, approval, "identity " + v->identity);
  v1::KeylessProvenanceRecord* k = e.d.bindings.mutable_keyless_provenance();
  k->set_issuer(v->issuer);
  k->set_identity(v->identity);
  k->set_source_repository(v->source_repository);
  k->set_source_ref(v->source_ref);
  k->set_source_digest(v->source_digest);
  k->set_certificate_sha256(v->certificate_sha256);
  k->set_rekor_log_index(v->log_index);
  k->set_rekor_log_id(v->log_id_hex);
  k->set_integrated_time(v->integrated_time);
  k->set_trusted_root_sha256(root->Sha256Hex());
}

void CheckProvenance(Eval& e, const v1::ProductPolicy& pp, const GateInputs& in,
                     const Checked<Envelope>& env, const Checked<Provenance>& prov,
                     const Approval* approval) {
  if (!env.ok() || !prov.ok()) return;
  std::vector<PublicKey> keys;
  std::vector<const v1::TrustedBuilder*> owners;
  bool identity_builders = false;
  for (const auto& b : pp.builders()) {
    identity_builders = identity_builders || b.has_identity();
    const PublicKey* k = b.has_key() ? e.lp->Key(b.key()) : nullptr;
    if (k == nullptr) continue;
    keys.push_back(*k);
    owners.push_back(&b);
  }
  ThresholdResult r = VerifySignatures(env.value(), keys);
  if (r.invalid > 0)
    e.Fail(
        Reason::kProvenanceSignatureInvalid, "provenance",
        "a signature names a trusted builder key but does not verify: the provenance was altered");
  if (r.accepted.empty()) {
    if (r.invalid == 0 && env.value().has_certificate && identity_builders)
      CheckKeylessProvenance(e, pp, in, prov.value(), approval);
    else if (r.invalid == 0 && env.value().has_certificate)
      e.Fail(Reason::kProvenanceBuilderUntrusted, "provenance",
             "this provenance is signed only with a keyless (certificate-based, Sigstore) "
             "signature, and the policy trusts no builder of " +
                 pp.name() +
                 " by identity: it trusts the builder keys of the policy's builders; have the "
                 "builder re-sign the provenance with a key listed in the policy's builders, or "
                 "trust the builder by identity (docs/policy.md, \"Keyless builders\")");
    else if (r.invalid == 0)
      e.Fail(Reason::kProvenanceBuilderUntrusted, "provenance",
             "no builder trusted for " + pp.name() + " signed this provenance");
    return;
  }
  const Provenance& p = prov.value();
  const v1::TrustedBuilder* builder = nullptr;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (r.accepted.count(keys[i].fingerprint()) && (!builder || owners[i]->id() == p.builder_id))
      builder = owners[i];
  if (builder == nullptr) {  // unreachable while accepted holds only trusted fingerprints
    e.Fail(Reason::kProvenanceBuilderUntrusted, "provenance",
           "no trusted builder matched the signature");
    return;
  }
  CheckBuilderClaims(e, *builder, p, approval, "key");
}

// A test-evidence envelope that counts, with what the SIGNING event records
// of it.
struct CountedEvidence {
  const TestEvidence* evidence;
  std::string digest;           // SHA-256 hex of the envelope as presented
  std::string lab_fingerprint;  // a trusted test-lab key that signed it
};

// Returns the evidence that counts: trusted signer, subjects among the artifacts.
std::vector<CountedEvidence> TrustedEvidence(Eval& e, const v1::ProductPolicy& pp,
                                             const std::vector<Checked<Envelope>>& envs,
                                             const std::vector<Checked<TestEvidence>>& parsed,
                                             const GateInputs& in) {
  std::vector<PublicKey> labs;
  for (const auto& k : pp.test_labs())
    if (const PublicKey* pk = e.lp->Key(k)) labs.push_back(*pk);
  std::vector<CountedEvidence> out;
  for (std::size_t i = 0; i < envs.size(); ++i) {
    if (!envs[i].ok() || !parsed[i].ok()) continue;
    std::string input = "evidence[" + std::to_string(i) + "]";
    ThresholdResult r = VerifySignatures(envs[i].value(), labs);
    if (r.invalid > 0)
      e.Fail(
          Reason::kEvidenceSignatureInvalid, input,
          "a signature names a trusted test-lab key but does not verify: the evidence was altered");
    if (r.accepted.empty()) {
      if (r.invalid == 0)
        e.Fail(Reason::kEvidenceSignerUntrusted, input,
               "not signed by a test lab the policy trusts for " + pp.name());
      continue;
    }
    std::string diff = SubjectNotWithin(parsed[i]->statement.subjects, e.req.artifacts);
    if (!diff.empty()) {
      e.Fail(Reason::kEvidenceSubjectMismatch, input, diff);
      continue;
    }
    std::string digest = Sha256Hex(in.evidence[i]);
    e.d.bindings.add_evidence_digests(digest);
    out.push_back({&parsed[i].value(), std::move(digest), *r.accepted.begin()});
  }
  return out;
}

void CheckRequiredEvidence(Eval& e, const v1::ProductPolicy& pp, const Approval& a,
                           const std::vector<CountedEvidence>& ev) {
  std::vector<std::string> tests(pp.required_tests().begin(), pp.required_tests().end());
  for (const auto& t : a.predicate.required_evidence())
    if (!Contains(tests, t)) tests.push_back(t);
  for (const auto& t : tests) e.d.bindings.add_verified_tests(t);
  for (const auto& config : a.predicate.scope().configurations()) {
    for (const auto& test : tests) {
      auto passed = std::find_if(ev.begin(), ev.end(), [&](const CountedEvidence& c) {
        const TestEvidence* t = c.evidence;
        return t->result != "FAILED" && Contains(t->configurations, config) &&
               Contains(t->passed_tests, test) && !Contains(t->failed_tests, test);
      });
      if (passed != ev.end()) {
        v1::VerifiedTest* v = e.d.bindings.add_verified_test_results();
        v->set_test(test);
        v->set_configuration(config);
        v->set_evidence_digest(passed->digest);
        v->set_lab_fingerprint(passed->lab_fingerprint);
        v->set_result(passed->evidence->result);
      } else
        e.Fail(Reason::kEvidenceRequiredMissing, "evidence",
               "configuration \"" + config + "\" is in scope but has no passing \"" + test +
                   "\" test result from a trusted test lab; present the evidence or exclude the "
                   "configuration");
    }
  }
}

void CheckKeyAuthorization(Eval& e, const v1::TrustPolicy& p) {
  KeyAuthorizationCheck k = CheckKeyAuthorization(p, e.req, e.now);
  for (const Failure& f : k.failures) e.Fail(f);
  if (k.failures.empty()) e.d.bindings.set_key_authorization_id(k.authorization_id);
}

void CheckLogFacts(Eval& e, const LogFacts& facts) {
  if (facts.last_signed_version) {
    auto c = CompareVersions(e.req.version, *facts.last_signed_version);
    const SignedRelease* same = nullptr;  // this very version, already signed
    for (const SignedRelease& s : facts.signed_releases) {
      auto v = CompareVersions(e.req.version, s.version);
      if (v && *v == 0) same = &s;
    }
    if (c && *c <= 0 && same != nullptr && same->event_index) {
      std::string n = std::to_string(*same->event_index);
      e.Fail(Reason::kVersionNotAboveLastSigned, "log",
             e.req.product + " " + e.req.version + " was already signed, as log event " + n +
                 "; a version is signed once. To get its outputs again: `strongroom log outputs "
                 "--station DIR --index " +
                 n + " --out DIR` re-issues them");
    } else if (c && *c <= 0 && same != nullptr) {
      e.Fail(Reason::kVersionNotAboveLastSigned, "log",
             e.req.product + " " + e.req.version +
                 " was already signed; a version is signed once (`strongroom log outputs` "
                 "re-issues the outputs of its SIGNING event)");
    } else if (c && *c <= 0) {
      e.Fail(Reason::kVersionNotAboveLastSigned, "log",
             "version " + e.req.version + " is not above " + *facts.last_signed_version +
                 ", the last version of " + e.req.product + " signed: a rollback is refused");
    }
  }
  // Only a release of the same version is compared, so the cost does not
  // grow with every artifact the log has ever seen signed.
  // As sets: the order and repeats of the digests do not matter. Sorted
  // views, not std::set: a refused retry of a release of thousands of
  // artifacts compares them at every event.
  auto distinct = [](std::vector<std::string_view> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  std::optional<std::vector<std::string_view>> presented;
  for (const SignedRelease& s : facts.signed_releases) {
    auto c = CompareVersions(e.req.version, s.version);
    if (!c || *c != 0) continue;
    // The same digests in the same order (a retry): the same set.
    if (s.artifact_sha256.size() == e.req.artifacts.size() &&
        std::equal(s.artifact_sha256.begin(), s.artifact_sha256.end(), e.req.artifacts.begin(),
                   [](const std::string& d, const Artifact& a) { return d == a.sha256; }))
      continue;
    if (!presented) {
      std::vector<std::string_view> p;
      p.reserve(e.req.artifacts.size());
      for (const Artifact& a : e.req.artifacts) p.push_back(a.sha256);
      presented = distinct(std::move(p));
    }
    if (distinct({s.artifact_sha256.begin(), s.artifact_sha256.end()}) != *presented)
      e.Fail(Reason::kVersionArtifactConflict, "log",
             "version " + s.version +
                 " was already signed with different artifacts; "
                 "a version number is never reused for other content");
  }
}

// The log's own word on the key: a revoked or retired key signs nothing new,
// whatever the policy presented says.
void CheckKeyEnded(Eval& e, const LogFacts& facts) {
  if (!facts.key_ended) return;
  const EndedKey& k = *facts.key_ended;
  std::string what = k.revoked ? "revoked" : "retired";
  e.Fail(k.revoked ? Reason::kKeyRevoked : Reason::kKeyRetired, "log",
         "signing key '" + k.label + "' (" + e.req.key_fingerprint.substr(0, 16) + "...) was " +
             what + " at " + k.effective_time + " (event " + std::to_string(k.event_index) +
             (k.reason.empty() ? "" : ": " + k.reason) +
             "): it signs nothing new; sign with a key the policy authorizes");
}

std::string DurationText(std::chrono::seconds d) {
  using namespace std::chrono;
  auto s = d.count();
  if (s >= 2 * 86400) return std::to_string(s / 86400) + " days";
  if (s >= 2 * 3600) return std::to_string(s / 3600) + " hours";
  if (s >= 120) return std::to_string(s / 60) + " minutes";
  return std::to_string(s) + " seconds";
}

}  // namespace

std::optional<Failure> CheckClockAgainstLog(Clock::time_point now,
                                            std::optional<Clock::time_point> last_event_time,
                                            std::uint64_t last_event_index,
                                            std::string_view last_event_time_text) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (!last_event_time || now + kClockTolerance >= *last_event_time) return std::nullopt;
  google::protobuf::Timestamp ts;
  ts.set_seconds(duration_cast<seconds>(now.time_since_epoch()).count());
  return Failure{Reason::kClockBehindLog, "station",
                 "the station clock reads " + FormatTime(ts) + ", " +
                     DurationText(duration_cast<seconds>(*last_event_time - now)) +
                     " before the latest event in the log (event " +
                     std::to_string(last_event_index) + " at " + std::string(last_event_time_text) +
                     "); a clock that went back could revive an expired approval or key "
                     "authorization, so nothing is judged with it (tolerance " +
                     std::to_string(kClockTolerance.count()) +
                     " s). Set the clock from a reference and check it with `strongroom station "
                     "clock --reference-time`, witnessed"};
}

KeyAuthorizationCheck CheckKeyAuthorization(const v1::TrustPolicy& p, const SigningRequest& req,
                                            Clock::time_point now) {
  KeyAuthorizationCheck out;
  auto fail = [&](Reason r, std::string msg) {
    out.failures.push_back(Failure{r, "request", std::move(msg)});
  };
  const std::string& fp = req.key_fingerprint;
  for (const auto& rk : p.revoked_keys())
    if (rk.key_fingerprint() == fp)
      fail(Reason::kKeyRevoked,
           "signing key " + fp.substr(0, 16) + "... is revoked (" + rk.reason() + ")");
  const v1::KeyAuthorization* window_fail = nullptr;
  for (const auto& a : p.key_authorizations()) {
    if (a.key_fingerprint() != fp || a.product() != req.product || a.purpose() != req.purpose)
      continue;
    auto lo = CompareVersions(req.version, a.min_version());
    auto hi = a.max_version().empty() ? std::optional<int>(-1)
                                      : CompareVersions(req.version, a.max_version());
    if (!lo || !hi || *lo < 0 || *hi > 0) continue;
    if (ToTimePoint(a.not_before()) <= now && now < ToTimePoint(a.not_after())) {
      out.authorization_id = a.id();
      return out;
    }
    window_fail = &a;
  }
  if (window_fail == nullptr) {
    fail(Reason::kKeyNotAuthorized, "no key authorization in the policy covers key " +
                                        fp.substr(0, 16) + "... for " + req.product + " " +
                                        req.version + " (" + req.purpose + ")");
  } else if (now < ToTimePoint(window_fail->not_before())) {
    fail(Reason::kKeyAuthorizationNotYetValid, "key authorization " + window_fail->id() +
                                                   " starts at " +
                                                   FormatTime(window_fail->not_before()));
  } else {
    fail(Reason::kKeyAuthorizationExpired, "key authorization " + window_fail->id() + " ended at " +
                                               FormatTime(window_fail->not_after()));
  }
  return out;
}

Decision Evaluate(const SigningRequest& request, const GateInputs& in, const LogFacts& facts,
                  Clock::time_point now) {
  Eval e{request, now, {}};
  if (auto f = CheckClockAgainstLog(now, facts.last_event_time, facts.last_event_index,
                                    facts.last_event_time_text))
    e.Fail(*f);
  CheckRequest(e);
  // Parse every input first so that each malformation is reported.
  std::optional<Checked<LoadedPolicy>> parsed;
  if (in.parsed_policy == nullptr) {
    parsed = in.policy.empty() ? Checked<LoadedPolicy>(NoPolicyInstalled())
                               : ParsePolicy(in.policy, "policy");
    if (!parsed->ok()) e.Fail(parsed->failure());
  }
  const LoadedPolicy* policy = in.parsed_policy ? in.parsed_policy
                               : parsed->ok()   ? &parsed->value()
                                                : nullptr;
  e.lp = policy;
  auto parse = [&](const std::string& text, const char* name) -> Checked<Envelope> {
    if (text.empty())
      return MakeFailure(Reason::kInputMissing, name, std::string("no ") + name + " presented");
    return ParseEnvelope(text, name);
  };
  std::optional<ApprovalInput> own_approval;
  if (in.parsed_approval == nullptr) own_approval = ParseApprovalInput(in.approval);
  const ApprovalInput& approval = in.parsed_approval ? *in.parsed_approval : *own_approval;
  if (!approval.approval.ok()) e.Fail(approval.approval.failure());
  auto prov_env = parse(in.provenance, "provenance");
  Checked<Provenance> prov = prov_env.ok() ? ParseProvenance(prov_env.value(), "provenance")
                                           : Checked<Provenance>(prov_env.failure());
  if (!prov.ok()) e.Fail(prov.failure());
  std::vector<Checked<Envelope>> ev_envs;
  std::vector<Checked<TestEvidence>> ev;
  for (std::size_t i = 0; i < in.evidence.size() && i < kMaxEvidence; ++i) {
    std::string name = "evidence[" + std::to_string(i) + "]";
    ev_envs.push_back(ParseEnvelope(in.evidence[i], name));
    ev.push_back(ev_envs.back().ok() ? ParseTestEvidence(ev_envs.back().value(), name)
                                     : Checked<TestEvidence>(ev_envs.back().failure()));
    if (!ev.back().ok()) e.Fail(ev.back().failure());
  }
  if (in.evidence.size() > kMaxEvidence)
    e.Fail(Reason::kInputTooLarge, "evidence",
           "more than " + std::to_string(kMaxEvidence) + " evidence files");
  std::optional<Checked<Vex>> vex = internal::ParseVexInput(in);
  if (vex && !vex->ok()) e.Fail(vex->failure());
  CheckKeyEnded(e, facts);
  if (policy == nullptr) return std::move(e.d);
  const v1::ProductPolicy* pp = CheckPolicy(e, *policy, facts);
  CheckKeyAuthorization(e, policy->policy);
  CheckLogFacts(e, facts);
  if (pp == nullptr) return std::move(e.d);
  const Approval* a = CheckApproval(e, *pp, approval.envelope, approval.approval);
  CheckProvenance(e, *pp, in, prov_env, prov, a);
  auto trusted = TrustedEvidence(e, *pp, ev_envs, ev, in);
  if (a != nullptr) CheckRequiredEvidence(e, *pp, *a, trusted);
  const v1::ReleaseApproval* ap = a != nullptr ? &a->predicate : nullptr;
  internal::CheckVex(request, *policy, *pp, ap, in, vex, &e.d.failures, &e.d.bindings);
  internal::CheckDocuments(*pp, ap, in, &e.d.failures, &e.d.bindings);
  auto& b = e.d.bindings;
  b.set_product(request.product);
  b.set_version(request.version);
  for (const Artifact& art : request.artifacts) {
    auto* d = b.add_artifacts();
    d->set_name(art.name);
    d->set_sha256(art.sha256);
  }
  b.set_key_fingerprint(request.key_fingerprint);
  b.set_policy_version(policy->policy.version());
  b.set_policy_digest(policy->digest);
  b.set_approval_digest(Sha256Hex(in.approval));
  b.set_provenance_digest(Sha256Hex(in.provenance));
  return std::move(e.d);
}

Decision EvaluateWithoutDocuments(const SigningRequest& request, const LoadedPolicy* policy,
                                  const LogFacts& facts, Clock::time_point now) {
  Eval e{request, now, {}};
  if (auto f = CheckClockAgainstLog(now, facts.last_event_time, facts.last_event_index,
                                    facts.last_event_time_text))
    e.Fail(*f);
  CheckRequest(e);
  if (policy == nullptr) e.Fail(NoPolicyInstalled());
  CheckKeyEnded(e, facts);
  if (policy == nullptr) return std::move(e.d);
  e.lp = policy;
  CheckPolicy(e, *policy, facts);
  CheckKeyAuthorization(e, policy->policy);
  CheckLogFacts(e, facts);
  return std::move(e.d);
}

strongroom::v1::RefusalReason RefusalReasonOf(const Failure& f) {
  strongroom::v1::RefusalReason r;
  r.set_code(std::string(ReasonName(f.reason)));
  r.set_message(f.message);
  r.set_input(f.input);
  return r;
}

}  // namespace sr::policy
