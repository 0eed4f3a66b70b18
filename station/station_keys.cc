// Station key operations: generation with exported public key and proof of
// possession, and the log-key signer used for checkpoints.
#include <algorithm>

#include "hsm/mechanisms.h"
#include "hsm/pubkey.h"
#include "log/note.h"
#include "station/station.h"

namespace sr {

std::string ProofOfPossessionStatement(const hsm::KeyInfo& key, std::string_view time) {
  std::string s = "strongroom proof-of-possession v1\n";
  s += "fingerprint: " + key.fingerprint_hex + "\n";
  s += "label: " + key.label + "\n";
  s += "algorithm: " + std::string(hsm::AlgorithmName(key.algorithm)) + "\n";
  s += "time: " + std::string(time) + "\n";
  return s;
}

Result<GeneratedKey> GenerateStationKey(
    Station& station, hsm::Session& session, std::string_view label, hsm::Algorithm algorithm,
    const std::vector<hsm::Algorithm>* offered,
    const std::function<void(const hsm::KeyInfo&)>& on_generated) {
  SR_RETURN_IF_ERROR(hsm::ValidateKeyLabel(label));
  GeneratedKey out;
  std::string base = JoinPath(station.KeysDir(), label);
  out.pem_path = base + ".pem";
  out.statement_path = base + ".pop";
  out.signature_path = base + ".pop.sig";
  for (const std::string& p : {out.pem_path, out.statement_path, out.signature_path}) {
    if (PathExists(p)) {
      return Status(Code::kAlreadyExists,
                    "key label '" + std::string(label) + "' is taken: " + p + " exists");
    }
  }
  // Asked before generating, so an algorithm the module lacks is refused by
  // name with what it has, not with the module's CKR_MECHANISM_INVALID.
  std::vector<hsm::Algorithm> read;
  if (offered == nullptr) {
    SR_ASSIGN_OR_RETURN(read, hsm::OfferedAlgorithms(session.module(), session.token().slot));
    offered = &read;
  }
  SR_RETURN_IF_ERROR(hsm::RequireOffered(*offered, algorithm, session.Describe()));
  SR_ASSIGN_OR_RETURN(out.info, session.GenerateKey(label, algorithm));
  if (on_generated) on_generated(out.info);
  out.created = NowRfc3339();
  SR_ASSIGN_OR_RETURN(std::string pem, hsm::SpkiToPem(out.info.spki_der));
  SR_RETURN_IF_ERROR(WriteFileAtomic(out.pem_path, pem, 0644, true));
  // The proof of possession is signed in the token by the new key itself.
  std::string statement = ProofOfPossessionStatement(out.info, out.created);
  SR_ASSIGN_OR_RETURN(hsm::KeyHandle handle, session.FindKey(out.info.uri));
  SR_ASSIGN_OR_RETURN(std::string sig, session.Sign(handle, statement));
  SR_RETURN_IF_ERROR(WriteFileAtomic(out.statement_path, statement, 0644, true));
  SR_RETURN_IF_ERROR(WriteFileAtomic(out.signature_path, sig, 0644, true));
  return out;
}

Status NoteFullDisk(std::string_view station_dir, Status s) {
  if (s.ok() || (s.code() != Code::kHsm && s.code() != Code::kIo)) return s;
  auto free = FreeBytes(station_dir);
  if (!free.ok() || *free >= kLowSpaceBytes) return s;
  return Status(s.code(),
                s.message() + " [the station's disk is full: " + std::to_string(*free) +
                    " bytes free on the file system of " + std::string(station_dir) +
                    (s.code() == Code::kHsm
                         ? ", where SoftHSMv2 keeps its token files (a module that cannot write "
                           "them reports CKR_FUNCTION_FAILED or CKR_DEVICE_MEMORY)"
                         : "") +
                    "; free space there, then retry]");
}

Result<std::unique_ptr<LogKeySigner>> LogKeySigner::Open(Station& station, const SecretBytes& pin) {
  SR_ASSIGN_OR_RETURN(auto session, station.OpenSession(TokenRole::kLog, &pin));
  const std::string& uri = station.record().log_key().uri();
  SR_ASSIGN_OR_RETURN(hsm::KeyHandle key,
                      session->FindKey(uri.empty() ? std::string(kLogKeyLabel) : uri));
  if (key.info.algorithm != hsm::Algorithm::kEd25519 &&
      key.info.algorithm != hsm::Algorithm::kEcdsaP256) {
    return FailedPrecondition("log key " + key.info.uri + " is neither Ed25519 nor ECDSA P-256");
  }
  if (!station.record().log_key().fingerprint().empty() &&
      key.info.fingerprint_hex != station.record().log_key().fingerprint()) {
    return DataLoss("log key " + key.info.uri + " in the token does not match the fingerprint " +
                    "recorded in station.json");
  }
  hsm::KeyHandle attest;
  const auto& ak = station.record().attestation_key();
  if (!ak.uri().empty()) {
    SR_ASSIGN_OR_RETURN(attest, session->FindKey(ak.uri()));
    // Ed25519 (stations made before 2026-12) or ECDSA P-256: what matters
    // is that the token holds the key station.json names.
    if (hsm::AlgorithmName(attest.info.algorithm) != ak.algorithm() ||
        attest.info.fingerprint_hex != ak.fingerprint()) {
      return DataLoss("attestation key " + attest.info.uri +
                      " in the token does not match the one recorded in station.json");
    }
  }
  return std::unique_ptr<LogKeySigner>(
      new LogKeySigner(std::move(session), std::move(key), std::move(attest)));
}

Result<std::string> LogKeySigner::SignAttestation(std::string_view message) {
  if (attest_.private_handle == 0) {
    return NotFound(
        "this station has no attestation key (station.json has no attestation_key); "
        "stations created by strongroom 0.1 before VSAs existed must be re-created");
  }
  return session_->Sign(attest_, message);
}

Result<std::string> LogKeySigner::Sign(std::string_view message) {
  return session_->Sign(key_, message);
}

std::string LogKeySigner::PublicKey() const {
  // An Ed25519 SubjectPublicKeyInfo is 12 bytes of prefix and the raw key.
  if (key_.info.algorithm == hsm::Algorithm::kEd25519) return key_.info.spki_der.substr(12);
  return key_.info.spki_der;
}

std::uint8_t LogKeySigner::NoteSignatureType() const {
  return key_.info.algorithm == hsm::Algorithm::kEd25519 ? log::kNoteEd25519 : log::kNoteEcdsa;
}

Result<StationKeyChoice> ChooseStationKeys(const std::vector<hsm::Algorithm>& offered,
                                           std::string_view module) {
  StationKeyChoice c;
  auto first = [&](std::initializer_list<hsm::Algorithm> prefs) -> const hsm::Algorithm* {
    for (const hsm::Algorithm& a : prefs)
      if (hsm::Offers(offered, a)) return &*std::find(offered.begin(), offered.end(), a);
    return nullptr;
  };
  const hsm::Algorithm* log = first({hsm::Algorithm::kEd25519, hsm::Algorithm::kEcdsaP256});
  const hsm::Algorithm* attest = first({kAttestationKeyAlgorithm, hsm::Algorithm::kEd25519});
  if (log == nullptr || attest == nullptr) {
    return FailedPrecondition(std::string(module) +
                              " offers neither Ed25519 nor ECDSA P-256 key generation and "
                              "signing (it offers " +
                              hsm::AlgorithmList(offered) +
                              "): a station needs one of them for its log key");
  }
  c.log = *log;
  c.attestation = *attest;
  return c;
}

}  // namespace sr
