#include "station/clock.h"

#include <google/protobuf/util/time_util.h>

#include <cstdlib>

#include "log/reader.h"
#include "policy/gate.h"
#include "station/log_state.h"
#include "station/station.h"

namespace sr {
namespace v1 = strongroom::v1;
using std::chrono::duration_cast;
using std::chrono::seconds;
using std::chrono::system_clock;

Result<system_clock::time_point> ParseRfc3339(std::string_view text, std::string_view what) {
  google::protobuf::Timestamp ts;
  if (text.size() > 64 || !google::protobuf::util::TimeUtil::FromString(std::string(text), &ts))
    return InvalidArgument(std::string(what) + " \"" + std::string(text.substr(0, 64)) +
                           "\" is not an RFC 3339 time like 2026-12-06T13:05:00Z");
  return system_clock::time_point(seconds(ts.seconds()));
}

Result<ClockReport> ReadClock(std::string_view log_dir) {
  ClockReport r;
  const auto now = system_clock::now();
  r.station_time = NowRfc3339();
  SR_ASSIGN_OR_RETURN(auto floor, ReadClockFloor(log_dir));
  if (!floor) return r;
  r.last_event_index = floor->index;
  r.last_event_time = floor->time_text;
  SR_ASSIGN_OR_RETURN(auto t, ParseRfc3339(floor->time_text,
                                           "the time of event " + std::to_string(floor->index)));
  r.difference_seconds = duration_cast<seconds>(now - t).count();
  r.behind = policy::CheckClockAgainstLog(now, t, *r.last_event_index, r.last_event_time)
                 .has_value();
  return r;
}

Result<ClockCheck> RecordClockCheck(StationLog& log, std::string_view reference_time,
                                    std::string_view reference) {
  SR_ASSIGN_OR_RETURN(auto ref, ParseRfc3339(reference_time, "--reference-time"));
  const auto now = system_clock::now();
  ClockCheck out;
  out.difference_seconds = duration_cast<seconds>(now - ref).count();
  const auto& last = log.last_event();
  out.was_behind_log =
      last && policy::CheckClockAgainstLog(now, last->time, last->index, last->time_text);
  if (std::llabs(out.difference_seconds) > policy::kClockTolerance.count()) {
    policy::Failure f{
        policy::Reason::kClockDisagreesWithReference, "station",
        "the station clock reads " + NowRfc3339() + ", " +
            std::to_string(std::llabs(out.difference_seconds)) + " s " +
            (out.difference_seconds < 0 ? "behind" : "ahead of") + " the reference time " +
            std::string(reference_time) + " (tolerance " +
            std::to_string(policy::kClockTolerance.count()) +
            " s): set the station clock from the reference (date -s), then check it again"};
    return log.LogRefusal(f, "station clock --reference-time");
  }
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_CLOCK_CHECKED);
  auto* c = e.mutable_clock_checked();
  c->set_station_time(NowRfc3339());
  c->set_reference_time(std::string(reference_time));
  c->set_reference(std::string(reference));
  c->set_difference_seconds(out.difference_seconds);
  if (last) {
    c->set_last_event_index(last->index);
    c->set_last_event_time(last->time_text);
  }
  SR_ASSIGN_OR_RETURN(out.event_index, log.AppendAndCommit(std::move(e)));
  return out;
}

}  // namespace sr
