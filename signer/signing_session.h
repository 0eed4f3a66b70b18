// The signing session: strongroom's main job, composing the gate (policy/),
// the HSM (hsm/) and the log (log/) in the one order that keeps the promise
// "no signature leaves the station unless its event is durably logged":
//
//   1. hash every artifact once, streaming; read every input (bounded);
//   2. evaluate the gate with facts from the log (installed policy, versions
//      already signed), for each release of the batch in turn;
//   3. keep every input in the evidence store, by digest;
//   4. append (one sync) a REFUSAL event per refused release and a
//      SIGNING_INTENT per allowed one;
//   5. sign in the HSM: each artifact, the manifest, and the VSA (meanwhile
//      another thread creates each release's output files, empty, in a
//      hidden staging directory: OutputStaging);
//   6. append (one sync) the SIGNING events, then sign a checkpoint;
//   7. only then write each release's outputs (release_outputs.h), atomically.
// A refusal of one release does not stop the others. Every release that does
// not end signed leaves a REFUSAL event naming every reason.
//
// Ownership: borrows the Station (which holds station.lock) for the call.
// Not thread-safe. Failure: a non-OK Result only when nothing could be logged
// (the log cannot be opened or read); every other failure is a per-release
// outcome, logged.
#ifndef STRONGROOM_SIGNER_SIGNING_SESSION_H_
#define STRONGROOM_SIGNER_SIGNING_SESSION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "policy/gate.h"
#include "policy/reason.h"
#include "proto/event.pb.h"
#include "release/outputs.h"
#include "signer/artifact_prehash.h"
#include "station/station.h"

namespace sr::signer {

using release::kMaxEd25519ArtifactBytes;

// Station-side reason codes of refusal events (the gate's are policy::Reason).
inline constexpr std::string_view kReasonSigningFailed = "SIGNING_FAILED";

using policy::RefusalReasonOf;

struct ReleaseRequest {
  std::string product;
  std::string version;
  std::vector<std::string> artifact_paths;  // file names become artifact names
  std::string approval_path;
  std::string provenance_path;
  std::vector<std::string> evidence_paths;
  std::string key;           // label or RFC 7512 URI in the release token
  std::string out_dir;       // must not exist, or be empty
  std::string resource_uri;  // VSA resourceUri; default pkg:generic/<product>@<version>
  // Problems found while building the request (e.g. a malformed batch
  // entry): the release is refused with exactly these, and logged.
  std::vector<policy::Failure> invalid;
  // With invalid: kNotFound when a file it names does not exist (exit 4).
  Code mistake = Code::kOk;
  std::string vex_path;                     // OpenVEX envelope; "" = none
  std::vector<std::string> document_paths;  // documents the approval binds
};

enum class Outcome { kSigned, kRefused, kFailed };

struct ReleaseResult {
  std::string product, version, out_dir;
  Outcome outcome = Outcome::kFailed;
  bool logged = false;
  std::uint64_t event_index = 0;          // the SIGNING or REFUSAL event, when logged
  std::vector<policy::Failure> failures;  // kRefused: every failed check
  Status error;                           // kFailed: what went wrong at the station
  std::vector<std::string> files;         // kSigned: files in out_dir
  // kRefused because of a mistake in the request rather than the gate:
  // kNotFound (an unknown key label, an input file that does not exist) or
  // kAlreadyExists (a non-empty output directory), when the gate found
  // nothing else to refuse; kOk otherwise.
  Code mistake = Code::kOk;
};

struct SessionOptions {
  std::vector<std::string> operators;  // people present, recorded in every event
  std::string session_id;
  // The custodian shares that opened the release token (PinSource::
  // ShareFingerprints), recorded in every event of the session.
  std::vector<std::string> pin_share_fingerprints;
  // Called with the name of each protocol step as it is reached
  // ("before-hsm", "mid-hsm", "after-hsm", "after-append", "after-commit",
  // "mid-output", "after-output"); the crash tests kill the process there.
  std::function<void(std::string_view)> at;
  // The artifacts' digests, being taken since the command line was read
  // (artifact_prehash.h); nullptr: each is hashed when its release is
  // prepared.
  ArtifactPrehash* prehash = nullptr;
};

// The Failure of `role` for an input file ReadFile could not read (error):
// INPUT_MISSING (no such file), INPUT_NOT_REGULAR_FILE (a FIFO, device,
// socket or directory: refused without waiting on it), INPUT_TOO_LARGE
// (above `limit` bytes, named in MiB), otherwise INPUT_BAD_FIELD.
policy::Failure UnreadableInput(const std::string& role, const std::string& path,
                                const Status& error, std::uint64_t limit);

Result<std::vector<ReleaseResult>> SignReleases(Station& station, const SecretBytes& log_pin,
                                                const SecretBytes& release_pin,
                                                const std::vector<ReleaseRequest>& releases,
                                                const SessionOptions& options);

// The checkpoint hook for SessionOptions::at from the environment:
// STRONGROOM_TEST_CRASH_AT=<step> raises SIGKILL at that step (fault tests).
// `log recover` (and `log outputs` when it signs a checkpoint first) passes
// it to log::LogWriter::Recover, whose steps are "recover-after-cut" and
// "recover-after-append". It can only make the process kill itself.
// Returns an empty function when the variable is unset.
std::function<void(std::string_view)> CrashPointsFromEnvironment();

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_SIGNING_SESSION_H_
