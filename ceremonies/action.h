// Runs one ceremony action: the strongroom binary itself (/proc/self/exe)
// re-executed with the action's argv (no shell, so no quoting or expansion
// surprises), in the ceremony's working folder. Its stdout and stderr are
// shown as they come and digested; the child takes the station lock itself.
#ifndef STRONGROOM_CEREMONIES_ACTION_H_
#define STRONGROOM_CEREMONIES_ACTION_H_

#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace sr::ceremonies {

struct ActionResult {
  int exit_code = -1;         // -1: killed by a signal
  std::string output_sha256;  // SHA-256 hex of everything it wrote (stdout and stderr)
  std::string tail;           // its last 2 KiB of output, for the exception's detail
};

// Runs program with args (argv[0] is program) in dir; out receives the
// output. With inherit_stdin the child reads the terminal (interactive
// runs), else /dev/null. Errors only when the child could not be started.
Result<ActionResult> RunAction(const std::string& program, const std::vector<std::string>& args,
                               const std::string& dir, bool inherit_stdin, std::ostream& out);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_ACTION_H_
