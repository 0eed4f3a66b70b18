// Consumer-side verification of a signed release, offline (`strongroom
// verify`): what a device or deployment service checks before installing.
// Uses policy/ (DSSE, keys, policy) and log/ (proofs) only: no HSM, no
// station, no network.
//
// Checks, each reported by a stable name (docs/cli.md, "verify"):
//   manifest          the manifest envelope parses as an update manifest
//   trusted-key       the signing key is the one given, or one the policy
//                     authorizes for this product and version at signing time
//   manifest-signature the release key signed the manifest
//   artifact-digest   each artifact's SHA-256 is a subject of the manifest; the
//                     file may have any name (the report names the subject);
//                     with match_names its file name must be the subject's too
//   product           the manifest is for the product the device says it is
//                     (required when the trusted policy covers several products)
//   scope             the device's configuration is in the approved scope and not
//                     excluded; its cohort is approved
//   version           the release's version is above the installed one (anti-rollback)
//   artifact-signature its detached signature verifies over the file
//   tlog-proof        the inclusion proof verifies under the log's verifier key
//   witness           (witness_threshold > 0) the proof's checkpoint carries
//                     valid tlog-cosignature/v1 cosignatures by at least K of
//                     the given witnesses
//   event             the proven event is the SIGNING event of exactly this
//                     manifest, key, artifacts and signatures
//   vsa               the VSA is the one logged, signed by the station
//                     attestation key the event names, and says PASSED
//   revocation        (a key the trusted policy revokes) the proven SIGNING
//                     event was logged before the revocation and before any
//                     compromise (policy/revocation.h)
// Thread-compatible.
#ifndef STRONGROOM_RELEASE_VERIFY_H_
#define STRONGROOM_RELEASE_VERIFY_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace sr::release {

struct ReleaseVerifyOptions {
  std::string release_dir;             // the outputs of `strongroom sign`
  std::vector<std::string> artifacts;  // the files to check (at least one)
  std::string key_pem;                 // the trusted signing public key, or
  std::string policy_envelope;         // a trusted policy (key from release_dir)
  std::string vkey;                    // the log's verifier key (default: the policy's)
  std::string attestation_key_pem;     // default: release_dir/station-attestation.pem
  bool match_names = false;            // the artifact's file name must be the subject name
  // What the device knows of itself; each one given is checked, "" skips it.
  std::string product;            // which product the device is
  std::string configuration;      // the device's configuration (e.g. "regional")
  std::string cohort;             // the device's deployment cohort (e.g. "A")
  std::string installed_version;  // the version the device runs now
  // RFC 3339: the verifier knows the signing key compromised since then
  // (before a policy says so): the release's proven SIGNING event must be
  // logged before it (check "revocation"). "" for none.
  std::string compromised_since;
  // Witnesses' verifier keys (C2SP vkeys of type 0x04) and how many of them
  // must have cosigned the tlog-proof's checkpoint (check "witness"); 0
  // requires none. A threshold above the number of keys is an option error.
  std::vector<std::string> witnesses;
  unsigned witness_threshold = 0;
};

struct VerifyCheck {
  std::string check;    // stable name, above
  std::string subject;  // the artifact's subject name in the manifest, or "" for the release
  std::string file;     // for artifact checks: the file checked
  bool ok = false;
  std::string message;
};

struct ReleaseVerifyReport {
  bool ok = false;
  std::string product, version;
  std::uint64_t log_index = 0;
  std::string key_fingerprint;
  std::vector<VerifyCheck> checks;  // every check made, passed or failed
};

// Never fails for a bad release (that is a report with ok=false); a non-OK
// Status only for unusable options (no artifact, no key, unreadable files).
Result<ReleaseVerifyReport> VerifyRelease(const ReleaseVerifyOptions& options);

}  // namespace sr::release

#endif  // STRONGROOM_RELEASE_VERIFY_H_
