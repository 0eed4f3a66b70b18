#include "log/reader.h"

#include <sys/stat.h>

#include <algorithm>

#include "log/note.h"
#include "log/record.h"

namespace sr::log {

Result<std::string> FileNodeSource::Node(unsigned level, std::uint64_t k) {
  std::string h(kHashSize, '\0');
  SR_RETURN_IF_ERROR(ReadExactAt(fd_, NodePos(level, k) * kHashSize, h.data(), h.size(),
                                 "log tree file (run a log append or recover to rebuild it)"));
  return h;
}

LogReader::LogReader(std::string dir, UniqueFd events, UniqueFd index, UniqueFd tree,
                     std::uint64_t indexed)
    : dir_(std::move(dir)),
      events_(std::move(events)),
      index_(std::move(index)),
      tree_(std::move(tree)),
      indexed_(indexed),
      nodes_(tree_.get()) {}

Result<LogReader> LogReader::Open(std::string_view dir) {
  std::string d(dir);
  if (!PathExists(JoinPath(d, kEventsFile))) {
    return NotFound("'" + d + "' holds no signing-event log (no events file)");
  }
  SR_ASSIGN_OR_RETURN(UniqueFd events, OpenReadOnly(JoinPath(d, kEventsFile)));
  SR_ASSIGN_OR_RETURN(UniqueFd index, OpenReadOnly(JoinPath(d, kIndexFile)));
  SR_ASSIGN_OR_RETURN(UniqueFd tree, OpenReadOnly(JoinPath(d, kTreeFile)));
  struct stat st;
  if (::fstat(index.get(), &st) != 0)
    return ErrnoError("cannot stat", JoinPath(d, kIndexFile), errno);
  std::uint64_t indexed = static_cast<std::uint64_t>(st.st_size) / 8;
  LogReader r(std::move(d), std::move(events), std::move(index), std::move(tree), indexed);
  return r;
}

Result<std::uint64_t> LogReader::Offset(std::uint64_t i) {
  if (i >= indexed_) {
    return NotFound("event " + std::to_string(i) + " is not in the log (it holds " +
                    std::to_string(indexed_) + " indexed events)");
  }
  char b[8];
  SR_RETURN_IF_ERROR(ReadExactAt(index_.get(), i * 8, b, 8, "log index file"));
  return LoadBe64(b);
}

Result<std::string> LogReader::ReadEvent(std::uint64_t i) { return ReadEvent(i, nullptr); }

Result<std::string> LogReader::ReadEvent(std::uint64_t i, std::string* leaf_hash) {
  SR_ASSIGN_OR_RETURN(std::uint64_t off, Offset(i));
  char lb[kLengthBytes];
  SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), off, lb, sizeof lb, "log events file"));
  std::uint32_t len = LoadBe32(lb);
  if (len == 0 || len > kMaxEventBytes) {
    return DataLoss("event " + std::to_string(i) + " at offset " + std::to_string(off) +
                    ": record length " + std::to_string(len) + " is out of bounds");
  }
  std::string rec(len + kChecksumBytes, '\0');
  SR_RETURN_IF_ERROR(
      ReadExactAt(events_.get(), off + kLengthBytes, rec.data(), rec.size(), "log events file"));
  std::string leaf = HashLeaf(std::string_view(rec).substr(0, len));
  if (leaf.compare(0, kChecksumBytes, rec, len, kChecksumBytes) != 0) {
    return DataLoss("event " + std::to_string(i) + " at offset " + std::to_string(off) +
                    ": record checksum does not match its bytes");
  }
  rec.resize(len);  // the event without its checksum, not copied again
  if (leaf_hash != nullptr) *leaf_hash = std::move(leaf);
  return rec;
}

Result<std::uint64_t> LogReader::DurableSize() {
  std::uint64_t off = kEventsMagic.size();
  char lb[kLengthBytes];
  if (indexed_ > 0) {
    SR_ASSIGN_OR_RETURN(off, Offset(indexed_ - 1));
    SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), off, lb, sizeof lb, "log events file"));
    off += kRecordOverhead + LoadBe32(lb);
  }
  struct stat st;
  if (::fstat(events_.get(), &st) != 0)
    return ErrnoError("cannot stat", JoinPath(dir_, kEventsFile), errno);
  const auto end = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t n = indexed_;
  while (end - std::min(end, off) >= kRecordOverhead) {
    SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), off, lb, sizeof lb, "log events file"));
    std::uint32_t len = LoadBe32(lb);
    if (len == 0 || len > kMaxEventBytes || end - off < kRecordOverhead + len) break;
    off += kRecordOverhead + len;
    ++n;
  }
  return n;
}

Result<std::string> LogReader::CheckpointNote() const {
  return ReadFile(JoinPath(dir_, kCheckpointFile), kMaxNoteBytes);
}

}  // namespace sr::log
