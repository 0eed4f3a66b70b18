// Taking a release key out of service (`key revoke`, `key retire`), logged,
// and a PKCS#10 certification request for a key, signed in its token
// (`key csr`). The log is the authority: once it holds a KEY_REVOKED or
// KEY_RETIRED event for a key, the signing gate refuses the key whatever the
// policy says (station/log_state.h, policy::LogFacts::key_ended).
//
// Each call opens what it needs on the station it is given (which holds
// station.lock); not thread-safe. Failure: kNotFound for a label that names
// no key of the release token, kFailedPrecondition for a key already revoked
// (or already retired, for RetireKey), kInvalidArgument for a bad reason,
// time or subject; the log's and the HSM's errors otherwise. A revoke or
// retire refused for an unknown or already ended key is logged as a REFUSAL
// (docs/key-lifecycle.md); other failures log nothing.
#ifndef STRONGROOM_STATION_KEY_LIFECYCLE_H_
#define STRONGROOM_STATION_KEY_LIFECYCLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "hsm/key.h"
#include "station/station.h"

namespace sr {

inline constexpr std::size_t kMaxKeyEndReasonBytes = 1024;

struct KeyEndRequest {
  std::string label;
  std::string reason;  // required for a revocation
  // RFC 3339; revocation only: the key is suspected compromised since then
  // (not in the future). "" for none.
  std::string compromised_since;
  std::vector<std::string> operators;  // --operator, unauthenticated
};

struct KeyEndResult {
  hsm::KeyInfo key;
  std::uint64_t event_index = 0;  // the KEY_REVOKED / KEY_RETIRED event
  std::string effective_time;     // RFC 3339
  std::string compromised_since;  // as logged (normalized), or ""
};

// Appends KEY_REVOKED (durable, checkpoint signed) for the release key
// labelled r.label, logging in to the log token with log_pin.
Result<KeyEndResult> RevokeKey(Station& station, const SecretBytes& log_pin,
                               const KeyEndRequest& r);
// The same with KEY_RETIRED: no new signatures, nothing it signed is
// questioned. A revoked key cannot be retired (it is already out of service).
Result<KeyEndResult> RetireKey(Station& station, const SecretBytes& log_pin,
                               const KeyEndRequest& r);

// The release token's key labelled label, read from its public objects (no
// login). kNotFound naming the labels there when none is.
Result<hsm::KeyInfo> FindReleaseKey(Station& station, std::string_view label);

// A PKCS#10 request (PEM) with subject DN (OpenSSL's "/C=DE/O=Org/CN=Name"
// form, or "CN=Name,O=Org") and the public key of the release key labelled
// label, whose CertificationRequestInfo is signed in the token by that key
// (ECDSA with SHA-256/384, Ed25519, or RSASSA-PSS SHA-256/MGF1/salt 32, as
// the key's algorithm signs). pin: the release token's user PIN.
Result<std::string> KeyCsr(Station& station, const SecretBytes& pin, std::string_view label,
                           std::string_view subject);

}  // namespace sr

#endif  // STRONGROOM_STATION_KEY_LIFECYCLE_H_
