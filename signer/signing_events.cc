// The payloads a signing session signs and the events it logs.
#include "base/encoding.h"
#include "base/hash.h"
#include "hsm/pubkey.h"
#include "proto/bindings.h"
#include "release/outputs.h"
#include "signer/signing_internal.h"

namespace sr::signer::internal {
namespace v1 = strongroom::v1;

namespace {

constexpr std::string_view kVersion = "0.1.0";

std::string StationUri(const Station& st) {
  return "https://strongroom.dev/station/" + st.record().station_id();
}

v1::UpdateManifest Manifest(const SessionContext& ctx, const Prepared& p,
                            std::string_view log_origin) {
  const v1::SigningBindings& b = p.decision.bindings;
  v1::UpdateManifest m;
  m.set_product(b.product());
  m.set_version(b.version());
  m.set_previous_version(b.previous_version());
  *m.mutable_eligible_source_versions() = b.eligible_source_versions();
  *m.mutable_scope() = b.scope();
  *m.mutable_exclusions() = b.exclusions();
  *m.mutable_vulnerabilities() = b.vulnerabilities();
  m.set_key_fingerprint(b.key_fingerprint());
  m.set_key_authorization_id(b.key_authorization_id());
  m.set_policy_version(b.policy_version());
  m.set_policy_sha256(b.policy_digest());
  m.set_log_origin(std::string(log_origin));
  m.set_log_index(p.signing_index);
  m.set_signed_at(p.now);
  m.set_station_id(ctx.station.record().station_id());
  return m;
}

v1::ResourceDescriptor Descriptor(std::string name, std::string sha256) {
  v1::ResourceDescriptor d;
  d.set_name(std::move(name));
  (*d.mutable_digest())["sha256"] = std::move(sha256);
  return d;
}

v1::VerificationSummary Vsa(const SessionContext& ctx, const Prepared& p) {
  const v1::SigningBindings& b = p.decision.bindings;
  v1::VerificationSummary v;
  v.mutable_verifier()->set_id(StationUri(ctx.station));
  (*v.mutable_verifier()->mutable_version())["strongroom"] = std::string(kVersion);
  v.set_time_verified(p.now);
  v.set_resource_uri(p.request->resource_uri.empty()
                         ? "pkg:generic/" + b.product() + "@" + b.version()
                         : p.request->resource_uri);
  v.mutable_policy()->set_uri(StationUri(ctx.station) + "/policy/v" +
                              std::to_string(b.policy_version()));
  (*v.mutable_policy()->mutable_digest())["sha256"] = b.policy_digest();
  *v.add_input_attestations() = Descriptor("release-approval", b.approval_digest());
  *v.add_input_attestations() = Descriptor("build-provenance", b.provenance_digest());
  for (const std::string& d : b.evidence_digests())
    *v.add_input_attestations() = Descriptor("test-result", d);
  v.set_verification_result("PASSED");
  unsigned level = b.builder_slsa_level() ? b.builder_slsa_level() : 1;
  v.add_verified_levels("SLSA_BUILD_LEVEL_" + std::to_string(level));
  v.set_slsa_version("1.0");
  return v;
}

void AddInputs(const Prepared& p, google::protobuf::RepeatedPtrField<v1::PresentedInput>* out) {
  for (const PresentedFile& f : p.inputs) {
    auto* in = out->Add();
    in->set_role(f.role);
    in->set_name(f.name);
    in->set_sha256(Sha256Hex(f.bytes));
  }
  for (const HashedArtifact& a : p.artifacts) {
    auto* in = out->Add();
    in->set_role("artifact");
    in->set_name(a.name);
    in->set_sha256(HexEncode(a.sha256));
  }
}

v1::Event Refusal(const Prepared& p, const std::vector<v1::RefusalReason>& reasons) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  auto* r = e.mutable_refusal();
  r->set_product(p.request->product);
  r->set_version(p.request->version);
  if (p.key != nullptr) {
    r->set_key_label(p.key->info.label);
    r->set_key_fingerprint(p.key->info.fingerprint_hex);
  } else {
    r->set_key_label(p.request->key);
  }
  for (const auto& reason : reasons) *r->add_reasons() = reason;
  AddInputs(p, r->mutable_inputs());
  r->set_policy_version(p.decision.bindings.policy_version());
  r->set_policy_sha256(p.decision.bindings.policy_digest());
  return e;
}

}  // namespace

void BuildPayloads(const SessionContext& ctx, Prepared& p, std::string_view log_origin) {
  std::vector<policy::Artifact> artifacts = p.ArtifactList();
  p.manifest_payload = release::ManifestPayload(artifacts, Manifest(ctx, p, log_origin));
  p.vsa_payload = release::VsaPayload(artifacts, Vsa(ctx, p));
  p.manifest_sha256 = Sha256Hex(p.manifest_payload);
  p.vsa_sha256 = Sha256Hex(p.vsa_payload);
}

v1::Event RefusalEvent(const Prepared& p) {
  std::vector<v1::RefusalReason> reasons;
  for (const policy::Failure& f : p.failures) reasons.push_back(RefusalReasonOf(f));
  return Refusal(p, reasons);
}

v1::Event FailedEvent(const Prepared& p) {
  v1::RefusalReason r;
  r.set_code(std::string(kReasonSigningFailed));
  r.set_message(p.error.message());
  r.set_input("station");
  return Refusal(p, {r});
}

v1::Event IntentEvent(const Prepared& p) {
  const v1::SigningBindings& b = p.decision.bindings;
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_SIGNING_INTENT);
  auto* i = e.mutable_signing_intent();
  proto::SetBoundFields(b, i);
  i->set_key_label(p.key->info.label);
  i->set_manifest_sha256(p.manifest_sha256);
  i->set_vsa_sha256(p.vsa_sha256);
  i->set_signing_index(p.signing_index);
  return e;
}

v1::Event SigningEvent(const SessionContext& ctx, const Prepared& p,
                       const hsm::KeyInfo& attestation_key) {
  const v1::SigningBindings& b = p.decision.bindings;
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_SIGNING);
  auto* s = e.mutable_signing();
  proto::SetBoundFields(b, s);
  s->set_key_label(p.key->info.label);
  s->set_approval_sha256(b.approval_digest());
  s->set_provenance_sha256(b.provenance_digest());
  *s->mutable_evidence_sha256() = b.evidence_digests();
  for (const std::string& fp : b.approver_fingerprints()) {
    auto* a = s->add_approvers();
    a->set_fingerprint(fp);
    if (auto it = ctx.approver_names.find(fp); it != ctx.approver_names.end())
      a->set_name(it->second);
  }
  s->set_builder_id(b.builder_id());
  *s->mutable_scope_cohorts() = b.scope().cohorts();
  *s->mutable_scope_configurations() = b.scope().configurations();
  for (const auto& x : b.exclusions()) {
    auto* r = s->add_exclusions();
    r->set_configuration(x.configuration());
    r->set_reason(x.reason());
    r->set_mitigation(x.mitigation());
    r->set_follow_up(x.follow_up_date());
  }
  for (const auto& sig : p.signatures) *s->add_signatures() = sig;
  s->set_manifest_sha256(p.manifest_sha256);
  s->set_previous_version(p.previous_signed);
  s->set_intent_index(p.intent_index);
  s->set_source_repository(b.source_repository());
  s->set_source_revision(b.source_revision());
  *s->mutable_vulnerabilities() = b.vulnerabilities();
  s->set_vsa_sha256(p.vsa_sha256);
  s->set_attestation_key_fingerprint(attestation_key.fingerprint_hex);
  s->set_key_algorithm(std::string(hsm::AlgorithmName(p.key->info.algorithm)));
  if (auto pem = hsm::SpkiToPem(p.key->info.spki_der); pem.ok()) s->set_key_public_key_pem(*pem);
  s->set_approval_time(b.approved_at());
  for (const v1::VerifiedTest& t : b.verified_test_results()) {
    auto* r = s->add_verified_tests();
    r->set_test(t.test());
    r->set_configuration(t.configuration());
    r->set_evidence_sha256(t.evidence_digest());
    r->set_result(t.result());
    r->set_lab_fingerprint(t.lab_fingerprint());
  }
  *s->mutable_eligible_source_versions() = b.eligible_source_versions();
  s->set_builder_slsa_level(b.builder_slsa_level());
  s->set_vex_sha256(b.vex_digest());
  *s->mutable_vex_statements() = b.vex_statements();
  s->set_vex_signer_fingerprint(b.vex_signer_fingerprint());
  *s->mutable_documents() = b.documents();
  if (b.has_keyless_provenance()) *s->mutable_keyless_provenance() = b.keyless_provenance();
  return e;
}

}  // namespace sr::signer::internal
