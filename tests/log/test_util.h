// Shared helpers for the log tests: temp directories, building logs in
// process, running commands and flipping bytes in files.
#ifndef STRONGROOM_TESTS_LOG_TEST_UTIL_H_
#define STRONGROOM_TESTS_LOG_TEST_UTIL_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "base/file.h"
#include "log/note.h"
#include "log/writer.h"

namespace sr::log::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "srlog-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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

// Creates a log in dir with n events, committing every `session` events.
inline void BuildLog(const std::string& dir, NoteSigner& signer, std::uint64_t n,
                     std::uint64_t session = 1000) {
  if (!LogWriter::Create(dir, signer).ok()) throw std::runtime_error("create failed");
  std::uint64_t done = 0;
  while (done < n) {
    auto w = LogWriter::Open(dir, signer);
    if (!w.ok()) throw std::runtime_error(w.status().ToString());
    for (std::uint64_t i = 0; i < session && done < n; ++i, ++done) {
      if (!(*w)->Append(TestEvent(done)).ok()) throw std::runtime_error("append failed");
    }
    if (!(*w)->Commit().ok()) throw std::runtime_error("commit failed");
  }
}

inline std::string ReadAll(const std::string& path) {
  auto r = ReadFile(path, 1u << 30);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return *r;
}

inline void WriteAllTo(const std::string& path, const std::string& data) {
  std::filesystem::remove(path);
  if (!WriteFileAtomic(path, data, 0600).ok()) throw std::runtime_error("write " + path);
}

inline void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command line; captures stdout (stderr goes to out too when
// merge_stderr).
inline RunResult Run(const std::string& cmd, bool merge_stderr = true) {
  RunResult r;
  std::string full = cmd + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace sr::log::testing

#endif  // STRONGROOM_TESTS_LOG_TEST_UTIL_H_
