// Auditor verification of a whole log directory, independent of the writer:
// it trusts only the verifier key the auditor supplies (and, optionally, an
// older checkpoint the auditor kept). Streams the events file once in
// constant memory, hashing leaves on all cores.
//
// Checks, in order: checkpoint signature and origin; the events-file header;
// every record's framing (length bound, completeness) and checksum; that each
// record parses as an Event whose sequence equals its index; that the number
// of events equals the checkpoint size; that the recomputed root equals the
// checkpoint root; and that an older checkpoint is a prefix of this tree.
// Events after the checkpoint (complete, or a torn last record) are reported
// once the signed prefix has verified, as a crash remnant.
// The first failure is reported with the check name, event index and byte
// offset. Thread-safe (no shared state).
#ifndef STRONGROOM_LOG_VERIFY_H_
#define STRONGROOM_LOG_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/note.h"

namespace sr::log {

// Sees one event of the log: its index and its serialized bytes (valid only
// during the call).
using EventVisitor = std::function<void(std::uint64_t index, std::string_view event)>;

struct VerifyOptions {
  std::string dir;                   // the log directory
  std::string vkey;                  // trusted verifier key string
  std::optional<std::string> since;  // an older signed checkpoint note
  unsigned threads = 0;              // 0 = all cores
  // Check only the events the checkpoint covers and ignore anything after
  // them (the writer's check on open: a crash may leave unsigned events or a
  // torn tail, which it handles itself).
  bool signed_prefix_only = false;
  // The log's checkpoint as the caller already read and verified it against
  // this vkey while holding the log's lock (the writer's open): used instead
  // of reading DIR/checkpoint and checking its signature a second time.
  std::optional<Checkpoint> checkpoint;
  // Called with (bytes done, total bytes) from the calling thread.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  // Called from the calling thread, in log order, with each event read whose
  // record checksum, wire format and sequence number are right, so a caller
  // can gather what it needs from the events without reading the log again.
  // Events are seen before the root is checked: whatever was gathered
  // counts only when the report is ok.
  EventVisitor on_event;
};

// The checks whose failure is what a crash leaves rather than tampering:
// everything the checkpoint signs verified, and after it come complete
// events no checkpoint signs yet (kCheckUnsignedEvents) or an incomplete
// record (kCheckTornTail). `strongroom log recover` handles both.
inline constexpr std::string_view kCheckUnsignedEvents = "unsigned-events";
inline constexpr std::string_view kCheckTornTail = "torn-tail";

struct VerifyFailure {
  std::string check;         // stable name, e.g. "record-checksum" (docs/formats.md)
  std::int64_t index = -1;   // event index, -1 when not about one event
  std::int64_t offset = -1;  // byte offset in the events file, -1 when none
  std::string message;
  // True for kCheckUnsignedEvents and kCheckTornTail.
  bool crash_remnant() const { return check == kCheckUnsignedEvents || check == kCheckTornTail; }
};

struct VerifyReport {
  bool ok = false;
  std::uint64_t events = 0;  // records read
  std::uint64_t bytes = 0;   // events-file bytes read
  std::uint64_t checkpoint_size = 0;
  std::string root;  // recomputed root (32 raw bytes) when ok
  std::string origin;
  std::optional<std::uint64_t> since_size;
  std::optional<VerifyFailure> failure;
};

// Never throws; I/O errors that stop verification become a failure with
// check "io". Returns a non-OK Status only for bad options (unparsable vkey).
Result<VerifyReport> VerifyLog(const VerifyOptions& options);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_VERIFY_H_
