// What the signing-event log says that the signing gate must know: which
// policy is installed, and which versions of each product were signed with
// which artifacts. The log is the authority for both (files in the station
// can be replaced; the log cannot be changed without detection).
//
// Reads through log::LogReader (no lock); call it while holding the log
// writer (StationLog) so that the state cannot change underneath. Pure data
// otherwise; thread-compatible.
#ifndef STRONGROOM_STATION_LOG_STATE_H_
#define STRONGROOM_STATION_LOG_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/gate.h"
#include "proto/event.pb.h"
#include "station/station_log.h"

namespace sr {

struct LogState {
  std::uint64_t installed_policy_version = 0;
  std::string installed_policy_digest;  // payload sha256 of the last POLICY_INSTALLED
  // The SIGNING events, by product, in log order.
  std::map<std::string, std::vector<policy::SignedRelease>> releases;
  // Keys taken out of service, by SPKI fingerprint: the KEY_REVOKED event
  // (which wins over a KEY_RETIRED), else the first KEY_RETIRED.
  std::map<std::string, policy::EndedKey> ended_keys;
  // The log's last event when it was opened (OpenLogWithState), so the gate
  // can refuse a clock behind it.
  std::optional<StationLog::LastEvent> last_event;

  // The facts the gate needs for one release: signed_releases holds only the
  // product's releases of that same version (all the gate compares against),
  // so judging a release does not copy every digest the log has signed.
  // key_ended is set when key_fingerprint is one of ended_keys.
  policy::LogFacts FactsFor(std::string_view product, std::string_view version,
                            std::string_view key_fingerprint = {}) const;
  // The ended_keys entry of fingerprint, or nullptr.
  const policy::EndedKey* Ended(std::string_view fingerprint) const;
  // Records a release about to be signed in this session, so a later release
  // of the same product in the same batch is judged against it.
  void AddPending(const std::string& product, const std::string& version,
                  std::vector<std::string> artifact_sha256);
};

// The facts of every event of the log in log_dir, read from disk. kDataLoss
// names an event that does not parse or whose record checksum is wrong.
Result<LogState> ReadLogState(std::string_view log_dir);

// Opens the station's log for appending (StationLog::Open) and gathers its
// facts into *state in the same pass as the open's check of the signed
// events, so a session reads the log once; the events after the signed
// checkpoint are read after it. On failure *state means nothing.
Result<std::unique_ptr<StationLog>> OpenLogWithState(Station& station, const SecretBytes& log_pin,
                                                     LogState* state);

// Reads and parses event `index` of the log in dir.
Result<strongroom::v1::Event> ReadEventAt(std::string_view log_dir, std::uint64_t index);

}  // namespace sr

#endif  // STRONGROOM_STATION_LOG_STATE_H_
