// The station's installed trust policy (STATION/policy/): every installed
// envelope kept by digest, current.json pointing at the newest, and the log as
// the authority on which one is installed (a file the log does not record is
// refused). `strongroom policy install` and the signing session use it.
//
// Install writes in the order that survives a crash (docs/architecture.md):
//   0. the trusted root, STATION/evidence/<sha256>     crash: a harmless extra file
//   1. STATION/policy/<sha256>.json (atomic replace)   crash: a harmless extra file
//   2. POLICY_INSTALLED event, durable and checkpointed crash: installed; a rerun
//                                                       only rewrites current.json
//   3. STATION/policy/current.json (atomic replace)
// A refusal (unreadable file, bad signature, version not above the current,
// ...) is logged as a REFUSAL event before Install returns.
// Not thread-safe; call with the station open (it holds station.lock).
#ifndef STRONGROOM_STATION_POLICY_STORE_H_
#define STRONGROOM_STATION_POLICY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "policy/reason.h"
#include "policy/trust_policy.h"
#include "station/log_state.h"
#include "station/station.h"

namespace sr {

// The policy the log records as installed, read from STATION/policy/<sha256>.json;
// nullopt when none is. kDataLoss when current.json exists without a
// recorded installation, or the recorded file is missing or altered.
Result<std::optional<policy::LoadedPolicy>> InstalledPolicy(std::string_view station_dir,
                                                            const LogState& state);

struct PolicyInstallResult {
  bool refused = false;
  std::vector<policy::Failure> failures;  // why, when refused
  bool already_installed = false;         // the log already records this policy
  std::uint64_t version = 0;
  std::string digest;
  std::uint64_t previous_version = 0;  // 0: the station had no policy
  std::uint64_t event_index = 0;       // the POLICY_INSTALLED or REFUSAL event
  std::string current_path;            // STATION/policy/current.json
  std::string trusted_root_sha256;     // the Sigstore trusted root the policy names ("" = none)
};

// Verifies the envelope at envelope_path against the installed policy (the
// first must meet its own governance threshold; a later one a threshold of
// the current governance keys and of its own, and a higher version) and
// installs it. A policy naming a Sigstore trusted root
// (sigstore_trusted_root_sha256) needs that root: trusted_root_path (""
// when none is given) must hash to it and parse, or the station must hold it
// already; it is stored in the evidence store (station/trusted_root_store.h)
// before the POLICY_INSTALLED event. A non-OK Status for what stops the
// installation itself (unreadable file, log or disk failure); a refusal is a
// result with refused = true, already logged.
Result<PolicyInstallResult> InstallPolicy(Station& station, const SecretBytes& log_pin,
                                          std::string_view envelope_path,
                                          std::string_view trusted_root_path,
                                          const std::vector<std::string>& operators,
                                          policy::Clock::time_point now);

}  // namespace sr

#endif  // STRONGROOM_STATION_POLICY_STORE_H_
