// A signed log written by the log_tool helper process (tests/log/log_tool.cc)
// in a temp dir, for the tests that drive `strongroom log ...` against it
// (tests/log/cli_test.cc, tests/log/publish_test.cc). The including test
// defines STRONGROOM_BINARY and LOG_TOOL (tests/log/CMakeLists.txt).
#ifndef STRONGROOM_TESTS_TESTING_TOOL_LOG_H_
#define STRONGROOM_TESTS_TESTING_TOOL_LOG_H_

#include <doctest/doctest.h>

#include <string>

#include "base/file.h"
#include "log/record.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {

struct ToolLog {
  // How the first events are written: `append` (N events, a commit every
  // 100) or `bulk` (N events, one commit).
  enum class Fill { kAppend, kBulk };

  TempDir t;
  std::string dir = t.Sub("log"), pem = t.Sub("key.pem");
  std::string vkey;                           // the log's verifier key (no newline)
  std::string vkey_file = t.Sub("log.vkey");  // the same, in a file

  explicit ToolLog(int n, const std::string& origin = "strongroom.test/cli",
                   Fill fill = Fill::kAppend, const std::string& tag = "cli") {
    REQUIRE(Run(Tool() + " create " + dir + " " + pem + " " + origin).rc == 0);
    if (fill == Fill::kBulk) {
      Bulk(n, tag);
    } else {
      Append(n, 100, tag);
    }
    vkey = ReadAll(JoinPath(dir, log::kVkeyFile));
    WriteAll(vkey_file, vkey);
    vkey.pop_back();
  }
  // n more events of `tag`, a commit every `batch` (log_tool append).
  void Append(int n, int batch, const std::string& tag) const {
    CmdResult r = Run(Tool() + " append " + dir + " " + pem + " " + std::to_string(n) + " " +
                      std::to_string(batch) + " " + tag);
    REQUIRE_MESSAGE(r.rc == 0, r.out);
  }
  // n more events of `tag` in one commit (log_tool bulk), to log_dir or dir.
  void Bulk(int n, const std::string& tag, const std::string& log_dir = "") const {
    CmdResult r = Run(Tool() + " bulk " + (log_dir.empty() ? dir : log_dir) + " " + pem + " " +
                      std::to_string(n) + " " + tag);
    REQUIRE_MESSAGE(r.rc == 0, r.out);
  }
  // The strongroom binary with args (`--json` first when json).
  CmdResult Sr(const std::string& args, bool json = false) const {
    return Run(std::string(STRONGROOM_BINARY) + (json ? " --json" : "") + " " + args);
  }
  CmdResult Log(const std::string& args, bool json = false) const {
    return Sr("log " + args, json);
  }
  static std::string Tool() { return LOG_TOOL; }
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_TOOL_LOG_H_
