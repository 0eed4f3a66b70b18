// The events of a log under its signed checkpoint, verified, for a document
// built from them and proved against that checkpoint (`audit report`,
// `ceremony transcript`): the checkpoint is read and its signature checked
// once against the auditor's vkey, the log is verified against that very
// checkpoint (so a station appending meanwhile changes nothing), and each
// event is handed to the caller parsed, in log order. Proofs of the events
// are then built against the checkpoint returned (log/proof.h
// ProveInclusion with its note). Thread-compatible.
#ifndef STRONGROOM_LOG_VERIFIED_EVENTS_H_
#define STRONGROOM_LOG_VERIFIED_EVENTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/note.h"
#include "log/verify.h"
#include "proto/event.pb.h"

namespace sr::log {

struct VerifiedCheckpoint {
  std::string vkey;  // the verifier key, as NoteVerifier writes it
  std::string note;  // the checkpoint note, as read
  Checkpoint checkpoint;
};

// Sees one event: its index, the event parsed (the callee may keep it) and
// its bytes (valid only during the call).
using ParsedEventVisitor =
    std::function<void(std::uint64_t index, strongroom::v1::Event&& event, std::string_view bytes)>;

// `what` names what the caller writes, for its messages ("report",
// "transcript": "...; no report was written"). kInvalidArgument for a bad
// vkey; kDataLoss when the checkpoint does not verify with it, the log does
// not verify against the checkpoint (VerifyFailureStatus) or an event does
// not parse; kIoError when the log cannot be read. The visitor's gatherings
// count only when the result is OK.
Result<VerifiedCheckpoint> ReadVerifiedEvents(std::string_view dir, std::string_view vkey,
                                              unsigned threads, std::string_view what,
                                              const ParsedEventVisitor& visit);

// A failed VerifyReport as the Status of a command that writes `what`:
// kIoError for check "io", else kDataLoss, naming the check, the event and
// the byte offset.
Status VerifyFailureStatus(const VerifyReport& report, std::string_view what);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_VERIFIED_EVENTS_H_
