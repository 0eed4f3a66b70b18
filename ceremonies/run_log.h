// The ceremony runner's side of the station log: appends events one call
// at a time, opening the station (station.lock) and the log only for that
// call, so that no lock is held while a step's action runs (the action
// takes the lock itself). Holds events in memory while the station does not
// exist yet (a station-initialization run), and writes them once it does.
// Also reads back what the log says about a run, for resume and abort.
// Not thread-safe.
#ifndef STRONGROOM_CEREMONIES_RUN_LOG_H_
#define STRONGROOM_CEREMONIES_RUN_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "proto/event.pb.h"

namespace sr::ceremonies {

class RunLog {
 public:
  RunLog(std::string station, SecretBytes log_pin)
      : station_(std::move(station)), log_pin_(std::move(log_pin)) {}
  // Whether STATION/station.json exists.
  bool StationExists() const;
  // Appends events (session_id = ceremony id) durably, with a checkpoint.
  // Held in memory while the station does not exist.
  Status Append(std::vector<strongroom::v1::Event> events, const std::string& session_id);
  bool HasPending() const { return !pending_.empty(); }

 private:
  std::string station_;
  SecretBytes log_pin_;
  std::vector<strongroom::v1::Event> pending_;
};

// What the log records of one ceremony run.
struct RunRecord {
  bool started = false;   // a CEREMONY_STARTED with this id
  bool finished = false;  // a CEREMONY_COMPLETED with this id
  std::string definition_sha256;
  unsigned steps_done = 0;  // the highest step number logged as CEREMONY_STEP
};
Result<RunRecord> ReadRunRecord(const std::string& station, const std::string& id);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_RUN_LOG_H_
