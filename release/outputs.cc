#include "release/outputs.h"


#include <algorithm>
#include <map>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/proof.h"
#include "policy/dsse.h"
#include "policy/json.h"

namespace sr::release {
namespace v1 = strongroom::v1;

const v1::SignatureRecord* FindSignature(const v1::SigningEvent& s, std::string_view role,
                                         std::string_view artifact) {
  for (const auto& r : s.signatures())
    if (r.role() == role && r.artifact_name() == artifact) return &r;
  return nullptr;
}

std::map<std::string_view, const v1::SignatureRecord*> ArtifactSignatures(
    const v1::SigningEvent& s) {
  std::map<std::string_view, const v1::SignatureRecord*> out;
  for (const auto& r : s.signatures())
    if (r.role() == "artifact") out.emplace(r.artifact_name(), &r);
  return out;
}

std::vector<std::string> OutputNames(const std::vector<std::string>& artifact_names) {
  std::vector<std::string> out = {std::string(kManifestFile)};
  for (const std::string& a : artifact_names) out.push_back(a + std::string(kSignatureSuffix));
  for (std::string_view f : {kProofFile, kVsaFile, kSigningKeyFile, kAttestationKeyFile})
    out.emplace_back(f);
  return out;
}

Status ValidateArtifactName(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return InvalidArgument("artifact name '" + std::string(name.substr(0, 130)) +
                           "' must be 1 to 128 bytes");
  if (name[0] == '.' || name[0] == '-')
    return InvalidArgument("artifact name '" + std::string(name) +
                           "' must not start with '.' or '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+';
    if (!ok)
      return InvalidArgument("artifact name '" + std::string(name) +
                             "' may only hold letters, digits and . _ + -");
  }
  return Status::Ok();
}

std::string ManifestPayload(const std::vector<policy::Artifact>& artifacts,
                            const v1::UpdateManifest& manifest) {
  return policy::StatementJson(artifacts, kUpdateManifestPredicate, policy::MessageToJson(manifest));
}

std::string VsaPayload(const std::vector<policy::Artifact>& artifacts,
                       const v1::VerificationSummary& vsa) {
  return policy::StatementJson(artifacts, kVsaPredicate, policy::MessageToJson(vsa));
}

Result<std::vector<OutputFile>> AssembleOutputs(const v1::Event& event,
                                                std::string_view manifest_payload,
                                                std::string_view vsa_payload,
                                                std::string_view proof_text,
                                                std::string_view attestation_key_pem) {
  if (event.kind() != v1::EVENT_KIND_SIGNING || !event.has_signing())
    return InvalidArgument("event " + std::to_string(event.sequence()) + " is not a SIGNING event");
  const v1::SigningEvent& s = event.signing();
  if (Sha256Hex(manifest_payload) != s.manifest_sha256())
    return DataLoss("the manifest payload does not match manifest_sha256 of event " +
                    std::to_string(event.sequence()));
  if (Sha256Hex(vsa_payload) != s.vsa_sha256())
    return DataLoss("the VSA payload does not match vsa_sha256 of event " +
                    std::to_string(event.sequence()));
  const v1::SignatureRecord* ms = FindSignature(s, "manifest");
  const v1::SignatureRecord* vs = FindSignature(s, "vsa");
  if (ms == nullptr || vs == nullptr)
    return DataLoss("event " + std::to_string(event.sequence()) +
                    " lacks its manifest or VSA signature");
  std::vector<OutputFile> files;
  files.reserve(static_cast<std::size_t>(s.artifacts_size()) + 5);  // a .sig each, five more
  policy::Envelope m{std::string(policy::kInTotoPayloadType),
                     std::string(manifest_payload),
                     {{ms->key_fingerprint(), ms->signature()}},
                     false};
  files.push_back({std::string(kManifestFile), policy::SerializeEnvelope(m)});
  std::map<std::string_view, const v1::SignatureRecord*> by_artifact = ArtifactSignatures(s);
  std::set<std::string_view> names;
  for (const auto& a : s.artifacts()) {
    SR_RETURN_IF_ERROR(ValidateArtifactName(a.name()));
    if (!names.insert(a.name()).second)
      return DataLoss("event " + std::to_string(event.sequence()) + " names artifact '" + a.name() +
                      "' twice");
    auto r = by_artifact.find(a.name());
    if (r == by_artifact.end())
      return DataLoss("event " + std::to_string(event.sequence()) +
                      " has no signature for artifact '" + a.name() + "'");
    files.push_back({a.name() + std::string(kSignatureSuffix), r->second->signature()});
  }
  files.push_back({std::string(kProofFile), std::string(proof_text)});
  policy::Envelope v{std::string(policy::kInTotoPayloadType),
                     std::string(vsa_payload),
                     {{vs->key_fingerprint(), vs->signature()}},
                     false};
  files.push_back({std::string(kVsaFile), policy::SerializeEnvelope(v)});
  files.push_back({std::string(kSigningKeyFile), s.key_public_key_pem()});
  files.push_back({std::string(kAttestationKeyFile), std::string(attestation_key_pem)});
  return files;
}

}  // namespace sr::release
