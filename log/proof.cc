#include "log/proof.h"

#include <charconv>

#include "base/encoding.h"
#include "base/file.h"
#include "log/cosignature.h"
#include "log/merkle.h"
#include "log/reader.h"
#include "log/record.h"

namespace sr::log {
namespace {

constexpr std::size_t kMaxProofHashes = 128;

Result<std::uint64_t> Decimal(std::string_view s, std::string_view what) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || (s.size() > 1 && s[0] == '0') || ec != std::errc() || p != s.data() + s.size()) {
    return InvalidArgument(std::string(what) + " '" + std::string(s) + "' is not a decimal number");
  }
  return v;
}

// Reads "line\n" from text at pos; fails naming line number.
Result<std::string_view> NextLine(std::string_view text, std::size_t& pos, int& line_no) {
  ++line_no;
  std::size_t nl = text.find('\n', pos);
  if (nl == std::string_view::npos) {
    return InvalidArgument("proof line " + std::to_string(line_no) +
                           " is missing or not newline-terminated");
  }
  std::string_view l = text.substr(pos, nl - pos);
  pos = nl + 1;
  return l;
}

// Hash lines until an empty line; the rest is the checkpoint note.
Status ReadHashesAndNote(std::string_view text, std::size_t& pos, int& line_no,
                         std::vector<std::string>& hashes, std::string& note) {
  while (true) {
    SR_ASSIGN_OR_RETURN(std::string_view l, NextLine(text, pos, line_no));
    if (l.empty()) break;
    if (hashes.size() >= kMaxProofHashes) return InvalidArgument("proof has more than 128 hashes");
    auto h = Base64Decode(l, "proof hash on line " + std::to_string(line_no));
    if (!h.ok()) return h.status();
    if (h->size() != kHashSize) {
      return InvalidArgument("proof hash on line " + std::to_string(line_no) + " is not 32 bytes");
    }
    hashes.push_back(std::move(h).value());
  }
  note = std::string(text.substr(pos));
  if (note.empty()) return InvalidArgument("proof has no checkpoint after the empty line");
  return Status::Ok();
}

Result<std::string> CurrentNote(LogReader& r, Checkpoint& cp) {
  SR_ASSIGN_OR_RETURN(std::string note, r.CheckpointNote());
  SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(r.dir(), kVkeyFile), 4096));
  SR_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(vkey));
  SR_ASSIGN_OR_RETURN(cp, OpenCheckpoint(note, v));
  return note;
}

}  // namespace

std::string InclusionProofFile::Format() const {
  // Sized once: `extra` (a SIGNING event of a large release) can be hundreds
  // of kilobytes, and growing the text piece by piece copied it several times.
  std::string out;
  out.reserve(kTlogProofHeader.size() + 64 + (extra ? (extra->size() + 2) / 3 * 4 + 8 : 0) +
              hashes.size() * 46 + checkpoint_note.size());
  out.append(kTlogProofHeader).append("\n");
  if (extra) out.append("extra ").append(Base64Encode(*extra)).append("\n");
  out.append("index ").append(std::to_string(index)).append("\n");
  for (const std::string& h : hashes) out.append(Base64Encode(h)).append("\n");
  out.append("\n").append(checkpoint_note);
  return out;
}

Result<InclusionProofFile> InclusionProofFile::Parse(std::string_view text) {
  if (text.size() > kMaxProofBytes) return InvalidArgument("proof file is larger than 4 MiB");
  InclusionProofFile f;
  std::size_t pos = 0;
  int line_no = 0;
  SR_ASSIGN_OR_RETURN(std::string_view l, NextLine(text, pos, line_no));
  if (l != kTlogProofHeader) return InvalidArgument("line 1 is not 'c2sp.org/tlog-proof@v1'");
  SR_ASSIGN_OR_RETURN(l, NextLine(text, pos, line_no));
  if (l.substr(0, 6) == "extra ") {
    SR_ASSIGN_OR_RETURN(f.extra, Base64Decode(l.substr(6), "extra data on line 2"));
    SR_ASSIGN_OR_RETURN(l, NextLine(text, pos, line_no));
  }
  if (l.substr(0, 6) != "index ") {
    return InvalidArgument("line " + std::to_string(line_no) + " is not 'index <N>'");
  }
  SR_ASSIGN_OR_RETURN(f.index, Decimal(l.substr(6), "index"));
  SR_RETURN_IF_ERROR(ReadHashesAndNote(text, pos, line_no, f.hashes, f.checkpoint_note));
  return f;
}

std::string ConsistencyProofFile::Format() const {
  std::string out(kConsistencyHeader);
  out += "\nold " + std::to_string(old_size) + " " + Base64Encode(old_root) + "\n";
  for (const std::string& h : hashes) out += Base64Encode(h) + "\n";
  out += "\n" + checkpoint_note;
  return out;
}

Result<ConsistencyProofFile> ConsistencyProofFile::Parse(std::string_view text) {
  if (text.size() > kMaxProofBytes) return InvalidArgument("proof file is larger than 4 MiB");
  ConsistencyProofFile f;
  std::size_t pos = 0;
  int line_no = 0;
  SR_ASSIGN_OR_RETURN(std::string_view l, NextLine(text, pos, line_no));
  if (l != kConsistencyHeader) {
    return InvalidArgument("line 1 is not '" + std::string(kConsistencyHeader) + "'");
  }
  SR_ASSIGN_OR_RETURN(l, NextLine(text, pos, line_no));
  std::size_t sp = l.find(' ', 4);
  if (l.substr(0, 4) != "old " || sp == std::string_view::npos) {
    return InvalidArgument("line 2 is not 'old <size> <base64 root>'");
  }
  SR_ASSIGN_OR_RETURN(f.old_size, Decimal(l.substr(4, sp - 4), "old size"));
  SR_ASSIGN_OR_RETURN(f.old_root, Base64Decode(l.substr(sp + 1), "old root on line 2"));
  if (f.old_root.size() != kHashSize) return InvalidArgument("old root on line 2 is not 32 bytes");
  SR_RETURN_IF_ERROR(ReadHashesAndNote(text, pos, line_no, f.hashes, f.checkpoint_note));
  return f;
}

namespace {

Result<InclusionProofFile> ProveWith(LogReader& r, std::uint64_t index, std::string_view note,
                                     const Checkpoint& cp) {
  if (index >= cp.size) {
    return NotFound("event " + std::to_string(index) +
                    " is not covered by the current checkpoint (size " + std::to_string(cp.size) +
                    ")");
  }
  InclusionProofFile f;
  f.checkpoint_note = std::string(note);
  std::string leaf;  // HashLeaf(event), from the read's own check
  SR_ASSIGN_OR_RETURN(std::string event, r.ReadEvent(index, &leaf));
  SR_ASSIGN_OR_RETURN(f.hashes, InclusionProof(r.nodes(), index, cp.size));
  SR_RETURN_IF_ERROR(VerifyInclusion(index, cp.size, leaf, f.hashes, cp.root)
                         .Annotate("the stored tree disagrees with the checkpoint"));
  f.index = index;
  f.extra = std::move(event);
  return f;
}

}  // namespace

Result<InclusionProofFile> ProveInclusion(std::string_view dir, std::uint64_t index) {
  SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(dir));
  Checkpoint cp;
  SR_ASSIGN_OR_RETURN(std::string note, CurrentNote(r, cp));
  // The newest checkpoint witnesses cosigned (log/cosignature.h) that covers
  // the event, so that the proof carries their cosignatures; else the
  // current checkpoint.
  SR_ASSIGN_OR_RETURN(auto cosigned, StoredCosignedNotes(dir));
  for (const auto& [size, stored] : cosigned) {
    if (size <= index || size > cp.size) continue;
    SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(dir, kVkeyFile), 4096));
    SR_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(vkey));
    auto c = OpenCheckpoint(stored, v);
    if (!c.ok())
      return c.status().Annotate("the cosigned checkpoint stored for size " + std::to_string(size));
    return ProveWith(r, index, stored, *c);
  }
  return ProveWith(r, index, note, cp);
}

Result<InclusionProofFile> ProveInclusion(std::string_view dir, std::uint64_t index,
                                          std::string_view note, const Checkpoint& cp) {
  SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(dir));
  return ProveWith(r, index, note, cp);
}

Result<ConsistencyProofFile> ProveConsistency(std::string_view dir, std::string_view old_note) {
  SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(dir));
  Checkpoint cp;
  ConsistencyProofFile f;
  SR_ASSIGN_OR_RETURN(f.checkpoint_note, CurrentNote(r, cp));
  SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(dir, kVkeyFile), 4096));
  SR_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(vkey));
  auto old = OpenCheckpoint(old_note, v);
  if (!old.ok()) return old.status().Annotate("the older checkpoint");
  if (old->size == 0 || old->size > cp.size) {
    return InvalidArgument("no consistency proof from size " + std::to_string(old->size) +
                           " to size " + std::to_string(cp.size) + " (the old size must be 1.." +
                           std::to_string(cp.size) + ")");
  }
  SR_ASSIGN_OR_RETURN(f.hashes, ConsistencyProof(r.nodes(), old->size, cp.size));
  SR_RETURN_IF_ERROR(VerifyConsistency(old->size, cp.size, f.hashes, old->root, cp.root)
                         .Annotate("the older checkpoint is not consistent with this log"));
  f.old_size = old->size;
  f.old_root = old->root;
  return f;
}

Result<ProofCheck> VerifyProofFile(std::string_view text, const NoteVerifier& verifier,
                                   std::optional<std::string_view> event,
                                   std::optional<std::string_view> old_note) {
  ProofCheck pc;
  if (text.substr(0, kTlogProofHeader.size()) == kTlogProofHeader) {
    SR_ASSIGN_OR_RETURN(InclusionProofFile f, InclusionProofFile::Parse(text));
    SR_ASSIGN_OR_RETURN(pc.checkpoint, OpenCheckpoint(f.checkpoint_note, verifier));
    if (event) {
      pc.event = std::string(*event);
    } else if (f.extra) {
      pc.event = *f.extra;
    } else {
      return InvalidArgument("the proof has no extra line; give the event bytes with --event");
    }
    SR_RETURN_IF_ERROR(VerifyInclusion(f.index, pc.checkpoint.size, HashLeaf(pc.event), f.hashes,
                                       pc.checkpoint.root));
    pc.inclusion = true;
    pc.index = f.index;
    return pc;
  }
  SR_ASSIGN_OR_RETURN(ConsistencyProofFile f, ConsistencyProofFile::Parse(text));
  SR_ASSIGN_OR_RETURN(pc.checkpoint, OpenCheckpoint(f.checkpoint_note, verifier));
  if (old_note) {
    auto old = OpenCheckpoint(*old_note, verifier);
    if (!old.ok()) return old.status().Annotate("the older checkpoint");
    if (old->size != f.old_size || old->root != f.old_root) {
      return DataLoss("the proof starts from size " + std::to_string(f.old_size) +
                      ", not from the older checkpoint given (size " + std::to_string(old->size) +
                      ")");
    }
  }
  SR_RETURN_IF_ERROR(
      VerifyConsistency(f.old_size, pc.checkpoint.size, f.hashes, f.old_root, pc.checkpoint.root));
  pc.old_size = f.old_size;
  return pc;
}

Result<std::string> CheckpointNoteOf(std::string_view text, std::string_view what) {
  std::string_view first = text.substr(0, text.find('\n'));
  if (first == kTlogProofHeader) {
    auto p = InclusionProofFile::Parse(text);
    if (!p.ok()) return p.status().Annotate(std::string(what) + " (a tlog-proof)");
    return p->checkpoint_note;
  }
  if (first == kConsistencyHeader) {
    auto p = ConsistencyProofFile::Parse(text);
    if (!p.ok()) return p.status().Annotate(std::string(what) + " (a consistency proof)");
    return p->checkpoint_note;
  }
  if (ParseCheckpointUnverified(text).ok()) return std::string(text);
  return InvalidArgument(std::string(what) +
                         " is not a checkpoint: give a checkpoint note you kept (a copy of "
                         "LOG/checkpoint) or a release's signing-event.tlog-proof");
}

std::string InclusionProofFileName(std::uint64_t index) {
  return "event-" + std::to_string(index) + ".tlog-proof";
}

Status WriteProofDir(std::string_view dir, std::string_view checkpoint_note,
                     const std::vector<std::pair<std::uint64_t, std::string>>& proofs) {
  SR_RETURN_IF_ERROR(MakeDirs(std::string(dir), 0755));
  SR_RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(dir, kProofDirCheckpoint), std::string(checkpoint_note), 0644));
  for (const auto& [index, text] : proofs)
    SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, InclusionProofFileName(index)), text, 0644));
  return Status::Ok();
}

}  // namespace sr::log
