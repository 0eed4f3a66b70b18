#include "log/event_times.h"

#include <google/protobuf/util/time_util.h>

#include "proto/event.pb.h"
#include "proto/wire_format.h"

namespace sr::log {
namespace {

// Event.kind and Event.time from the wire, stopping after field 3 (written
// in field order, so the scan reads a few bytes of each event).
bool ScanKindAndTime(std::string_view event, int* kind, std::string* time) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(event.data()),
                                            static_cast<int>(event.size()));
  *kind = 0;
  time->clear();
  bool have_time = false;
  while (std::uint32_t tag = in.ReadTag()) {
    const int field = proto::TagFieldNumber(tag);
    if (field == 2 && proto::TagWireType(tag) == proto::WireType::kVarint) {
      std::uint32_t v;
      if (!in.ReadVarint32(&v)) return false;
      *kind = static_cast<int>(v);
    } else if (field == 3 && proto::TagWireType(tag) == proto::WireType::kLengthDelimited) {
      std::uint32_t len;
      if (!in.ReadVarint32(&len) || len > 64 || !in.ReadString(time, static_cast<int>(len)))
        return false;
      have_time = true;
    } else if (field > 3 && have_time) {
      return true;
    } else if (!proto::SkipField(&in, tag)) {
      return false;
    }
  }
  return have_time;
}

std::string KindName(int kind) {
  if (!strongroom::v1::EventKind_IsValid(kind)) return "kind " + std::to_string(kind);
  std::string name = strongroom::v1::EventKind_Name(static_cast<strongroom::v1::EventKind>(kind));
  constexpr std::string_view kPrefix = "EVENT_KIND_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  return name;
}

}  // namespace

void EventTimeCheck::See(std::uint64_t index, std::string_view event) {
  int kind = 0;
  std::string time;
  google::protobuf::Timestamp ts;
  if (!ScanKindAndTime(event, &kind, &time) ||
      !google::protobuf::util::TimeUtil::FromString(time, &ts)) {
    ++unparsable_;
    return;
  }
  if (last_ && ts.seconds() < last_->seconds) {
    ++count_;
    if (kept_.size() < kMaxKept)
      kept_.push_back({index, KindName(kind), time, last_->index, last_->time});
  }
  last_ = Last{index, ts.seconds(), std::move(time)};
}

}  // namespace sr::log
