#include "log/witness.h"

#include <memory>

#include "base/encoding.h"
#include "base/file.h"
#include "log/merkle.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/tiles.h"

namespace sr::log {
namespace {

std::string Describe(const Checkpoint& c) {
  return "size " + std::to_string(c.size) + ", root " + Base64Encode(c.root);
}

// Checks that `cp` extends `old` with a consistency proof built from DIR's
// data. kDataLoss (split view) when the proof does not verify.
Status CheckConsistent(const std::string& dir, const Checkpoint& old, const Checkpoint& cp) {
  std::unique_ptr<LogReader> reader;
  std::unique_ptr<TileNodeSource> tiles;
  NodeSource* nodes = nullptr;
  if (PathExists(JoinPath(dir, kEventsFile))) {
    SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(dir));
    reader = std::make_unique<LogReader>(std::move(r));
    nodes = &reader->nodes();
  } else {
    tiles = std::make_unique<TileNodeSource>(dir, cp.size);
    nodes = tiles.get();
  }
  auto proof = ConsistencyProof(*nodes, old.size, cp.size);
  if (!proof.ok()) {
    return proof.status().Annotate("cannot build the consistency proof from " + dir +
                                   " (a log directory or a tiles export holding the new tree)");
  }
  Status s = VerifyConsistency(old.size, cp.size, *proof, old.root, cp.root);
  if (!s.ok()) {
    return DataLoss("SPLIT VIEW: the log's checkpoint (" + Describe(cp) +
                    ") is not an extension of the checkpoint this witness cosigned before (" +
                    Describe(old) +
                    "): the log has shown two different histories. Not cosigned; keep both "
                    "checkpoints (the state file and " +
                    JoinPath(dir, kCheckpointFile) + ") as evidence");
  }
  return Status::Ok();
}

}  // namespace

Result<CosignResult> Cosign(const CosignOptions& o, CosignatureSigner& signer) {
  SR_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(o.log_vkey));
  SR_ASSIGN_OR_RETURN(std::string note, ReadFile(JoinPath(o.dir, kCheckpointFile), kMaxNoteBytes));
  auto opened = OpenCheckpoint(note, v);
  if (!opened.ok()) return opened.status().Annotate("the log's checkpoint in " + o.dir);
  CosignResult res;
  res.checkpoint = std::move(opened).value();
  const Checkpoint& cp = res.checkpoint;

  SR_RETURN_IF_ERROR(MakeDirs(DirName(o.state_path)));
  SR_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(o.state_path + ".lock"));
  if (!PathExists(o.state_path)) {
    if (!o.init) {
      return FailedPrecondition("the witness state " + o.state_path +
                                " does not exist: give --init to accept this log's current "
                                "checkpoint as the first one this witness cosigns (check the "
                                "path first: a wrong one would accept any history)");
    }
    res.first = true;
  } else {
    SR_ASSIGN_OR_RETURN(std::string state, ReadFile(o.state_path, kMaxNoteBytes));
    auto old = OpenCheckpoint(state, v);
    if (!old.ok()) {
      return old.status().Annotate("the witness state " + o.state_path +
                                   " is not a checkpoint of this log");
    }
    res.old_size = old->size;
    if (cp.size < old->size) {
      return FailedPrecondition("the log's checkpoint (" + Describe(cp) +
                                ") is older than the one this witness " + "cosigned before (" +
                                Describe(*old) +
                                "): not cosigned (a stale copy of the log, or a log rolled back)");
    }
    if (cp.size == old->size && cp.root != old->root) {
      return DataLoss("SPLIT VIEW: the log's checkpoint (" + Describe(cp) +
                      ") has the size of the one this witness cosigned before but another root (" +
                      Describe(*old) +
                      "): the log has shown two different histories. Not "
                      "cosigned; keep both checkpoints as evidence");
    }
    if (cp.size > old->size && old->size > 0) {
      SR_RETURN_IF_ERROR(CheckConsistent(o.dir, *old, cp));
    }
  }
  std::size_t split = note.rfind("\n\n");
  std::string text = note.substr(0, split + 1);
  SR_ASSIGN_OR_RETURN(res.line, signer.Cosign(text, o.time));
  // The state first: once a cosignature exists, this witness is bound to it.
  SR_RETURN_IF_ERROR(WriteFileAtomic(o.state_path, note, 0600));
  res.cosigned_note = note + res.line;
  return res;
}

}  // namespace sr::log
