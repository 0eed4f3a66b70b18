// The station clock against the log. An air-gapped station has no time
// source but its own clock, and the gate judges expiry by it; a clock set
// back (root, a dead RTC battery, a restored VM snapshot) would revive an
// expired approval or key authorization. The log's last event is the latest
// time the station is known to have reached: StationLog refuses every
// logged action while the clock is behind it by more than
// policy::kClockTolerance, and the gate refuses a sign (CLOCK_BEHIND_LOG).
// Here: reading the comparison (`station clock`) and the witnessed check
// against a reference that lets a corrected station act again.
#ifndef STRONGROOM_STATION_CLOCK_H_
#define STRONGROOM_STATION_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "station/station_log.h"

namespace sr {

struct ClockReport {
  std::string station_time;                      // RFC 3339, now
  std::optional<std::uint64_t> last_event_index;  // nullopt: empty log
  std::string last_event_time;
  // station clock minus the last event's time (negative: the clock is behind).
  std::int64_t difference_seconds = 0;
  bool behind = false;  // behind by more than policy::kClockTolerance
};

// Reads the latest time the log shows the station reached (ReadClockFloor:
// no lock, no PIN) and compares it with the clock.
Result<ClockReport> ReadClock(std::string_view log_dir);

// Parses an RFC 3339 time ("2026-12-06T13:05:00Z"); kInvalidArgument naming
// `what` otherwise.
Result<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text,
                                                           std::string_view what);

struct ClockCheck {
  std::uint64_t event_index = 0;  // the CLOCK_CHECKED event
  std::int64_t difference_seconds = 0;
  bool was_behind_log = false;  // the check let a station whose clock was behind the log act again
};

// The witnessed check: the people present read `reference_time` from
// `reference` (a GPS receiver, a radio clock, a phone in another room).
// When the station clock agrees with it within policy::kClockTolerance, logs
// CLOCK_CHECKED (allowed even when the clock is behind the last event: this
// is the correction's record, and later events are compared with it) and
// commits. Otherwise kFailedPrecondition saying by how much the clock is off
// and to set it, with a REFUSAL logged (CLOCK_DISAGREES_WITH_REFERENCE).
Result<ClockCheck> RecordClockCheck(StationLog& log, std::string_view reference_time,
                                    std::string_view reference);

}  // namespace sr

#endif  // STRONGROOM_STATION_CLOCK_H_
