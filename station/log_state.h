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

// One product's signed releases, as the gate needs them: the highest version
// signed, and the SIGNING events of each version (their artifact digests are
// read from the log when a version is presented again: FactsFor).
struct ProductFacts {
  std::optional<std::string> last_signed_version;
  // The SIGNING events as of the facts index: the first indexed_bytes bytes
  // of the product's versions file (station/facts_index.h), whose records
  // chain to indexed_chain. 0 when read from the events (ReadLogState).
  std::uint64_t indexed_bytes = 0;
  std::string indexed_chain;
  // The SIGNING events after those (all of them when read from the events),
  // in log order: a serialized facts::IndexedVersions (proto/log_facts.proto),
  // one entry appended per event. Read, with the versions file, only by
  // SignedEvents (a sign of a version above last_signed_version never does).
  std::string signed_versions;
  // Releases about to be signed in this session (AddPending).
  std::vector<policy::SignedRelease> pending;
};

struct LogState {
  std::uint64_t installed_policy_version = 0;
  std::string installed_policy_digest;  // payload sha256 of the last POLICY_INSTALLED
  std::map<std::string, ProductFacts, std::less<>> products;
  // Keys taken out of service, by SPKI fingerprint: the KEY_REVOKED event
  // (which wins over a KEY_RETIRED), else the first KEY_RETIRED.
  std::map<std::string, policy::EndedKey> ended_keys;
  // The log's clock floor when it was opened (ReadClockFloor), so the gate
  // can refuse a clock behind it.
  std::optional<StationLog::LastEvent> last_event;
  // Where FactsFor reads a signed release's artifact digests: the log, and
  // the signed checkpoint (size, root) that proves each event before
  // proven_size by an inclusion proof (0: read as stored, checked by its
  // record checksum only, as ReadLogState reads everything).
  std::string log_dir;
  std::uint64_t proven_size = 0;
  std::string proven_root;

  // The facts the gate needs for one release: signed_releases holds only the
  // product's releases of that same version (all the gate compares against),
  // read from the log (an event that cannot be read or proven is given with
  // no artifacts: the release is refused either way, the version being
  // taken). key_ended is set when key_fingerprint is one of ended_keys.
  // kDataLoss when the product's versions file does not match the facts
  // index (read only for a version not above the last signed): the caller
  // refuses with LOG_INDEX_INVALID.
  Result<policy::LogFacts> FactsFor(std::string_view product, std::string_view version,
                                    std::string_view key_fingerprint = {}) const;
  // The SIGNING events of product's `version` (by text: valid versions
  // compare equal only when their text is equal, policy/version.h), in log
  // order; kDataLoss as FactsFor.
  Result<std::vector<std::uint64_t>> SignedEvents(std::string_view product,
                                                  std::string_view version) const;
  // All of product's SIGNING events (its versions file's covered part, then
  // signed_versions), a serialized facts::IndexedVersions; kDataLoss as
  // FactsFor.
  Result<std::string> AllVersions(std::string_view product) const;
  // The ended_keys entry of fingerprint, or nullptr.
  const policy::EndedKey* Ended(std::string_view fingerprint) const;
  // Records a release about to be signed in this session, so a later release
  // of the same product in the same batch is judged against it.
  void AddPending(const std::string& product, const std::string& version,
                  std::vector<std::string> artifact_sha256);
  // Adds the facts of event `index` (its bytes); kDataLoss when they do not
  // parse as an Event. Events must be added in log order.
  Status Add(std::uint64_t index, std::string_view event_bytes);
  // The artifact digests of SIGNING event `index`, read from log_dir.
  Result<std::vector<std::string>> SignedArtifacts(std::uint64_t index) const;
};

// The facts of every event of the log in log_dir, read from disk. kDataLoss
// names an event that does not parse or whose record checksum is wrong.
Result<LogState> ReadLogState(std::string_view log_dir);

// Opens the station's log for appending and reads its facts into *state
// from the facts index (station/facts_index.h), which is bound to the signed
// checkpoint: the signed events are not re-read (`log verify` does that), so
// the cost does not grow with the log. A stale index is caught up from the
// events after it; a missing one is rebuilt from every event (and written);
// one that does not verify is refused (kDataLoss naming `strongroom log
// reindex`), the refusal logged (LOG_INDEX_INVALID), before any gate runs.
// On failure *state means nothing.
Result<std::unique_ptr<StationLog>> OpenLogWithState(Station& station, const SecretBytes& log_pin,
                                                     LogState* state);

// Reads and parses event `index` of the log in dir.
Result<strongroom::v1::Event> ReadEventAt(std::string_view log_dir, std::uint64_t index);

}  // namespace sr

#endif  // STRONGROOM_STATION_LOG_STATE_H_
