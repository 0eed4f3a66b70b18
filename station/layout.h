// The station on disk: every path below a station directory is named here and
// nowhere else (docs/formats.md, "The station directory").
//
//   STATION/station.json        the station record (tokens, keys), written last by init
//   STATION/station.lock        flock serializing every use of the station's HSM
//   STATION/softhsm2.conf       the embedded SoftHSMv2's configuration
//   STATION/tokens/             SoftHSMv2 token folders
//   STATION/token-backups/      copies of the token files (station/token_guard.h)
//   STATION/keys/<label>.pem    public keys (and proofs of possession) of generated keys
//   STATION/log/                the signing-event log (log/writer.h)
//   STATION/log/facts           the gate's facts as of the signed checkpoint, signed by
//                               the log key (station/facts_index.h)
//   STATION/log/facts.d/        per product, its SIGNING events (version, index), which
//                               the facts index covers by length and hash chain
//   STATION/evidence/<sha256>   every input and signed payload, by digest, and the
//                               Sigstore trusted root each policy names
//                               (station/trusted_root_store.h)
//   STATION/policy/<sha256>.json every installed policy envelope, by digest
//   STATION/policy/current.json the installed policy (the log says which it must be)
//   STATION/.space-reserve      space held during `key generate` for the key's
//                               record (station/key_generation.h); absent
//                               otherwise, stale after a crash (replaced)
//   STATION/custody/<token>-<pin>.json the custody record of a PIN split among
//                               custodians (station/custody.h): its split, the salted
//                               hash of the PIN and the current share fingerprints
// Pure functions of the station directory; thread-safe.
#ifndef STRONGROOM_STATION_LAYOUT_H_
#define STRONGROOM_STATION_LAYOUT_H_

#include <string>
#include <string_view>

#include "base/file.h"

namespace sr::layout {

inline constexpr std::string_view kStationJson = "station.json";
inline constexpr std::string_view kLockFile = "station.lock";
inline constexpr std::string_view kSoftHsmConf = "softhsm2.conf";
inline constexpr std::string_view kTokensDir = "tokens";
inline constexpr std::string_view kTokenBackupsDir = "token-backups";
inline constexpr std::string_view kKeysDir = "keys";
inline constexpr std::string_view kLogDir = "log";
inline constexpr std::string_view kLogFactsFile = "facts";
inline constexpr std::string_view kEvidenceDir = "evidence";
inline constexpr std::string_view kPolicyDir = "policy";
inline constexpr std::string_view kCurrentPolicyFile = "current.json";
inline constexpr std::string_view kCustodyDir = "custody";
inline constexpr std::string_view kSpaceReserveFile = ".space-reserve";

inline std::string StationJson(std::string_view station) { return JoinPath(station, kStationJson); }
inline std::string LockFile(std::string_view station) { return JoinPath(station, kLockFile); }
inline std::string SoftHsmConf(std::string_view station) { return JoinPath(station, kSoftHsmConf); }
inline std::string TokensDir(std::string_view station) { return JoinPath(station, kTokensDir); }
inline std::string TokenBackupsDir(std::string_view station) {
  return JoinPath(station, kTokenBackupsDir);
}
inline std::string KeysDir(std::string_view station) { return JoinPath(station, kKeysDir); }
inline std::string LogDir(std::string_view station) { return JoinPath(station, kLogDir); }
inline std::string LogFactsIndex(std::string_view station) {
  return JoinPath(LogDir(station), kLogFactsFile);
}
inline std::string EvidenceDir(std::string_view station) { return JoinPath(station, kEvidenceDir); }
inline std::string PolicyDir(std::string_view station) { return JoinPath(station, kPolicyDir); }
inline std::string CurrentPolicy(std::string_view station) {
  return JoinPath(PolicyDir(station), kCurrentPolicyFile);
}
// STATION/policy/<sha256>.json: an installed policy envelope, by digest.
inline std::string InstalledPolicy(std::string_view station, std::string_view sha256) {
  return JoinPath(PolicyDir(station), std::string(sha256) + ".json");
}

inline std::string SpaceReserve(std::string_view station) {
  return JoinPath(station, kSpaceReserveFile);
}
inline std::string CustodyDir(std::string_view station) { return JoinPath(station, kCustodyDir); }
// STATION/custody/<token>-<pin>.json, e.g. custody/release-user.json.
inline std::string CustodyRecord(std::string_view station, std::string_view token,
                                 std::string_view pin) {
  return JoinPath(CustodyDir(station), std::string(token) + "-" + std::string(pin) + ".json");
}

}  // namespace sr::layout

#endif  // STRONGROOM_STATION_LAYOUT_H_
