// Running a shell command line from a test and capturing its exit code and
// output. The one command runner of the suite.
#ifndef STRONGROOM_TESTS_TESTING_RUN_H_
#define STRONGROOM_TESTS_TESTING_RUN_H_

#include <doctest/doctest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <string>

#include "base/file.h"

namespace sr::testing {

struct CmdResult {
  int rc = -1;           // the exit code; -1 if the command did not exit normally
  std::string out, err;  // stdout; stderr when captured apart
  std::string all() const { return out + err; }
};

namespace internal {
inline CmdResult Popen(const std::string& full) {
  FILE* p = ::popen(full.c_str(), "r");
  REQUIRE_MESSAGE(p != nullptr, full);
  CmdResult r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}
}  // namespace internal

// Runs a shell command line (sh -c); stdout and stderr both land in out.
inline CmdResult Run(const std::string& cmd) { return internal::Popen("(" + cmd + ") 2>&1"); }

// Runs a shell command line with stderr captured apart, in err, through the
// file err_file (overwritten).
inline CmdResult Run(const std::string& cmd, const std::string& err_file) {
  CmdResult r = internal::Popen("(" + cmd + ") 2>'" + err_file + "'");
  auto e = ReadFile(err_file, 1u << 30);
  if (e.ok()) r.err = *e;
  return r;
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_RUN_H_
