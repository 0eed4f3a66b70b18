// Finds events dated before the event preceding them: the sign of a station
// clock that went back (or of events forged with the log key). The log's
// integrity does not depend on it (times are part of the signed bytes); it
// is what an auditor must see about the clock the gate judged expiry with.
// Reads only Event.kind (field 2) and Event.time (field 3) of each event.
#ifndef STRONGROOM_LOG_EVENT_TIMES_H_
#define STRONGROOM_LOG_EVENT_TIMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::log {

struct TimeRegression {
  std::uint64_t index = 0;
  std::string kind;  // EventKind name without its prefix, e.g. "REFUSAL"
  std::string time;
  std::uint64_t previous_index = 0;
  std::string previous_time;
};

class EventTimeCheck {
 public:
  // Caps the regressions kept (all are counted).
  static constexpr std::size_t kMaxKept = 100;

  // Sees event `index` (its serialized Event) in log order. An event whose
  // time is missing or unparsable is counted in unparsable(), not compared.
  void See(std::uint64_t index, std::string_view event);

  const std::vector<TimeRegression>& regressions() const { return kept_; }
  std::uint64_t regression_count() const { return count_; }
  std::uint64_t unparsable() const { return unparsable_; }

 private:
  struct Last {
    std::uint64_t index;
    std::int64_t seconds;
    std::string time;
  };
  std::optional<Last> last_;
  std::vector<TimeRegression> kept_;
  std::uint64_t count_ = 0;
  std::uint64_t unparsable_ = 0;
};

}  // namespace sr::log

#endif  // STRONGROOM_LOG_EVENT_TIMES_H_
