// A witness's (or an auditor's) cosigning step (`strongroom log cosign`):
// check a log's new checkpoint against the last one this witness cosigned,
// kept in a state file, and only then cosign it (log/cosignature.h).
//
// The state file holds the last cosigned checkpoint note, verbatim. The new
// checkpoint must be signed by the log's key (the vkey the witness was
// configured with, never the log directory's), have the same origin, and be
// consistent with the state: same size and root, or a larger tree whose
// consistency proof (built from the log's data, a log directory or a tiles
// export, and checked against both signed roots) verifies. Anything else is
// refused and the state is left as it was; a checkpoint that contradicts the
// state is a split view (kDataLoss, and the message says so). The state is
// replaced (atomically, durably) before the cosignature is returned, so a
// witness never signs two views even across a crash. Not thread-safe; run
// one cosign per state file at a time (the state file is locked).
#ifndef STRONGROOM_LOG_WITNESS_H_
#define STRONGROOM_LOG_WITNESS_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "log/cosignature.h"
#include "log/note.h"

namespace sr::log {

struct CosignOptions {
  std::string dir;         // a log directory or a tiles export (its checkpoint and tree)
  std::string log_vkey;    // the log's verifier key the witness trusts
  std::string state_path;  // the witness's state for this log
  bool init = false;       // no state yet: the first checkpoint seen is accepted
  std::uint64_t time = 0;  // the cosignature's timestamp (POSIX seconds)
};

struct CosignResult {
  std::string line;            // the cosignature line, ending in '\n'
  std::string cosigned_note;   // the checkpoint note with the line appended
  Checkpoint checkpoint;       // what was cosigned
  std::uint64_t old_size = 0;  // the size in the state before
  bool first = false;          // no state before (init)
};

Result<CosignResult> Cosign(const CosignOptions& options, CosignatureSigner& signer);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_WITNESS_H_
