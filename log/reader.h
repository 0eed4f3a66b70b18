// Read-only access to a log directory: events by index (through the index
// file), perfect-subtree hashes (through the tree file) and the stored
// checkpoint. Readers take no lock: the writer only appends to these files
// and replaces the checkpoint atomically, so a reader sees a consistent prefix.
// A LogReader is not thread-safe; open one per thread.
#ifndef STRONGROOM_LOG_READER_H_
#define STRONGROOM_LOG_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/file.h"
#include "log/merkle.h"

namespace sr::log {

// Perfect-subtree hashes read from the tree file with pread.
class FileNodeSource final : public NodeSource {
 public:
  explicit FileNodeSource(int fd) : fd_(fd) {}  // fd not owned
  Result<std::string> Node(unsigned level, std::uint64_t k) override;

 private:
  int fd_;
};

class LogReader {
 public:
  // Opens DIR's events, index and tree files (O_NOFOLLOW). kNotFound when DIR
  // holds no log.
  static Result<LogReader> Open(std::string_view dir);
  // Events present in the index file.
  std::uint64_t indexed_size() const { return indexed_; }
  // Events whose records are whole in the events file: the indexed ones and
  // those a crash (or a full disk) left durable after the index, which the
  // writer's next open indexes. Reads the records after the index; stops at
  // an incomplete one (a torn tail).
  Result<std::uint64_t> DurableSize();
  // The serialized event at index i, checked against its record checksum.
  Result<std::string> ReadEvent(std::uint64_t i);
  // The same, and its Merkle leaf hash (HashLeaf of the bytes returned),
  // which the checksum check computes anyway: a caller that needs the leaf
  // (the facts index, an inclusion proof) does not hash the event again.
  Result<std::string> ReadEvent(std::uint64_t i, std::string* leaf_hash);
  // Byte offset of the record for event i.
  Result<std::uint64_t> Offset(std::uint64_t i);
  // The stored checkpoint note (unverified bytes, at most kMaxNoteBytes).
  Result<std::string> CheckpointNote() const;
  NodeSource& nodes() { return nodes_; }
  const std::string& dir() const { return dir_; }

 private:
  LogReader(std::string dir, UniqueFd events, UniqueFd index, UniqueFd tree, std::uint64_t indexed);
  std::string dir_;
  UniqueFd events_, index_, tree_;
  std::uint64_t indexed_;
  FileNodeSource nodes_;
};

}  // namespace sr::log

#endif  // STRONGROOM_LOG_READER_H_
