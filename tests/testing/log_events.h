// Every event of a station's log, read back and parsed: what the cli tests
// check after running the binary.
#ifndef STRONGROOM_TESTS_TESTING_LOG_EVENTS_H_
#define STRONGROOM_TESTS_TESTING_LOG_EVENTS_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "log/reader.h"
#include "proto/event.pb.h"

namespace sr::testing {

// The events of the log in `log_dir` (STATION/log), in order.
inline std::vector<strongroom::v1::Event> ReadLogEvents(const std::string& log_dir) {
  auto r = log::LogReader::Open(log_dir);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  std::vector<strongroom::v1::Event> out;
  for (std::uint64_t i = 0; i < r->indexed_size(); ++i) {
    auto b = r->ReadEvent(i);
    REQUIRE(b.ok());
    strongroom::v1::Event e;
    REQUIRE(e.ParseFromString(*b));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_LOG_EVENTS_H_
