// Proof files.
//
// Inclusion: C2SP tlog-proof@v1. The `extra` line carries the serialized
// event (base64) so the file is self-contained; it is untrusted input and is
// only believed because its leaf hash is bound to the signed checkpoint.
//
// Consistency (our format; C2SP defines none), lines separated by '\n':
//   strongroom.dev/tlog-consistency@v1
//   old <size> <base64 root>
//   <base64 hash>            zero or more, RFC 9162 PROOF(old, new) order
//   <empty line>
//   <the new checkpoint note, verbatim>
// Parsers bound every size and name the offending line. Thread-safe.
#ifndef STRONGROOM_LOG_PROOF_H_
#define STRONGROOM_LOG_PROOF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "log/note.h"

namespace sr::log {

inline constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
inline constexpr std::string_view kConsistencyHeader = "strongroom.dev/tlog-consistency@v1";
inline constexpr std::size_t kMaxProofBytes = 4 << 20;

struct InclusionProofFile {
  std::optional<std::string> extra;  // raw bytes (decoded)
  std::uint64_t index = 0;
  std::vector<std::string> hashes;
  std::string checkpoint_note;
  std::string Format() const;
  static Result<InclusionProofFile> Parse(std::string_view text);
};

struct ConsistencyProofFile {
  std::uint64_t old_size = 0;
  std::string old_root;
  std::vector<std::string> hashes;
  std::string checkpoint_note;  // the new checkpoint
  std::string Format() const;
  static Result<ConsistencyProofFile> Parse(std::string_view text);
};

// Builds an inclusion proof for event `index`, with the event in `extra`,
// against the newest checkpoint witnesses cosigned that covers it (stored
// by AddCosignatures, log/cosignature.h; the proof then carries the
// cosignatures), else against DIR's current checkpoint.
Result<InclusionProofFile> ProveInclusion(std::string_view dir, std::uint64_t index);
// The same against a checkpoint the caller holds already verified: the
// writer that just signed it (LogWriter::checkpoint(), checkpoint_note()),
// whose lock keeps DIR's checkpoint file the same.
Result<InclusionProofFile> ProveInclusion(std::string_view dir, std::uint64_t index,
                                          std::string_view note, const Checkpoint& cp);
// Builds a consistency proof from an older signed checkpoint (verified with
// DIR's own vkey) to DIR's current checkpoint.
Result<ConsistencyProofFile> ProveConsistency(std::string_view dir, std::string_view old_note);

struct ProofCheck {
  bool inclusion = false;
  std::uint64_t index = 0;     // inclusion: event index
  std::string event;           // inclusion: the event bytes proven
  std::uint64_t old_size = 0;  // consistency
  Checkpoint checkpoint;       // the verified checkpoint
};

// A folder of inclusion proofs handed to someone with a document that cites
// log events (a ceremony transcript, an audit report): DIR/checkpoint, the
// signed checkpoint every proof is against, and DIR/event-<N>.tlog-proof,
// event N's proof, each a file `strongroom log verify-proof` takes.
inline constexpr std::string_view kProofDirCheckpoint = "checkpoint";
std::string InclusionProofFileName(std::uint64_t index);  // "event-<N>.tlog-proof"
// Creates DIR if missing and writes the checkpoint and each (index, proof
// text) atomically (temp + fsync + rename), replacing files of the same name.
Status WriteProofDir(std::string_view dir, std::string_view checkpoint_note,
                     const std::vector<std::pair<std::uint64_t, std::string>>& proofs);

// Verifies either kind of proof file with the trusted verifier key. For an
// inclusion proof, `event` (if given) replaces the extra line as the leaf
// data. For a consistency proof, `old_note` (if given) must be a checkpoint
// signed by the same key with the proof's old size and root.
Result<ProofCheck> VerifyProofFile(std::string_view text, const NoteVerifier& verifier,
                                   std::optional<std::string_view> event,
                                   std::optional<std::string_view> old_note);

// The checkpoint note a file holds, for options that take "an older
// checkpoint you kept": a checkpoint note itself, a C2SP tlog-proof (a
// release's signing-event.tlog-proof: its checkpoint), or a consistency
// proof (its new checkpoint). Not verified here. kInvalidArgument naming
// `what` and saying what to give instead for any other file.
Result<std::string> CheckpointNoteOf(std::string_view text, std::string_view what);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_PROOF_H_
