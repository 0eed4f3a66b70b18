// Process hardening applied first thing in main(): no core dumps, not
// ptrace-attachable by other users' processes, private file modes.
#ifndef STRONGROOM_BASE_HARDENING_H_
#define STRONGROOM_BASE_HARDENING_H_

#include "base/status.h"

namespace sr {

// prctl(PR_SET_DUMPABLE, 0), RLIMIT_CORE = 0, umask 077.
Status HardenProcess();

}  // namespace sr

#endif  // STRONGROOM_BASE_HARDENING_H_
