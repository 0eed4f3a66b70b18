// A guard for the embedded SoftHSMv2's token files. SoftHSMv2 2.6.1 (file
// object store) rewrites a token's token.object in place at every login:
// ftruncate(0), then one write. A process killed between the two leaves the
// file empty, and SoftHSMv2 then no longer sees the token, or any key in it:
// a kill -9 of any command that logs in could destroy the station. (SoftHSM's
// sqlite backend would not, but Debian's build lacks it.) So the station keeps
// a copy of each token.object in STATION/token-backups/, refreshed whenever
// the file is whole, and puts it back, before the module is loaded, when the
// file is empty. Only an empty file is repaired: a single write(2) of a
// regular file is never torn by a kill, so "whole or empty" are the only states.
//
// Called with station.lock held, before the module is loaded. Not thread-safe.
#ifndef STRONGROOM_STATION_TOKEN_GUARD_H_
#define STRONGROOM_STATION_TOKEN_GUARD_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace sr {

// For each token folder in tokens_dir: restores an empty token.object from
// its copy in backup_dir, or refreshes the copy from a whole token.object.
// Returns the token folders that were restored (for a warning to the
// operator). kDataLoss when a token.object is empty and no copy exists.
Result<std::vector<std::string>> GuardTokenObjects(const std::string& tokens_dir,
                                                   const std::string& backup_dir);

}  // namespace sr

#endif  // STRONGROOM_STATION_TOKEN_GUARD_H_
