// Helpers shared by the benchmarks (bench/*): timing, temp dirs, scratch
// files, child processes (bench/station_bench_util.h adds a station).
#ifndef STRONGROOM_BENCH_LOG_BENCH_UTIL_H_
#define STRONGROOM_BENCH_LOG_BENCH_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "proto/event.pb.h"

extern char** environ;

namespace sr::bench {

// Prints "<program>: what" and exits 1 (a benchmark that cannot run).
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

inline void Check(const sr::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.message());
}

// Plain write: set-up files need no fsync (thousands of small artifacts).
inline void WritePlain(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) Die("cannot write " + path);
}

inline std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Deterministic pseudo-random bytes, distinct per seed.
inline std::string Bytes(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  unsigned x = seed * 2654435761u + 12345;
  for (auto& c : out) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  return out;
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Run {
  int rc = -1;         // exit code, or 128 + signal
  double seconds = 0;  // wall time from spawn to exit
  double cpu = 0;      // the child's user + system seconds (what load disturbs least)
};

// Runs args[0] (looked up in PATH unless a path) directly, without a shell,
// stdin from /dev/null and stdout + stderr into out_path; extra_env
// ("NAME=value") added to or replacing this process's environment.
inline Run Spawn(const std::vector<std::string>& args, const std::string& out_path,
                 const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string v(*e);
    bool replaced = false;
    for (const auto& x : extra_env)
      replaced |= v.compare(0, x.find('=') + 1, x, 0, x.find('=') + 1) == 0;
    if (!replaced) env_store.push_back(v);
  }
  for (const auto& x : extra_env) env_store.push_back(x);
  std::vector<char*> envp, argv;
  for (auto& v : env_store) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_store = args;
  for (auto& a : args_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  Run r;
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    struct rusage ru {};
    ::wait4(pid, &status, 0, &ru);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  posix_spawn_file_actions_destroy(&fa);
  return r;
}

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
