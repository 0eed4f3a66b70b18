// Sample log events, and a log built of them in process.
#ifndef STRONGROOM_TESTS_TESTING_EVENTS_H_
#define STRONGROOM_TESTS_TESTING_EVENTS_H_

#include <cstdint>
#include <stdexcept>
#include <string>

#include "log/note.h"
#include "log/writer.h"
#include "proto/event.pb.h"

namespace sr::testing {

// The i-th sample event: a ceremony step whose size varies with i.
inline strongroom::v1::Event TestEvent(std::uint64_t i) {
  strongroom::v1::Event ev;
  ev.set_kind(strongroom::v1::EVENT_KIND_CEREMONY_STEP);
  ev.set_station_id("test-station");
  ev.set_time("2026-11-22T08:00:00Z");
  ev.add_operators("alice");
  auto* s = ev.mutable_ceremony_step();
  s->set_ceremony("test");
  s->set_step(static_cast<unsigned>(i));
  s->set_step_name("step " + std::to_string(i) + std::string(i % 7, '.'));
  return ev;
}

// Creates a log in dir with n sample events, committing every `session` events.
inline void BuildLog(const std::string& dir, log::NoteSigner& signer, std::uint64_t n,
                     std::uint64_t session = 1000) {
  if (!log::LogWriter::Create(dir, signer).ok()) throw std::runtime_error("create failed");
  std::uint64_t done = 0;
  while (done < n) {
    auto w = log::LogWriter::Open(dir, signer);
    if (!w.ok()) throw std::runtime_error(w.status().ToString());
    for (std::uint64_t i = 0; i < session && done < n; ++i, ++done) {
      if (!(*w)->Append(TestEvent(done)).ok()) throw std::runtime_error("append failed");
    }
    if (!(*w)->Commit().ok()) throw std::runtime_error("commit failed");
  }
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_EVENTS_H_
