// The Sigstore trusted roots a station's policies have named
// (TrustPolicy.sigstore_trusted_root_sha256): each kept in the station's
// evidence store, STATION/evidence/<sha256>, content-addressed and never
// rewritten, like every other input that justified a signature, so that
// `audit replay` finds the root of any policy version by its digest.
// `policy install --trusted-root FILE` stores one; `sign` reads the current
// policy's. Not thread-safe; writes are atomic and idempotent.
#ifndef STRONGROOM_STATION_TRUSTED_ROOT_STORE_H_
#define STRONGROOM_STATION_TRUSTED_ROOT_STORE_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "policy/reason.h"
#include "policy/trust_policy.h"

namespace sr {

// The trusted root a policy to install names, checked before it is
// installed: `given` are the bytes of --trusted-root (nullopt when none was
// given), `stored` whether the station already holds the root the policy
// names. nullopt when it may be installed; else the refusal, which says what
// to bring. A given root must parse (policy::TrustedRoot::Parse) and hash to
// the policy's sigstore_trusted_root_sha256; a policy naming a root needs it
// given or stored; a root given to a policy that names none is a mistake.
std::optional<policy::Failure> CheckTrustedRootForPolicy(const policy::LoadedPolicy& candidate,
                                                         const std::optional<std::string>& given,
                                                         std::string_view given_name, bool stored);

// Stores root bytes as STATION/evidence/<sha256> (0444, durable); returns
// the digest. An existing object that does not match its name is kDataLoss.
Result<std::string> StoreTrustedRoot(std::string_view station_dir, std::string_view bytes);

// True when STATION/evidence/<sha256> exists and still matches its digest.
bool HasTrustedRoot(std::string_view station_dir, std::string_view sha256_hex);

// The root a policy names, read back and checked against its digest; ""
// when the policy names none. kNotFound when missing, kDataLoss when altered.
Result<std::string> ReadTrustedRoot(std::string_view station_dir,
                                    const strongroom::v1::TrustPolicy& policy);

}  // namespace sr

#endif  // STRONGROOM_STATION_TRUSTED_ROOT_STORE_H_
