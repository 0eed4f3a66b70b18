// Helpers shared by the log benchmarks (bench/log_*): timing and temp dirs.
#ifndef STRONGROOM_BENCH_LOG_BENCH_UTIL_H_
#define STRONGROOM_BENCH_LOG_BENCH_UTIL_H_

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "proto/event.pb.h"

namespace sr::bench {

inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A temp dir under $BENCH_TMPDIR (default: the system temp dir), removed on
// exit unless $BENCH_KEEP is set (to rerun a step by hand).
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("BENCH_TMPDIR");
    std::string tmpl =
        (std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
         "srbench-XXXXXX")
            .string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~BenchDir() {
    if (!std::getenv("BENCH_KEEP")) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A realistic signing event (~400 bytes serialized).
inline strongroom::v1::Event BenchEvent(std::uint64_t i) {
  strongroom::v1::Event ev;
  ev.set_kind(strongroom::v1::EVENT_KIND_SIGNING);
  ev.set_time("2026-11-22T08:00:00Z");
  ev.set_station_id("station-bench");
  ev.add_operators("alice");
  ev.add_operators("bob");
  auto* s = ev.mutable_signing();
  s->set_product("ic-22-controller");
  s->set_version("5.4." + std::to_string(i));
  auto* a = s->add_artifacts();
  a->set_name("firmware.bin");
  a->set_sha256(std::string(64, 'a'));
  s->set_key_fingerprint(std::string(64, 'b'));
  s->set_key_authorization_id("auth-7");
  s->set_policy_version(3);
  s->set_policy_sha256(std::string(64, 'c'));
  s->set_approval_sha256(std::string(64, 'd'));
  s->set_provenance_sha256(std::string(64, 'e'));
  auto* sig = s->add_signatures();
  sig->set_algorithm("ecdsa-p256");
  sig->set_signature(std::string(72, 's'));
  return ev;
}

}  // namespace sr::bench

#endif  // STRONGROOM_BENCH_LOG_BENCH_UTIL_H_
