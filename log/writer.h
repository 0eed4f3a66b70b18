// The only code that modifies a log directory.
//
// Contract:
// - One writer at a time across processes: Open/Create/Recover hold an
//   exclusive flock on DIR/lock until the LogWriter is destroyed.
// - Append returns only after the record is fdatasync'ed: an acknowledged
//   event survives a crash or kill -9.
// - Commit signs a checkpoint covering every event, but first proves (with a
//   consistency proof from the stored tree) that the new tree extends the
//   last signed checkpoint; the checkpoint is replaced atomically.
// - Open refuses (and names the problem) when the log is torn (kFailedPrecondition:
//   run Recover) or disagrees with the signed checkpoint (kDataLoss): it
//   re-verifies every signed event against the checkpoint root (one streaming
//   pass on all cores, about 1 s per million events). It never
//   repairs anything except the derived index/tree files, which it rebuilds
//   from the events file.
// Not thread-safe: one thread uses a LogWriter at a time.
#ifndef STRONGROOM_LOG_WRITER_H_
#define STRONGROOM_LOG_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/file.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/verify.h"
#include "proto/event.pb.h"

namespace sr::log {

// One incomplete record Recover cut from the end of the events file.
struct TornRemoval {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string sha256;                  // hex, of the removed bytes
  std::uint64_t tree_size_before = 0;  // complete events when it was cut
  std::uint64_t event_index = 0;       // its LOG_RECOVERED event
};

// What Recover found and did.
struct RecoverReport {
  bool torn = false;  // a torn tail was removed (by this or an interrupted recover)
  // Every removal not logged before this recover, in the order they were
  // cut: the crash's torn tail first, then the partial records of recovers
  // interrupted inside their own append. Each has its LOG_RECOVERED event.
  std::vector<TornRemoval> removals;
  // The first removal's (the torn tail the crash left), when torn.
  std::uint64_t removed_offset = 0;
  std::uint64_t removed_length = 0;
  std::string removed_sha256;               // hex
  std::uint64_t recovered_event_index = 0;  // index of its "log recovered" event
  std::uint64_t size = 0;                   // tree size of the new checkpoint
};

class LogWriter {
 public:
  // Creates an empty log in dir (created 0700 if missing) whose checkpoints
  // are signed by `signer` (origin = signer.Name()); writes DIR/vkey and a
  // signed checkpoint of size 0. kAlreadyExists if DIR already holds a log.
  static Status Create(std::string_view dir, NoteSigner& signer);
  // Opens DIR for appending. wait=false fails with kUnavailable when another
  // process holds the lock. `signer` must be the log's key and must outlive
  // the writer.
  // visit, when given, sees each of the signed_size() events the checkpoint
  // covers as the open-time check reads them (VerifyOptions::on_event), so a
  // caller can gather facts from the log in the same pass; only what it saw
  // during an Open that succeeded counts. Events after them (a crash's,
  // still unsigned) are not visited.
  // check_events=false leaves out the re-read of every signed event (the
  // tree is still checked against the signed checkpoint's root, and the
  // events appended are still proven consistent with it by Commit): for a
  // caller that vouches for what it reads of the events another way (the
  // station's facts index); `log verify` reads them all.
  static Result<std::unique_ptr<LogWriter>> Open(std::string_view dir, NoteSigner& signer,
                                                 bool wait = true, const EventVisitor& visit = {},
                                                 bool check_events = true);
  // Removes a torn tail (an incomplete last record after a crash), appends a
  // LOG_RECOVERED event describing it, and signs a checkpoint. What is cut is
  // first recorded durably in DIR/recover.pending (temp + fsync + rename),
  // and that file is removed only once every removal it lists has its event
  // durable and signed, so a crash during recovery is finished by the next
  // Recover (Open refuses while that file exists). A recover killed inside
  // its own append leaves a torn record of its own: the next one cuts it
  // too, adds it to the pending list, and logs both removals (one
  // LOG_RECOVERED each), however many recovers were interrupted. With no
  // torn tail it only signs a checkpoint over events a crash left unsigned.
  // Anything else that disagrees with the signed checkpoint is refused.
  // `at`, when given, is called at "recover-after-cut" (the removal is
  // recorded, the bytes are cut, no event yet) and "recover-after-append"
  // (the events are durable, not yet signed): crash tests stop it there.
  static Result<RecoverReport> Recover(std::string_view dir, NoteSigner& signer,
                                       const strongroom::v1::Event& template_event,
                                       const std::function<void(std::string_view)>& at = {});

  ~LogWriter();
  // Sets event.sequence to the next index, appends, syncs; returns the index.
  Result<std::uint64_t> Append(strongroom::v1::Event event);
  // Appends several events with one write and one sync (a signing session's
  // batch); all are durable when it returns. Sets each event's sequence in
  // place (the caller keeps the events as logged, without a copy) and
  // returns the first index. On failure none of them is acknowledged (a
  // partial batch is cut back).
  Result<std::uint64_t> AppendMany(std::vector<strongroom::v1::Event>& events);
  // Signs and stores a checkpoint for the current size; returns the note.
  Result<std::string> Commit();
  std::uint64_t size() const { return frontier_.size(); }
  std::uint64_t signed_size() const { return signed_.size; }
  // The last checkpoint, as verified by Open or signed and verified by
  // Commit, and its signed note.
  const Checkpoint& checkpoint() const { return signed_; }
  const std::string& checkpoint_note() const { return signed_note_; }
  // The tree of size() events, as appended (its perfect-subtree roots).
  const Frontier& frontier() const { return frontier_; }

 private:
  struct TailScan;
  LogWriter(std::string dir, NoteSigner& signer, FileLock lock);
  static Result<std::unique_ptr<LogWriter>> OpenLocked(std::string dir, NoteSigner& signer,
                                                       FileLock lock, bool allow_torn,
                                                       TailScan* torn_out,
                                                       const EventVisitor& visit = {},
                                                       bool check_events = true);
  Status CutTornTail(const TailScan& scan, std::vector<TornRemoval>& pending);
  Status LoadDerived(TailScan& scan);
  Result<std::uint64_t> TrimDerived();
  Result<std::uint64_t> EndOfIndexed(std::uint64_t n, std::uint64_t ev_size);
  Status IndexNewRecords(std::uint64_t off, std::uint64_t ev_size, TailScan& scan);
  Status AddToDerived(std::string_view leaf_hash, std::uint64_t offset);
  Status AppendRecords(const std::vector<std::string>& payloads);
  Status CheckAgainstCheckpoint();
  Status CheckSignedEvents(const EventVisitor& visit);

  std::string dir_;
  NoteSigner& signer_;
  FileLock lock_;
  UniqueFd events_, tree_, index_;
  std::uint64_t end_offset_ = 0;  // where the next record goes
  Frontier frontier_;
  Checkpoint signed_;
  std::string signed_note_;
  NoteVerifier verifier_;  // the log's key (DIR/vkey), checked against the signer's
  std::string pending_nodes_, pending_index_;
};

}  // namespace sr::log

#endif  // STRONGROOM_LOG_WRITER_H_
