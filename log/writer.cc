#include "log/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <set>

#include "base/encoding.h"
#include "base/hash.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/verify.h"

namespace sr::log {
namespace {

constexpr std::size_t kDerivedFlushBytes = 1 << 20;

Result<UniqueFd> OpenRw(const std::string& path, bool create, bool append) {
  int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0) | (append ? O_APPEND : 0);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  return UniqueFd(fd);
}

Result<std::uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("'" + path + "' is not a regular file");
  return static_cast<std::uint64_t>(st.st_size);
}

Status PwriteAll(int fd, std::string_view data, std::uint64_t offset, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", what, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

std::string Where(std::uint64_t index, std::uint64_t offset) {
  return "event " + std::to_string(index) + " at byte offset " + std::to_string(offset);
}

}  // namespace

struct LogWriter::TailScan {
  bool torn = false;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

LogWriter::LogWriter(std::string dir, NoteSigner& signer, FileLock lock)
    : dir_(std::move(dir)), signer_(signer), lock_(std::move(lock)) {}

LogWriter::~LogWriter() {
  // Derived files can always be rebuilt; a failure here loses nothing.
  if (!pending_nodes_.empty()) WriteAll(tree_.get(), pending_nodes_, "log tree file").IgnoreError();
  if (!pending_index_.empty())
    WriteAll(index_.get(), pending_index_, "log index file").IgnoreError();
}

namespace {

// Signs the checkpoint c and checks the signature before anything stores
// it: a signer (an HSM) that returned a bad signature must not replace a
// good checkpoint with one no verifier, this writer included, accepts.
Result<std::string> SignCheckpoint(const Checkpoint& c, NoteSigner& signer,
                                   const NoteVerifier& verifier) {
  SR_ASSIGN_OR_RETURN(std::string note, SignNote(c.Text(), signer));
  auto back = OpenCheckpoint(note, verifier);
  if (!back.ok()) {
    return DataLoss("the log key's signature on the new checkpoint (size " +
                    std::to_string(c.size) + ") does not verify: " + back.status().message() +
                    "; the stored checkpoint is unchanged");
  }
  return note;
}

}  // namespace

Status LogWriter::Create(std::string_view dir, NoteSigner& signer) {
  std::string d(dir);
  SR_RETURN_IF_ERROR(MakeDirs(d));
  SR_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(d, kLockFile)));
  if (PathExists(JoinPath(d, kEventsFile))) {
    return Status(Code::kAlreadyExists, "'" + d + "' already holds a signing-event log");
  }
  std::string vkey = VerifierKeyOf(signer);
  SR_ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  Checkpoint c{signer.Name(), 0, EmptyRoot(), {}};
  SR_ASSIGN_OR_RETURN(std::string note, SignCheckpoint(c, signer, verifier));
  SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(d, kVkeyFile), vkey + "\n", 0644, true));
  for (std::string_view f : {kTreeFile, kIndexFile}) {
    SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(d, f), "", 0600, true));
  }
  SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(d, kCheckpointFile), note, 0644, true));
  // The events file last: its presence is what makes DIR a log.
  return WriteFileAtomic(JoinPath(d, kEventsFile), kEventsMagic, 0600, true);
}

Result<std::unique_ptr<LogWriter>> LogWriter::Open(std::string_view dir, NoteSigner& signer,
                                                   bool wait, const EventVisitor& visit,
                                                   bool check_events) {
  std::string d(dir);
  if (!PathExists(JoinPath(d, kEventsFile))) {
    return NotFound("'" + d + "' holds no signing-event log (no events file)");
  }
  SR_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(d, kLockFile), wait));
  if (PathExists(JoinPath(d, kRecoverPendingFile))) {
    return FailedPrecondition("a 'log recover' was interrupted (" +
                              JoinPath(d, kRecoverPendingFile) +
                              " exists); run 'strongroom log recover' again to finish it");
  }
  return OpenLocked(std::move(d), signer, std::move(lock), false, nullptr, visit, check_events);
}

Result<std::unique_ptr<LogWriter>> LogWriter::OpenLocked(std::string dir, NoteSigner& signer,
                                                         FileLock lock, bool allow_torn,
                                                         TailScan* torn_out,
                                                         const EventVisitor& visit,
                                                         bool check_events) {
  std::unique_ptr<LogWriter> w(new LogWriter(dir, signer, std::move(lock)));
  SR_ASSIGN_OR_RETURN(std::string vkey_text, ReadFile(JoinPath(dir, kVkeyFile), 4096));
  SR_ASSIGN_OR_RETURN(w->verifier_, NoteVerifier::Parse(vkey_text));
  if (w->verifier_.ToString() != VerifierKeyOf(signer)) {
    return FailedPrecondition("the signing key '" + signer.Name() + "' is not this log's key (" +
                              w->verifier_.ToString() + ")");
  }
  SR_ASSIGN_OR_RETURN(std::string note, ReadFile(JoinPath(dir, kCheckpointFile), kMaxNoteBytes));
  auto cp = OpenCheckpoint(note, w->verifier_);
  if (!cp.ok()) return cp.status().Annotate("the log's stored checkpoint");
  w->signed_ = std::move(cp).value();
  w->signed_note_ = std::move(note);
  SR_ASSIGN_OR_RETURN(w->events_, OpenRw(JoinPath(dir, kEventsFile), false, false));
  SR_ASSIGN_OR_RETURN(w->tree_, OpenRw(JoinPath(dir, kTreeFile), true, true));
  SR_ASSIGN_OR_RETURN(w->index_, OpenRw(JoinPath(dir, kIndexFile), true, true));
  char magic[kEventsMagic.size()];
  Status m = ReadExactAt(w->events_.get(), 0, magic, sizeof magic, "log events file");
  if (!m.ok() || std::string_view(magic, sizeof magic) != kEventsMagic) {
    return DataLoss("the events file does not start with the log header (byte offset 0)");
  }
  TailScan scan;
  SR_RETURN_IF_ERROR(w->LoadDerived(scan));
  if (scan.torn && !allow_torn) {
    return FailedPrecondition("the log has a torn tail: " + std::to_string(scan.length) +
                              " bytes of an incomplete record at byte offset " +
                              std::to_string(scan.offset) + " (event " + std::to_string(w->size()) +
                              "), left by a crash; run 'strongroom log recover'");
  }
  SR_RETURN_IF_ERROR(w->CheckAgainstCheckpoint());
  if (check_events) SR_RETURN_IF_ERROR(w->CheckSignedEvents(visit));
  if (torn_out) *torn_out = scan;
  return w;
}

// Reconciles the derived tree/index files with the events file: cuts them to
// a common, whole prefix, then indexes any complete records after it.
Status LogWriter::LoadDerived(TailScan& scan) {
  SR_ASSIGN_OR_RETURN(std::uint64_t ev_size, FileSize(events_.get(), JoinPath(dir_, kEventsFile)));
  SR_ASSIGN_OR_RETURN(std::uint64_t n, TrimDerived());
  SR_ASSIGN_OR_RETURN(std::uint64_t off, EndOfIndexed(n, ev_size));
  FileNodeSource src(tree_.get());
  std::vector<std::string> roots;
  for (int level = 62; level >= 0; --level) {
    std::uint64_t begin = n >> (level + 1) << (level + 1);
    if ((n >> level) & 1) {
      SR_ASSIGN_OR_RETURN(std::string h, src.Node(static_cast<unsigned>(level), begin >> level));
      roots.push_back(std::move(h));
    }
  }
  frontier_ = Frontier(n, std::move(roots));
  return IndexNewRecords(off, ev_size, scan);
}

// A crash may leave the derived files at different lengths, or a node or
// offset half written; keep the longest prefix both hold whole.
Result<std::uint64_t> LogWriter::TrimDerived() {
  SR_ASSIGN_OR_RETURN(std::uint64_t tree_bytes, FileSize(tree_.get(), JoinPath(dir_, kTreeFile)));
  SR_ASSIGN_OR_RETURN(std::uint64_t index_bytes,
                      FileSize(index_.get(), JoinPath(dir_, kIndexFile)));
  std::uint64_t nodes = tree_bytes / kHashSize, leaves = nodes / 2 + 1;
  while (leaves > 0 && NodeCount(leaves) > nodes) --leaves;
  std::uint64_t n = std::min(leaves, index_bytes / 8);
  if (::ftruncate(tree_.get(), static_cast<off_t>(NodeCount(n) * kHashSize)) != 0 ||
      ::ftruncate(index_.get(), static_cast<off_t>(n * 8)) != 0) {
    return ErrnoError("cannot truncate", "log tree/index files", errno);
  }
  return n;
}

// The byte offset after the last indexed event, after checking that event
// is whole and matches its stored leaf.
Result<std::uint64_t> LogWriter::EndOfIndexed(std::uint64_t n, std::uint64_t ev_size) {
  if (n == 0) return static_cast<std::uint64_t>(kEventsMagic.size());
  const std::string ev_path = JoinPath(dir_, kEventsFile);
  char b[8];
  SR_RETURN_IF_ERROR(ReadExactAt(index_.get(), (n - 1) * 8, b, 8, "log index file"));
  std::uint64_t last = LoadBe64(b);
  char lb[4];
  SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), last, lb, 4, ev_path));
  std::uint32_t len = LoadBe32(lb);
  if (len == 0 || len > kMaxEventBytes) {
    return DataLoss(Where(n - 1, last) + ": the record the index points to is malformed");
  }
  if (last + kRecordOverhead + len > ev_size) {
    return DataLoss(Where(n - 1, last) +
                    ": the events file ends inside this already indexed "
                    "event: the log was cut short (truncation)");
  }
  std::string payload(len, '\0');
  SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), last + 4, payload.data(), len, ev_path));
  FileNodeSource src(tree_.get());
  SR_ASSIGN_OR_RETURN(std::string stored, src.Node(0, n - 1));
  if (HashLeaf(payload) != stored) {
    return DataLoss(Where(n - 1, last) + ": the event does not match the stored tree");
  }
  return last + kRecordOverhead + len;
}

// Indexes the complete records from off to the end of the events file (a
// crash between an append's sync and its index update leaves some); an
// incomplete last record is reported in scan as a torn tail.
Status LogWriter::IndexNewRecords(std::uint64_t off, std::uint64_t ev_size, TailScan& scan) {
  const std::string ev_path = JoinPath(dir_, kEventsFile);
  std::string buf;
  while (off < ev_size) {
    std::uint64_t rest = ev_size - off;
    char lb[4];
    if (rest < kLengthBytes) {
      scan = {true, off, rest};
      break;
    }
    SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), off, lb, 4, ev_path));
    std::uint32_t len = LoadBe32(lb);
    if (len == 0 || len > kMaxEventBytes) {
      return DataLoss(Where(size(), off) + ": record length " + std::to_string(len) +
                      " is out of bounds");
    }
    if (rest < kRecordOverhead + len) {
      scan = {true, off, rest};
      break;
    }
    buf.resize(len + kChecksumBytes);
    SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), off + 4, buf.data(), buf.size(), ev_path));
    std::string leaf = HashLeaf(std::string_view(buf).substr(0, len));
    if (leaf.compare(0, kChecksumBytes, buf, len, kChecksumBytes) != 0) {
      return DataLoss(Where(size(), off) + ": record checksum does not match its bytes");
    }
    SR_RETURN_IF_ERROR(AddToDerived(leaf, off));
    off += kRecordOverhead + len;
  }
  end_offset_ = off;
  return Status::Ok();
}

Status LogWriter::AddToDerived(std::string_view leaf_hash, std::uint64_t offset) {
  std::vector<std::string> completed;
  frontier_.Append(leaf_hash, &completed);
  pending_nodes_.append(leaf_hash);
  for (const std::string& c : completed) pending_nodes_.append(c);
  AppendBe64(pending_index_, offset);
  if (pending_nodes_.size() >= kDerivedFlushBytes) {
    SR_RETURN_IF_ERROR(WriteAll(tree_.get(), pending_nodes_, "log tree file"));
    SR_RETURN_IF_ERROR(WriteAll(index_.get(), pending_index_, "log index file"));
    pending_nodes_.clear();
    pending_index_.clear();
  }
  return Status::Ok();
}

Status LogWriter::CheckAgainstCheckpoint() {
  if (size() < signed_.size) {
    return DataLoss("the log holds " + std::to_string(size()) +
                    " events but its signed checkpoint covers " + std::to_string(signed_.size) +
                    ": events from index " + std::to_string(size()) + " were removed (truncation)");
  }
  SR_RETURN_IF_ERROR(WriteAll(tree_.get(), pending_nodes_, "log tree file"));
  SR_RETURN_IF_ERROR(WriteAll(index_.get(), pending_index_, "log index file"));
  pending_nodes_.clear();
  pending_index_.clear();
  if (signed_.size == 0) return Status::Ok();
  FileNodeSource src(tree_.get());
  SR_ASSIGN_OR_RETURN(std::string root, RangeHash(src, 0, signed_.size));
  if (root != signed_.root) {
    return DataLoss("the stored tree at size " + std::to_string(signed_.size) +
                    " does not match the signed checkpoint's root: the log was altered; "
                    "run 'strongroom log verify' to locate the change");
  }
  return Status::Ok();
}

// Re-reads every signed event (streaming, all cores) so a log altered since
// its last checkpoint is never extended; O(n), paid once per session.
Status LogWriter::CheckSignedEvents(const EventVisitor& visit) {
  if (signed_.size == 0) return Status::Ok();
  VerifyOptions o;
  o.on_event = visit;
  o.dir = dir_;
  o.vkey = verifier_.ToString();
  o.signed_prefix_only = true;
  o.checkpoint = signed_;  // verified by OpenLocked, under the lock
  // Worker threads pay off for large logs only; a station's everyday log
  // (a few MiB) is checked faster than threads start.
  o.threads = end_offset_ < (8u << 20) ? 1 : 0;
  SR_ASSIGN_OR_RETURN(VerifyReport r, VerifyLog(o));
  if (r.ok) return Status::Ok();
  const VerifyFailure& f = *r.failure;
  std::string where = f.index >= 0 ? "event " + std::to_string(f.index) : std::string("the log");
  if (f.offset >= 0) where += " at byte offset " + std::to_string(f.offset);
  return DataLoss("appending refused: " + where + " fails check '" + f.check + "': " + f.message);
}

Status LogWriter::AppendRecords(const std::vector<std::string>& payloads) {
  std::string batch;
  std::vector<std::string> leaves;
  for (const std::string& payload : payloads) {
    if (payload.empty() || payload.size() > kMaxEventBytes) {
      return InvalidArgument("an event must be 1 byte to 1 MiB serialized; this one is " +
                             std::to_string(payload.size()) + " bytes");
    }
    leaves.push_back(HashLeaf(payload));
    batch += EncodeRecord(payload, leaves.back());
  }
  const std::string path = JoinPath(dir_, kEventsFile);
  Status w = PwriteAll(events_.get(), batch, end_offset_, path);
  if (w.ok() && ::fdatasync(events_.get()) != 0) w = ErrnoError("cannot sync", path, errno);
  if (!w.ok()) {
    // Take back a partial write so the file stays whole; if even that
    // fails, the next open reports a torn tail for recover.
    if (::ftruncate(events_.get(), static_cast<off_t>(end_offset_)) == 0) {
      ::fdatasync(events_.get());
    }
    return w;
  }
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    SR_RETURN_IF_ERROR(AddToDerived(leaves[i], end_offset_));
    end_offset_ += kRecordOverhead + payloads[i].size();
  }
  return Status::Ok();
}

Result<std::uint64_t> LogWriter::Append(strongroom::v1::Event event) {
  std::vector<strongroom::v1::Event> one;
  one.push_back(std::move(event));
  return AppendMany(one);
}

namespace {

// proto3 `string` fields must hold UTF-8: an event carrying other bytes (a
// file name or an operator's name taken from the command line) serializes,
// but can never be parsed back, which would make the log unreadable from
// that event on. Such bytes are written as U+FFFD instead, before the event
// is serialized (protobuf would complain on stderr about each one).

// Rewrites s when it is not UTF-8; reads it in place otherwise.
template <typename Setter>
void KeepUtf8(const std::string& s, Setter set) {
  if (!IsValidUtf8(s)) set(ToValidUtf8(s));
}

// The records a SIGNING or SIGNING_INTENT event repeats for every artifact
// (thousands of strings in a large release) are checked through their
// generated accessors, not by reflection: a tenth of the instructions. Each
// shortcut is taken only while its type's string fields are exactly the
// ones below and it holds no message: a field added to the schema later
// sends the type back to the reflection walk, so no string goes unchecked.
bool SchemaIs(const google::protobuf::Descriptor& d, std::set<int> string_fields) {
  namespace pb = google::protobuf;
  std::set<int> found;
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor* f = d.field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) return false;
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) found.insert(f->number());
  }
  return found == string_fields;
}

void KeepUtf8(strongroom::v1::ArtifactDigest& d) {
  KeepUtf8(d.name(), [&](std::string v) { d.set_name(std::move(v)); });
  KeepUtf8(d.sha256(), [&](std::string v) { d.set_sha256(std::move(v)); });
}

void KeepUtf8(strongroom::v1::SignatureRecord& r) {
  KeepUtf8(r.artifact_name(), [&](std::string v) { r.set_artifact_name(std::move(v)); });
  KeepUtf8(r.algorithm(), [&](std::string v) { r.set_algorithm(std::move(v)); });
  KeepUtf8(r.signed_sha256(), [&](std::string v) { r.set_signed_sha256(std::move(v)); });
  KeepUtf8(r.role(), [&](std::string v) { r.set_role(std::move(v)); });
  KeepUtf8(r.key_fingerprint(), [&](std::string v) { r.set_key_fingerprint(std::move(v)); });
}

void MakeStringsUtf8(google::protobuf::Message& m);

// Each record of the repeated field f of m, through generated accessors (a
// message that is not of the generated class, as in a dynamic message, by
// reflection).
template <typename Record>
void KeepUtf8Each(google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f) {
  const google::protobuf::Reflection* r = m.GetReflection();
  const int n = r->FieldSize(m, f);
  for (int i = 0; i < n; ++i) {
    google::protobuf::Message* msg = r->MutableRepeatedMessage(&m, f, i);
    if (Record* rec = google::protobuf::DynamicCastToGenerated<Record>(msg))
      KeepUtf8(*rec);
    else
      MakeStringsUtf8(*msg);
  }
}

// A repeated field of one of the types above, through generated accessors;
// false when f is none of them (or its schema changed): walk it by reflection.
bool KeepUtf8ByAccessors(google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f) {
  namespace v1 = strongroom::v1;
  static const bool digest_ok = SchemaIs(*v1::ArtifactDigest::descriptor(), {1, 2});
  static const bool signature_ok = SchemaIs(*v1::SignatureRecord::descriptor(), {1, 2, 4, 5, 6});
  if (f->message_type() == v1::ArtifactDigest::descriptor() && digest_ok) {
    KeepUtf8Each<v1::ArtifactDigest>(m, f);
    return true;
  }
  if (f->message_type() == v1::SignatureRecord::descriptor() && signature_ok) {
    KeepUtf8Each<v1::SignatureRecord>(m, f);
    return true;
  }
  return false;
}

// Every string field of m and of the messages it holds, by reflection
// (KeepUtf8ByAccessors for the per-artifact records).
void MakeStringsUtf8(google::protobuf::Message& m) {
  namespace pb = google::protobuf;
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  // Read by reference and checked in place: only an invalid string is
  // copied.
  std::string scratch;
  for (const pb::FieldDescriptor* f : fields) {
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          const std::string& v = r->GetRepeatedStringReference(m, f, i, &scratch);
          if (!IsValidUtf8(v)) r->SetRepeatedString(&m, f, i, ToValidUtf8(v));
        }
      } else {
        const std::string& v = r->GetStringReference(m, f, &scratch);
        if (!IsValidUtf8(v)) r->SetString(&m, f, ToValidUtf8(v));
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        if (KeepUtf8ByAccessors(m, f)) continue;
        for (int i = 0; i < r->FieldSize(m, f); ++i)
          MakeStringsUtf8(*r->MutableRepeatedMessage(&m, f, i));
      } else {
        MakeStringsUtf8(*r->MutableMessage(&m, f));
      }
    }
  }
}

}  // namespace

Result<std::uint64_t> LogWriter::AppendMany(std::vector<strongroom::v1::Event>& events) {
  std::uint64_t first = size();
  std::vector<std::string> payloads(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].set_sequence(first + i);
    MakeStringsUtf8(events[i]);
    if (!events[i].SerializeToString(&payloads[i])) return Internal("cannot serialize the event");
  }
  SR_RETURN_IF_ERROR(AppendRecords(payloads));
  return first;
}

Result<std::string> LogWriter::Commit() {
  SR_RETURN_IF_ERROR(WriteAll(tree_.get(), pending_nodes_, "log tree file"));
  SR_RETURN_IF_ERROR(WriteAll(index_.get(), pending_index_, "log index file"));
  pending_nodes_.clear();
  pending_index_.clear();
  const std::string cp_path = JoinPath(dir_, kCheckpointFile);
  std::string new_root = frontier_.Root();
  if (size() == signed_.size && new_root == signed_.root) return signed_note_;
  if (::fsync(tree_.get()) != 0 || ::fsync(index_.get()) != 0) {
    return ErrnoError("cannot sync", "log tree/index files", errno);
  }
  FileNodeSource src(tree_.get());
  SR_ASSIGN_OR_RETURN(std::string stored_root, RangeHash(src, 0, size()));
  if (stored_root != new_root)
    return DataLoss("the stored tree file disagrees with the events appended");
  if (signed_.size > 0) {
    SR_ASSIGN_OR_RETURN(auto proof, ConsistencyProof(src, signed_.size, size()));
    Status c = VerifyConsistency(signed_.size, size(), proof, signed_.root, new_root);
    if (!c.ok()) {
      return DataLoss(
          "refusing to sign: the tree is not consistent with the last signed checkpoint (" +
          c.message() + ")");
    }
  }
  Checkpoint next{signer_.Name(), size(), new_root, {}};
  SR_ASSIGN_OR_RETURN(std::string note, SignCheckpoint(next, signer_, verifier_));
  SR_RETURN_IF_ERROR(WriteFileAtomic(cp_path, note, 0644));
  signed_ = std::move(next);
  signed_note_ = note;
  return note;
}

namespace {

// recover.pending: one line per removal, in the order they were cut,
// "<offset> <length> <sha256 hex> <tree size before>\n". Written (durably,
// whole, by rename) before the torn bytes are cut; removed after every
// removal it lists has its LOG_RECOVERED event appended and signed, so no
// crash during recovery can lose the record of what was removed.
constexpr std::uint64_t kMaxPendingBytes = 64u << 10;

std::string FormatPending(const std::vector<TornRemoval>& removals) {
  std::string out;
  for (const TornRemoval& r : removals)
    out += std::to_string(r.offset) + " " + std::to_string(r.length) + " " + r.sha256 + " " +
           std::to_string(r.tree_size_before) + "\n";
  return out;
}

Result<std::vector<TornRemoval>> ReadPending(const std::string& path) {
  std::vector<TornRemoval> out;
  if (!PathExists(path)) return out;
  SR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxPendingBytes));
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    unsigned long long off = 0, len = 0, before = 0;
    char sha[65] = {0};
    int used = 0;
    if (std::sscanf(line.c_str(), "%llu %llu %64s %llu%n", &off, &len, sha, &before, &used) != 4 ||
        static_cast<std::size_t>(used) != line.size()) {
      return DataLoss("'" + path + "' is malformed (line " + std::to_string(out.size() + 1) +
                      "); it records an interrupted recovery: keep it, and compare it with "
                      "the events file before removing it");
    }
    out.push_back(TornRemoval{off, len, sha, before, 0});
  }
  return out;
}

// Marks the removals whose LOG_RECOVERED event the log already holds (an
// earlier recover appended it, then was interrupted before signing or
// cleaning up); returns how many are not yet logged.
Result<std::size_t> FindRecorded(const std::string& dir, std::uint64_t size,
                                 std::vector<TornRemoval>& removals, std::vector<bool>& logged) {
  logged.assign(removals.size(), false);
  std::uint64_t from = size;
  for (const TornRemoval& r : removals) from = std::min(from, r.tree_size_before);
  SR_ASSIGN_OR_RETURN(LogReader reader, LogReader::Open(dir));
  for (std::uint64_t i = from; i < size && i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    strongroom::v1::Event ev;
    if (!ev.ParseFromString(bytes) || ev.kind() != strongroom::v1::EVENT_KIND_LOG_RECOVERED)
      continue;
    const auto& lr = ev.log_recovered();
    for (std::size_t k = 0; k < removals.size(); ++k) {
      if (!logged[k] && lr.removed_offset() == removals[k].offset &&
          lr.removed_length() == removals[k].length && lr.removed_sha256() == removals[k].sha256) {
        logged[k] = true;
        removals[k].event_index = i;
        break;
      }
    }
  }
  std::size_t missing = 0;
  for (bool l : logged) missing += !l;
  return missing;
}

}  // namespace

// Records the torn tail in recover.pending (after the removals already
// listed there), durably, then cuts it.
Status LogWriter::CutTornTail(const TailScan& scan, std::vector<TornRemoval>& pending) {
  if (scan.length > kMaxEventBytes + kRecordOverhead) {
    return DataLoss("the " + std::to_string(scan.length) + " bytes after byte offset " +
                    std::to_string(scan.offset) + " are larger than any record: not a torn tail");
  }
  const std::string path = JoinPath(dir_, kEventsFile);
  std::string removed(scan.length, '\0');
  SR_RETURN_IF_ERROR(ReadExactAt(events_.get(), scan.offset, removed.data(), removed.size(), path));
  pending.push_back(TornRemoval{scan.offset, scan.length, Sha256Hex(removed), size(), 0});
  SR_RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(dir_, kRecoverPendingFile), FormatPending(pending), 0600)
          .Annotate("recording the torn tail before removing it (nothing was removed)"));
  if (::ftruncate(events_.get(), static_cast<off_t>(scan.offset)) != 0 ||
      ::fdatasync(events_.get()) != 0) {
    return ErrnoError("cannot remove the torn tail of", path, errno);
  }
  end_offset_ = scan.offset;
  return Status::Ok();
}

Result<RecoverReport> LogWriter::Recover(std::string_view dir, NoteSigner& signer,
                                         const strongroom::v1::Event& template_event,
                                         const std::function<void(std::string_view)>& at) {
  std::string d(dir);
  if (!PathExists(JoinPath(d, kEventsFile))) {
    return NotFound("'" + d + "' holds no signing-event log (no events file)");
  }
  SR_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(JoinPath(d, kLockFile)));
  TailScan scan;
  SR_ASSIGN_OR_RETURN(std::unique_ptr<LogWriter> w,
                      OpenLocked(d, signer, std::move(lock), true, &scan));
  const std::string pending_path = JoinPath(d, kRecoverPendingFile);
  SR_ASSIGN_OR_RETURN(std::vector<TornRemoval> pending, ReadPending(pending_path));
  if (scan.torn) {
    SR_RETURN_IF_ERROR(w->CutTornTail(scan, pending));
    if (at) at("recover-after-cut");
  }
  RecoverReport report;
  if (!pending.empty()) {
    std::vector<bool> logged;
    SR_ASSIGN_OR_RETURN(std::size_t missing, FindRecorded(d, w->size(), pending, logged));
    std::vector<strongroom::v1::Event> events;
    std::vector<std::size_t> which;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      if (logged[k]) continue;
      strongroom::v1::Event ev = template_event;
      ev.set_kind(strongroom::v1::EVENT_KIND_LOG_RECOVERED);
      auto* rec = ev.mutable_log_recovered();
      rec->set_removed_offset(pending[k].offset);
      rec->set_removed_length(pending[k].length);
      rec->set_removed_sha256(pending[k].sha256);
      rec->set_tree_size_before(pending[k].tree_size_before);
      rec->set_reason(k == 0 ? "incomplete record after the last complete event (crash during an "
                               "append)"
                             : "incomplete record left by an interrupted 'log recover' (crash "
                               "during its own append)");
      events.push_back(std::move(ev));
      which.push_back(k);
    }
    if (missing > 0) {
      SR_ASSIGN_OR_RETURN(std::uint64_t first, w->AppendMany(events));
      for (std::size_t j = 0; j < which.size(); ++j) pending[which[j]].event_index = first + j;
      if (at) at("recover-after-append");
    }
    report.torn = true;
    report.removed_offset = pending[0].offset;
    report.removed_length = pending[0].length;
    report.removed_sha256 = pending[0].sha256;
    report.recovered_event_index = pending[0].event_index;
    for (std::size_t j : which) report.removals.push_back(pending[j]);
  }
  SR_RETURN_IF_ERROR(w->Commit().status());
  if (!pending.empty()) {
    if (::unlink(pending_path.c_str()) != 0)
      return ErrnoError("cannot remove", pending_path, errno);
    SR_RETURN_IF_ERROR(FsyncDir(d));
  }
  report.size = w->size();
  return report;
}

}  // namespace sr::log
