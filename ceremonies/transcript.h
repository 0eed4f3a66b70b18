// The transcript of one ceremony, built from the signing-event log alone:
// what an auditor who holds only a copy of the log and the log's verifier
// key can check. The log is verified against its signed checkpoint before
// anything is read from it; every event of the ceremony comes with its
// inclusion proof against that checkpoint, in the file format
// `strongroom log verify-proof` takes (C2SP tlog-proof@v1, the event in
// its extra line).
//
// An event belongs to ceremony ID when its session_id is ID (the runner sets
// it on every event a ceremony writes, so the KEY_GENERATED, SIGNING, ...
// events of its steps are included), or when it is a ceremony event
// (CEREMONY_STARTED, _STEP, _EXCEPTION, _COMPLETED) whose payload names ID.
//
// Files (docs/formats.md, "Ceremony transcript"), for --out BASE:
//   BASE.md                          the transcript, Markdown
//   BASE.html                        the same, a printable page for wet-ink signatures
//   BASE.proofs/checkpoint           the signed checkpoint every proof is against
//   BASE.proofs/event-<N>.tlog-proof event N's inclusion proof
// Thread-safe (no shared state).
#ifndef STRONGROOM_CEREMONIES_TRANSCRIPT_H_
#define STRONGROOM_CEREMONIES_TRANSCRIPT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ceremonies/render.h"
#include "proto/event.pb.h"

namespace sr::ceremonies {

struct TranscriptOptions {
  std::string log_dir;
  std::string vkey;         // the log's verifier key the auditor trusts (C2SP vkey string)
  std::string ceremony_id;  // Event.session_id of the ceremony's events
};

struct ProvenEvent {
  std::uint64_t index = 0;
  strongroom::v1::Event event;
  std::string bytes;  // the event as stored (the Merkle leaf's data)
  std::string proof;  // tlog-proof@v1 text against Transcript::checkpoint_note
};

struct Transcript {
  std::string ceremony_id;
  std::string vkey;    // the verifier key the log was verified with
  std::string origin;  // the checkpoint's origin line
  std::uint64_t checkpoint_size = 0;
  std::string root;                 // the checkpoint's root hash, 32 raw bytes
  std::string checkpoint_note;      // the signed checkpoint, verbatim
  std::vector<ProvenEvent> events;  // the ceremony's events, in log order
};

// Verifies the log in options.log_dir against its signed checkpoint with
// options.vkey (as `log verify` does, for the events that checkpoint
// covers; later, unsigned events are not read), then gathers the
// ceremony's events and proves each. Errors: kInvalidArgument for a bad
// vkey or an empty or unprintable ceremony id; kDataLoss naming the failed
// check, event and byte offset when the log does not verify; kNotFound when
// no event of the checkpoint belongs to the ceremony, listing the ceremony
// ids the log holds; kIo when the log cannot be read.
Result<Transcript> CollectTranscript(const TranscriptOptions& options);

// The paths written for --out BASE (a trailing ".md" or ".html" on BASE is
// dropped, so "--out t.md" writes t.md, t.html and t.proofs/).
struct TranscriptFiles {
  std::string base;
  std::string markdown, html, proof_dir, checkpoint;
  // The proof file of event `index`: its path, and its path relative to the
  // transcript's own folder (as the transcript names it).
  std::string ProofPath(std::uint64_t index) const;
  std::string ProofRelative(std::uint64_t index) const;
  std::string CheckpointRelative() const;
  static TranscriptFiles For(std::string_view out);
};

// The transcript as a document: overview (ceremony, definition, checkpoint),
// participants (authenticated with role and key fingerprint; typed operator
// names marked as not authenticated), steps (action, exit code, outputs with
// digests, confirmations), exceptions, outcome, the events with their proof
// files and the commands that check them, and signature lines for every
// participant and a witness.
Document TranscriptDocument(const Transcript& t, const TranscriptFiles& files);

// Writes the proofs, the checkpoint, then BASE.md and BASE.html, each
// atomically (temp + fsync + rename); creates BASE.proofs/ if missing and
// replaces files of the same name in it.
Status WriteTranscript(const Transcript& t, const TranscriptFiles& files);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_TRANSCRIPT_H_
