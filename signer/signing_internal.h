// Internal to the signing session (signing_session.cc, signing_prepare.cc,
// signing_events.cc): one release as it moves through the protocol.
#ifndef STRONGROOM_SIGNER_SIGNING_INTERNAL_H_
#define STRONGROOM_SIGNER_SIGNING_INTERNAL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hsm/session.h"
#include "policy/gate.h"
#include "proto/event.pb.h"
#include "proto/signing.pb.h"
#include "signer/artifact_prehash.h"
#include "station/log_state.h"
#include "signer/signing_session.h"

namespace sr::signer::internal {

struct HashedArtifact {
  std::string name, path;
  std::string sha256, sha384;  // raw digests
  std::string bytes;           // the whole file, only for Ed25519 keys
};

struct PresentedFile {
  std::string role, name, bytes;
};

struct Prepared {
  const ReleaseRequest* request = nullptr;
  std::string out_dir;
  std::vector<HashedArtifact> artifacts;
  std::vector<PresentedFile> inputs;  // policy, approval, provenance, evidence[i]
  const hsm::KeyHandle* key = nullptr;
  std::vector<policy::Failure> failures;  // preflight or gate
  Code mistake = Code::kOk;               // ReleaseResult::mistake (first one found)
  policy::Decision decision;
  std::string now;              // RFC 3339 time of the decision
  std::string previous_signed;  // last version of the product the log shows signed
  // Allowed releases only:
  std::uint64_t intent_index = 0, signing_index = 0;
  std::string manifest_payload, vsa_payload;
  std::string manifest_sha256, vsa_sha256;  // hex, of the payloads (BuildPayloads)
  std::vector<strongroom::v1::SignatureRecord> signatures;
  Status error;  // a station-side failure after the decision

  bool allowed() const { return failures.empty() && decision.allowed(); }
  std::vector<policy::Artifact> ArtifactList() const;
};

// Everything a release is judged against, read once per session.
struct SessionContext {
  Station& station;
  hsm::Session& release;
  std::string policy_bytes;                           // STATION/policy/current.json, "" when none
  std::optional<policy::LoadedPolicy> policy;         // policy_bytes parsed, when they parse
  std::map<std::string, std::string> approver_names;  // fingerprint -> name
  LogState state;
  std::map<std::string, hsm::KeyHandle> keys;  // by the --key spec
  ArtifactPrehash* prehash = nullptr;          // SessionOptions::prehash
  // The Sigstore trusted root the policy names, from the evidence store
  // (station/trusted_root_store.h); "" when it names none or the root is
  // unreadable (the gate then refuses keyless provenance: TRUSTED_ROOT_MISSING).
  std::string trusted_root;
};

// Preflight (names, output directory, key), reading and hashing, then the
// gate. Never fails: problems become failures of the release.
Prepared Prepare(SessionContext& ctx, const ReleaseRequest& request);

// The payloads an allowed release will have signed.
void BuildPayloads(const SessionContext& ctx, Prepared& p, std::string_view log_origin);

// Event builders.
strongroom::v1::Event RefusalEvent(const Prepared& p);
strongroom::v1::Event FailedEvent(const Prepared& p);
strongroom::v1::Event IntentEvent(const Prepared& p);
strongroom::v1::Event SigningEvent(const SessionContext& ctx, const Prepared& p,
                                   const hsm::KeyInfo& attestation_key);

}  // namespace sr::signer::internal

#endif  // STRONGROOM_SIGNER_SIGNING_INTERNAL_H_
