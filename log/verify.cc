#include "log/verify.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "base/file.h"
#include "google/protobuf/io/coded_stream.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/record.h"
#include "proto/wire_format.h"

namespace sr::log {
namespace {

constexpr std::size_t kBatchBytes = 2 << 20;

// Buffers are allocated once (uninitialized) and recycled: zero-filling and
// page-faulting a fresh 3 MiB buffer per batch stalled the reader.
constexpr std::size_t kBufferBytes = kBatchBytes + kMaxEventBytes + kRecordOverhead;

struct Batch {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::uint64_t first_index = 0;
  std::uint64_t base_offset = 0;
  std::vector<std::uint32_t> starts;  // record start positions in buf
};

struct BatchResult {
  std::string leaves;  // 32 bytes per record
  std::optional<VerifyFailure> failure;
};

VerifyFailure Fail(std::string check, std::int64_t index, std::int64_t offset, std::string msg) {
  return VerifyFailure{std::move(check), index, offset, std::move(msg)};
}

// "events 5..7)" or "event 5)"; end is one past the last.
std::string EventRange(std::uint64_t begin, std::uint64_t end) {
  return end - begin == 1
             ? "event " + std::to_string(begin) + ")"
             : "events " + std::to_string(begin) + ".." + std::to_string(end - 1) + ")";
}

// What the crash remnants mean and what to do about them.
std::string UnsignedAdvice() {
  return ". Every event the checkpoint signs verified. This is what a crash or a full disk "
         "between an append and its checkpoint leaves, not tampering: run 'strongroom log "
         "recover' at the station, then verify again. (An older checkpoint put back in place "
         "of a newer one looks the same: verify with --since and the newest checkpoint you "
         "kept to tell them apart.)";
}

// Checks that payload is well-formed protobuf wire format (every field's tag,
// wire type and length; nested messages are length-checked, not parsed) and
// extracts Event.sequence (field 1, varint; absent means 0). Allocation-free:
// a full parse costs several times the hashing.
bool ScanEvent(std::string_view payload, std::uint64_t* sequence) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                            static_cast<int>(payload.size()));
  *sequence = 0;
  while (true) {
    std::uint32_t tag = in.ReadTag();
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(payload.size());
    if (proto::TagFieldNumber(tag) == 1) {
      if (proto::TagWireType(tag) != proto::WireType::kVarint) return false;
      if (!in.ReadVarint64(sequence)) return false;
    } else if (!proto::SkipField(&in, tag)) {
      return false;
    }
  }
}

BatchResult HashBatch(const Batch& b) {
  BatchResult r;
  r.leaves.reserve(b.starts.size() * kHashSize);
  for (std::size_t i = 0; i < b.starts.size(); ++i) {
    const std::uint32_t pos = b.starts[i];
    const std::uint32_t len = LoadBe32(b.data.get() + pos);
    std::string_view payload(b.data.get() + pos + kLengthBytes, len);
    auto index = static_cast<std::int64_t>(b.first_index + i);
    auto offset = static_cast<std::int64_t>(b.base_offset + pos);
    std::string leaf = HashLeaf(payload);
    if (std::string_view(leaf).substr(0, kChecksumBytes) !=
        std::string_view(payload.data() + len, kChecksumBytes)) {
      r.failure = Fail("record-checksum", index, offset,
                       "the record's checksum does not match its bytes (the event was altered)");
      return r;
    }
    std::uint64_t sequence = 0;
    if (!ScanEvent(payload, &sequence)) {
      r.failure = Fail("event-parse", index, offset, "the record is not a valid Event message");
      return r;
    }
    if (sequence != b.first_index + i) {
      r.failure = Fail("event-sequence", index, offset,
                       "the event says it is event " + std::to_string(sequence) +
                           " (events were deleted, duplicated or reordered)");
      return r;
    }
    r.leaves.append(leaf);
  }
  return r;
}

Result<std::uint64_t> Size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

// Failure path only: finds the first event whose recomputed leaf differs from
// the stored tree file, to name it when only the root disagrees.
std::optional<VerifyFailure> LocateByStoredTree(const std::string& dir, int events_fd,
                                                std::uint64_t count) {
  auto tree = OpenReadOnly(JoinPath(dir, kTreeFile));
  if (!tree.ok()) return std::nullopt;
  std::uint64_t off = kEventsMagic.size();
  std::string buf, stored(kHashSize, '\0');
  for (std::uint64_t i = 0; i < count; ++i) {
    char lb[4];
    if (!ReadExactAt(events_fd, off, lb, 4, "events").ok()) return std::nullopt;
    std::uint32_t len = LoadBe32(lb);
    buf.resize(len);
    if (!ReadExactAt(events_fd, off + 4, buf.data(), len, "events").ok()) return std::nullopt;
    if (!ReadExactAt(tree->get(), LeafNodePos(i) * kHashSize, stored.data(), kHashSize, "tree")
             .ok()) {
      return std::nullopt;
    }
    if (HashLeaf(buf) != stored) {
      return Fail(
          "root", static_cast<std::int64_t>(i), static_cast<std::int64_t>(off),
          "the recomputed root differs from the signed checkpoint; this is the first event "
          "whose hash differs from the log's stored tree (it was altered, inserted or moved)");
    }
    off += kRecordOverhead + len;
  }
  return std::nullopt;
}

class Verifier {
 public:
  Verifier(const VerifyOptions& o, NoteVerifier v) : opts_(o), nv_(std::move(v)) {}
  VerifyReport Run();

 private:
  bool LoadCheckpoints();
  void FinalChecks(int events_fd);
  void TornTail(int events_fd, std::uint64_t total, const VerifyFailure& torn);
  bool Stream(int fd, std::uint64_t total);
  std::size_t Fill(int fd, Batch& b);
  void Frame(Batch& b, std::size_t have);
  void Consume(BatchResult r);
  void Snapshot();

  const VerifyOptions& opts_;
  NoteVerifier nv_;
  VerifyReport rep_;
  Checkpoint cp_, since_;
  bool have_since_ = false;
  Frontier frontier_;
  std::optional<std::string> root_at_cp_, root_at_since_;
  std::uint64_t offset_at_cp_ = 0, end_offset_ = 0;
  // Reader state.
  std::uint64_t read_off_ = 0, index_ = 0;
  std::string carry_;
  bool eof_ = false;
  std::optional<VerifyFailure> framing_;
};

void Verifier::Snapshot() {
  if (frontier_.size() == cp_.size && !root_at_cp_) root_at_cp_ = frontier_.Root();
  if (have_since_ && frontier_.size() == since_.size && !root_at_since_)
    root_at_since_ = frontier_.Root();
}

void Verifier::Consume(BatchResult r) {
  if (rep_.failure) return;
  for (std::size_t i = 0; i < r.leaves.size(); i += kHashSize) {
    Snapshot();
    frontier_.Append(std::string_view(r.leaves).substr(i, kHashSize));
  }
  Snapshot();
  if (r.failure) rep_.failure = r.failure;
}

// Reads the events file once; returns false when it stopped on a failure.
// Starts a batch with the carried partial record and reads up to
// kBatchBytes more; returns the bytes held.
std::size_t Verifier::Fill(int fd, Batch& b) {
  b.base_offset = read_off_ - carry_.size();
  b.first_index = index_;
  std::memcpy(b.data.get(), carry_.data(), carry_.size());
  std::size_t have = carry_.size();
  carry_.clear();
  while (have < kBatchBytes) {
    ssize_t n =
        ::pread(fd, b.data.get() + have, kBufferBytes - have, static_cast<off_t>(read_off_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      framing_ = Fail("io", static_cast<std::int64_t>(index_), static_cast<std::int64_t>(read_off_),
                      "cannot read the events file");
      break;
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    have += static_cast<std::size_t>(n);
    read_off_ += static_cast<std::uint64_t>(n);
  }
  return have;
}

// Splits the batch into whole records (checking each length bound), keeps
// a trailing partial record for the next batch, and reports a file that
// ends inside a record.
void Verifier::Frame(Batch& b, std::size_t have) {
  const char* buf = b.data.get();
  std::size_t pos = 0;
  while (!framing_ && have - pos >= kLengthBytes) {
    if (opts_.signed_prefix_only && index_ == cp_.size) {
      eof_ = true;
      have = pos;
      break;
    }
    std::uint32_t len = LoadBe32(buf + pos);
    std::uint64_t abs = b.base_offset + pos;
    if (index_ == cp_.size) offset_at_cp_ = abs;
    if (len == 0 || len > kMaxEventBytes) {
      framing_ =
          Fail("record-length", static_cast<std::int64_t>(index_), static_cast<std::int64_t>(abs),
               "the record length " + std::to_string(len) + " is out of bounds (1 to " +
                   std::to_string(kMaxEventBytes) + ")");
      break;
    }
    if (have - pos < kRecordOverhead + len) break;
    b.starts.push_back(static_cast<std::uint32_t>(pos));
    pos += kRecordOverhead + len;
    ++index_;
  }
  carry_.assign(buf + pos, have - pos);
  b.size = pos;
  end_offset_ = b.base_offset + pos;
  if (eof_ && !carry_.empty() && !framing_) {
    if (index_ == cp_.size) offset_at_cp_ = end_offset_;
    framing_ = Fail("record-truncated", static_cast<std::int64_t>(index_),
                    static_cast<std::int64_t>(end_offset_),
                    "the events file ends inside a record (" + std::to_string(carry_.size()) +
                        " bytes): a torn tail or a truncation");
  }
}

// Reads the events file once, hashing batches on worker threads and folding
// their leaves in order; returns false when it stopped on a failure.
bool Verifier::Stream(int fd, std::uint64_t total) {
  unsigned threads =
      opts_.threads ? opts_.threads : std::max(1u, std::thread::hardware_concurrency());
  std::size_t max_inflight = std::clamp<std::size_t>(2 * threads, 2, 8);
  // std::async's futures, not std::thread: a future of a launched batch waits
  // for it when destroyed, so a return or a throw out of consume() never
  // destroys a running worker (no std::terminate; no jthread needed), and the
  // batch it reads is kept alive by its own shared_ptr.
  std::deque<std::pair<std::future<BatchResult>, std::shared_ptr<Batch>>> q;
  std::vector<std::unique_ptr<char[]>> pool;
  read_off_ = kEventsMagic.size();
  auto consume = [&] {
    BatchResult r = q.front().first.get();  // the worker is done with the buffer
    const Batch& b = *q.front().second;
    if (opts_.on_event && !rep_.failure) {
      // The batch's events up to a failure have their leaves.
      for (std::size_t k = 0; k < r.leaves.size() / kHashSize; ++k) {
        const char* rec = b.data.get() + b.starts[k];
        opts_.on_event(b.first_index + k, std::string_view(rec + kLengthBytes, LoadBe32(rec)));
      }
    }
    pool.push_back(std::move(q.front().second->data));
    q.pop_front();
    Consume(std::move(r));
  };
  while (!eof_ && !framing_ && !rep_.failure) {
    auto b = std::make_shared<Batch>();
    if (pool.empty()) {
      b->data.reset(new char[kBufferBytes]);
    } else {
      b->data = std::move(pool.back());
      pool.pop_back();
    }
    Frame(*b, Fill(fd, *b));
    if (!b->starts.empty()) {
      std::shared_ptr<const Batch> cb = b;
      // One thread: hashed here, when consumed (starting a thread costs more
      // than a small log's whole check).
      q.emplace_back(std::async(threads == 1 ? std::launch::deferred : std::launch::async,
                                [cb] { return HashBatch(*cb); }),
                     b);
    } else {
      pool.push_back(std::move(b->data));
    }
    while (q.size() >= max_inflight) consume();
    rep_.bytes = std::min(read_off_, total);
    if (opts_.progress) opts_.progress(rep_.bytes, total);
  }
  while (!q.empty()) consume();
  rep_.events = frontier_.size();
  if (!rep_.failure && framing_) rep_.failure = framing_;
  if (opts_.progress) opts_.progress(total, total);
  return !rep_.failure;
}

// Verifies the log's checkpoint and the auditor's older one; false (with
// rep_.failure set) when either is unacceptable.
bool Verifier::LoadCheckpoints() {
  if (opts_.checkpoint) {
    cp_ = *opts_.checkpoint;
  } else {
    auto note = ReadFile(JoinPath(opts_.dir, kCheckpointFile), kMaxNoteBytes);
    auto cp = note.ok() ? OpenCheckpoint(*note, nv_) : Result<Checkpoint>(note.status());
    if (!cp.ok()) {
      rep_.failure =
          Fail("checkpoint-signature", -1, -1, "the log's checkpoint: " + cp.status().message());
      return false;
    }
    cp_ = std::move(cp).value();
  }
  rep_.checkpoint_size = cp_.size;
  rep_.origin = cp_.origin;
  if (!opts_.since) return true;
  auto since = OpenCheckpoint(*opts_.since, nv_);
  if (!since.ok()) {
    rep_.failure =
        Fail("since-signature", -1, -1, "the older checkpoint: " + since.status().message());
    return false;
  }
  since_ = std::move(since).value();
  have_since_ = true;
  rep_.since_size = since_.size;
  if (since_.size > cp_.size) {
    rep_.failure =
        Fail("since-consistency", static_cast<std::int64_t>(cp_.size), -1,
             "the log's checkpoint (size " + std::to_string(cp_.size) +
                 ") is older than the one you kept (size " + std::to_string(since_.size) +
                 "): the log was rolled back or its checkpoint replaced");
    return false;
  }
  return true;
}

// After streaming: event count, roots, and events beyond the checkpoint.
void Verifier::FinalChecks(int events_fd) {
  std::uint64_t k = frontier_.size();
  if (k < cp_.size) {
    rep_.failure = Fail(
        "event-count", static_cast<std::int64_t>(k), static_cast<std::int64_t>(end_offset_),
        "the checkpoint covers " + std::to_string(cp_.size) + " events but the log holds only " +
            std::to_string(k) + ": events from index " + std::to_string(k) + " are missing");
    return;
  }
  if (*root_at_cp_ != cp_.root) {
    auto located = LocateByStoredTree(opts_.dir, events_fd, cp_.size);
    rep_.failure = located
                       ? *located
                       : Fail("root", -1, -1,
                              "the root recomputed from the " + std::to_string(cp_.size) +
                                  " events differs from the signed checkpoint (events were altered "
                                  "together with their checksums and the stored tree)");
    return;
  }
  if (have_since_ && *root_at_since_ != since_.root) {
    rep_.failure =
        Fail("since-consistency", -1, -1,
             "the first " + std::to_string(since_.size) +
                 " events no longer hash to the checkpoint you kept: history was rewritten");
    return;
  }
  rep_.root = *root_at_cp_;
  if (k > cp_.size) {
    rep_.failure = Fail(std::string(kCheckUnsignedEvents), static_cast<std::int64_t>(cp_.size),
                        static_cast<std::int64_t>(offset_at_cp_),
                        std::to_string(k - cp_.size) + " event(s) after the signed checkpoint (" +
                            EventRange(cp_.size, k) + UnsignedAdvice());
    return;
  }
  rep_.ok = true;
}

// A file that ends inside a record after the signed events: the signed
// prefix is checked as usual, then the torn tail is reported as what a
// crash inside an append leaves.
void Verifier::TornTail(int events_fd, std::uint64_t total, const VerifyFailure& torn) {
  const std::uint64_t k = frontier_.size();
  FinalChecks(events_fd);
  if (rep_.failure && rep_.failure->check != kCheckUnsignedEvents) return;
  rep_.ok = false;
  const auto at = static_cast<std::uint64_t>(torn.offset);
  std::string unsigned_events = k > cp_.size ? " after " + std::to_string(k - cp_.size) +
                                                   " complete event(s) no checkpoint signs yet (" +
                                                   EventRange(cp_.size, k)
                                             : std::string();
  rep_.failure = Fail(std::string(kCheckTornTail), torn.index, torn.offset,
                      "the events file ends inside a record after the signed checkpoint" +
                          unsigned_events + ": " + std::to_string(total - at) +
                          " bytes of an incomplete record at byte offset " + std::to_string(at) +
                          " (a torn tail)" + UnsignedAdvice());
}

VerifyReport Verifier::Run() {
  if (!LoadCheckpoints()) return rep_;
  const std::string path = JoinPath(opts_.dir, kEventsFile);
  auto fd = OpenReadOnly(path);
  if (!fd.ok()) {
    rep_.failure = Fail("io", -1, -1, fd.status().message());
    return rep_;
  }
  auto total = Size(fd->get(), path);
  char magic[kEventsMagic.size()];
  if (!total.ok() || !ReadExactAt(fd->get(), 0, magic, sizeof magic, path).ok() ||
      std::string_view(magic, sizeof magic) != kEventsMagic) {
    rep_.failure = Fail("header", -1, 0, "the events file does not start with the log header");
    return rep_;
  }
  Snapshot();
  if (Stream(fd->get(), *total)) {
    FinalChecks(fd->get());
  } else if (rep_.failure->check == "record-truncated" &&
             rep_.failure->index >= static_cast<std::int64_t>(cp_.size)) {
    VerifyFailure torn = *rep_.failure;
    rep_.failure.reset();
    TornTail(fd->get(), *total, torn);
  }
  return rep_;
}

}  // namespace

Result<VerifyReport> VerifyLog(const VerifyOptions& options) {
  SR_ASSIGN_OR_RETURN(NoteVerifier nv, NoteVerifier::Parse(options.vkey));
  Verifier v(options, std::move(nv));
  return v.Run();
}

}  // namespace sr::log
