// The outputs of a signed release, and how they are derived: every file is a
// function of the release's SIGNING event (which holds all signatures), the
// manifest and VSA payloads (kept by digest in the station's evidence store)
// and an inclusion proof of the event. So `strongroom sign` and
// `strongroom log outputs` (re-issue after a crash or a lost USB stick) write
// the same files, and nothing that was not durably logged can be among them.
//
// A release's output directory (docs/formats.md, "Outputs"):
//   manifest.dsse.json        update manifest: DSSE over an in-toto Statement
//                             (subjects = artifacts), signed by the release key
//   <artifact>.sig            raw detached signature of each artifact (DER
//                             ECDSA, 64-byte Ed25519 or RSA-PSS) for boot loaders
//   signing-event.tlog-proof  C2SP tlog-proof of the SIGNING event
//   vsa.dsse.json             SLSA Verification Summary Attestation, signed by
//                             the station attestation key
//   signing-key.pem           the release key's public key (trust it through
//                             the policy or a pinned fingerprint, not this file)
//   station-attestation.pem   the station attestation key's public key
// Pure functions; thread-compatible. Writing them (staged, after the signing
// event is durable) and re-issuing them from a station are signer/output_staging.h.
#ifndef STRONGROOM_RELEASE_OUTPUTS_H_
#define STRONGROOM_RELEASE_OUTPUTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/statement.h"
#include "proto/event.pb.h"
#include "proto/signing.pb.h"

namespace sr::release {

// Ed25519 signs whole messages (no pre-hash), so an artifact signed with an
// Ed25519 key is read into memory; this bounds it.
inline constexpr std::uint64_t kMaxEd25519ArtifactBytes = 64u << 20;

inline constexpr std::string_view kUpdateManifestPredicate =
    "https://strongroom.dev/attestations/update-manifest/v1";
inline constexpr std::string_view kVsaPredicate = "https://slsa.dev/verification_summary/v1";

inline constexpr std::string_view kManifestFile = "manifest.dsse.json";
inline constexpr std::string_view kVsaFile = "vsa.dsse.json";
inline constexpr std::string_view kProofFile = "signing-event.tlog-proof";
inline constexpr std::string_view kSigningKeyFile = "signing-key.pem";
inline constexpr std::string_view kAttestationKeyFile = "station-attestation.pem";
inline constexpr std::string_view kSignatureSuffix = ".sig";

// Artifact names become file names: 1..128 bytes of [A-Za-z0-9._+-], not
// starting with '.' or '-'. kInvalidArgument naming the problem.
Status ValidateArtifactName(std::string_view name);

// Statement JSON payloads (what the HSM signs through DSSE PAE).
std::string ManifestPayload(const std::vector<policy::Artifact>& artifacts,
                            const strongroom::v1::UpdateManifest& manifest);
std::string VsaPayload(const std::vector<policy::Artifact>& artifacts,
                       const strongroom::v1::VerificationSummary& vsa);

// The signature of `role` ("artifact", "manifest", "vsa") a SIGNING event
// holds, for `artifact` (by name) or, for the manifest and the VSA, "";
// nullptr when there is none.
const strongroom::v1::SignatureRecord* FindSignature(const strongroom::v1::SigningEvent& s,
                                                     std::string_view role,
                                                     std::string_view artifact = "");
// The artifact signatures of s by artifact name (FindSignature for many).
std::map<std::string_view, const strongroom::v1::SignatureRecord*> ArtifactSignatures(
    const strongroom::v1::SigningEvent& s);

struct OutputFile {
  std::string name;
  std::string bytes;
};

// Assembles the output files of a release. `event` must be a SIGNING event;
// the payloads must hash to its manifest_sha256 / vsa_sha256 (kDataLoss
// otherwise), and proof_text must be an inclusion proof of it.
Result<std::vector<OutputFile>> AssembleOutputs(const strongroom::v1::Event& event,
                                                std::string_view manifest_payload,
                                                std::string_view vsa_payload,
                                                std::string_view proof_text,
                                                std::string_view attestation_key_pem);

// The names of a release's output files, in AssembleOutputs' order.
std::vector<std::string> OutputNames(const std::vector<std::string>& artifact_names);

}  // namespace sr::release

#endif  // STRONGROOM_RELEASE_OUTPUTS_H_
