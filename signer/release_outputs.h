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
// Pure functions except OutputStaging, WriteOutputDir and ReissueOutputs;
// thread-compatible.
#ifndef STRONGROOM_SIGNER_RELEASE_OUTPUTS_H_
#define STRONGROOM_SIGNER_RELEASE_OUTPUTS_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "policy/statement.h"
#include "proto/event.pb.h"
#include "proto/signing.pb.h"

namespace sr::signer {

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

// A release's output directory in the making, so that `out` appears complete
// or not at all: a staging directory beside it (".<name>.partial.<random>")
// with every output file created empty, filled by Commit, made durable (one
// file-system sync), then renamed to `out` and the parent fsynced. `sign`
// creates it while the HSM signs (allocating a thousand inodes is the slow
// part of writing a large release on a disk) and commits it only once the
// signing event is durable; until then its files are empty. Destroyed
// uncommitted, it removes the staging directory. Not thread-safe.
class OutputStaging {
 public:
  // kAlreadyExists when out exists and is not an empty directory.
  static Result<std::unique_ptr<OutputStaging>> Create(std::string_view out,
                                                       const std::vector<std::string>& names);
  OutputStaging(const OutputStaging&) = delete;
  OutputStaging& operator=(const OutputStaging&) = delete;
  ~OutputStaging();
  // files must be exactly the names created. after_first (may be empty) runs
  // after the first file is filled (crash tests).
  Status Commit(const std::vector<OutputFile>& files, const std::function<void()>& after_first);

 private:
  OutputStaging(std::string out, std::string parent, std::string staging)
      : out_(std::move(out)), parent_(std::move(parent)), staging_(std::move(staging)) {}
  std::string out_, parent_, staging_;
  UniqueFd dir_;
  std::set<std::string> names_;
  bool committed_ = false;
};

// OutputStaging::Create and Commit in one go (`log outputs`).
Status WriteOutputDir(std::string_view out, const std::vector<OutputFile>& files,
                      const std::function<void()>& after_first = nullptr);

// kAlreadyExists when out exists and is not an empty directory (checked
// before signing, so a signature is never made for outputs that cannot be
// written).
Status CheckOutputDirFree(std::string_view out);

// Re-derives the outputs of SIGNING event `index` of a station: the event
// from its log, the payloads from its evidence store, a fresh inclusion
// proof against the current checkpoint. Needs no HSM and no PIN.
Result<std::vector<OutputFile>> ReissueOutputs(std::string_view station_dir, std::uint64_t index,
                                               std::string_view attestation_key_pem);

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_RELEASE_OUTPUTS_H_
