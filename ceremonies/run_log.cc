#include "ceremonies/run_log.h"

#include <algorithm>

#include "base/file.h"
#include "log/reader.h"
#include "station/layout.h"
#include "station/station.h"
#include "station/station_log.h"

namespace sr::ceremonies {

namespace v1 = strongroom::v1;

bool RunLog::StationExists() const { return PathExists(layout::StationJson(station_)); }

Status RunLog::Append(std::vector<v1::Event> events, const std::string& session_id) {
  for (auto& e : events) {
    e.set_session_id(session_id);
    if (e.time().empty()) e.set_time(NowRfc3339());  // when it happened, even if held
  }
  pending_.insert(pending_.end(), events.begin(), events.end());
  if (!StationExists()) return Status::Ok();
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(station_, StationLockOptions::Take("ceremony run")));
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(*station, log_pin_));
  SR_RETURN_IF_ERROR(log->AppendMany(pending_).status());
  SR_RETURN_IF_ERROR(log->Commit().status());
  pending_.clear();
  return Status::Ok();
}

Result<RunRecord> ReadRunRecord(const std::string& station, const std::string& id) {
  SR_ASSIGN_OR_RETURN(auto reader, log::LogReader::Open(layout::LogDir(station)));
  RunRecord r;
  for (std::uint64_t i = 0; i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    v1::Event e;
    if (!e.ParseFromString(bytes))
      return DataLoss("log event " + std::to_string(i) + " does not parse");
    if (e.session_id() != id) continue;
    if (e.kind() == v1::EVENT_KIND_CEREMONY_STARTED && !e.ceremony_started().resumed()) {
      r.started = true;
      r.definition_sha256 = e.ceremony_started().definition_sha256();
    } else if (e.kind() == v1::EVENT_KIND_CEREMONY_STEP) {
      r.steps_done = std::max(r.steps_done, e.ceremony_step().step());
    } else if (e.kind() == v1::EVENT_KIND_CEREMONY_COMPLETED) {
      r.finished = true;
    }
  }
  return r;
}

}  // namespace sr::ceremonies
