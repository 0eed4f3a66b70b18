#include "station/facts_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/reader.h"
#include "proto/log_facts.pb.h"
#include "station/layout.h"
#include "station/station_log.h"

namespace sr {
namespace facts = strongroom::v1::facts;

namespace {

// The first line of the signed note: never a checkpoint's (whose first line
// is the log's origin, the key's name), so the log key's signature on an
// index can never pass for a checkpoint, nor the other way round.
// v2: the products' versions in files beside the index (v1 held them in
// the signed body, which then grew with every release signed).
constexpr std::string_view kNoteHeader = "strongroom facts index v2";
constexpr std::string_view kOldNoteHeader = "strongroom facts index v1\n";
constexpr std::string_view kChainStart = "strongroom facts versions v1\n";
constexpr std::string_view kVersionsDir = "facts.d";
constexpr std::string_view kVersionsSuffix = ".versions";
// Bounds what is read: the signed body holds no per-release data (about
// 100 bytes per product), a product's versions file about 15 bytes per
// release signed.
constexpr std::uint64_t kMaxIndexBytes = 64u << 20;
constexpr std::uint64_t kMaxVersionsBytes = 256u << 20;

// One IndexedVersions entry's length at records[pos] (field 1, length-
// delimited: tag 0x0a, varint length, bytes), or 0 when it is not one.
std::size_t EntryLength(std::string_view records, std::size_t pos) {
  if (records[pos] != 0x0a) return 0;
  std::uint64_t len = 0;
  std::size_t i = pos + 1;
  for (int shift = 0; i < records.size() && shift < 35; shift += 7, ++i) {
    const auto b = static_cast<unsigned char>(records[i]);
    len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      ++i;
      if (len > records.size() - i) return 0;
      return i - pos + static_cast<std::size_t>(len);
    }
  }
  return 0;
}

}  // namespace

std::string FactsVersionsPath(std::string_view log_dir, std::string_view product) {
  return JoinPath(JoinPath(log_dir, kVersionsDir),
                  Sha256Hex(product) + std::string(kVersionsSuffix));
}

Result<std::string> ChainVersions(std::string_view product, std::string_view from,
                                  std::string_view records) {
  std::string link(from);
  if (link.empty())
    link = DigestToString(Sha256(std::string(kChainStart) + std::string(product) + "\n"));
  for (std::size_t pos = 0; pos < records.size();) {
    const std::size_t n = EntryLength(records, pos);
    if (n == 0)
      return DataLoss("the versions of " + std::string(product) +
                      " do not split into entries at byte " + std::to_string(pos));
    link = DigestToString(Sha256(link + std::string(records.substr(pos, n))));
    pos += n;
  }
  return link;
}

Result<std::string> ReadIndexedVersions(std::string_view log_dir, std::string_view product,
                                        std::uint64_t bytes, std::string_view chain) {
  const std::string path = FactsVersionsPath(log_dir, product);
  const std::string what =
      "the log's facts index: the versions file of " + std::string(product) + " (" + path + ")";
  if (bytes > kMaxVersionsBytes) return DataLoss(what + " is larger than any index allows");
  if (!PathExists(path)) return DataLoss(what + " is missing");
  SR_ASSIGN_OR_RETURN(std::string file, ReadFile(path, kMaxVersionsBytes));
  if (file.size() < bytes)
    return DataLoss(what + " holds " + std::to_string(file.size()) + " bytes, fewer than the " +
                    std::to_string(bytes) + " the index covers: it was truncated");
  file.resize(static_cast<std::size_t>(bytes));
  auto link = ChainVersions(product, {}, file);
  if (!link.ok() || *link != chain)
    return DataLoss(what +
                    " was altered: its entries are not the ones the index's signature covers");
  return file;
}

namespace {

facts::FactsIndexBody ToBody(const IndexedFacts& f) {
  facts::FactsIndexBody b;
  const LogState& s = f.state;
  b.set_tree_size(f.tree.size());
  for (const std::string& r : f.tree.roots()) b.add_frontier(r);
  b.set_installed_policy_version(s.installed_policy_version);
  b.set_installed_policy_sha256(s.installed_policy_digest);
  for (const auto& [fp, k] : s.ended_keys) {
    facts::IndexedEndedKey* e = b.add_ended_keys();
    e->set_fingerprint(fp);
    e->set_revoked(k.revoked);
    e->set_event_index(k.event_index);
    e->set_key_label(k.label);
    e->set_reason(k.reason);
    e->set_effective_time(k.effective_time);
  }
  if (s.last_event) {
    b.set_has_clock_floor(true);
    b.set_clock_floor_index(s.last_event->index);
    b.set_clock_floor_time(s.last_event->time_text);
  }
  for (const auto& [name, p] : f.state.products) {
    if (p.indexed_bytes == 0) continue;  // only pending releases: not logged
    facts::IndexedProduct* ip = b.add_products();
    ip->set_product(name);
    ip->set_last_signed_version(p.last_signed_version.value_or(""));
    ip->set_versions_bytes(p.indexed_bytes);
    ip->set_versions_chain(p.indexed_chain);
  }
  return b;
}

Result<IndexedFacts> FromBody(facts::FactsIndexBody& b) {
  IndexedFacts f;
  std::vector<std::string> roots(b.frontier().begin(), b.frontier().end());
  if (roots.size() != static_cast<std::size_t>(std::popcount(b.tree_size())))
    return DataLoss("the facts index's tree frontier does not fit its size");
  f.tree = log::Frontier(b.tree_size(), std::move(roots));
  LogState& s = f.state;
  s.installed_policy_version = b.installed_policy_version();
  s.installed_policy_digest = b.installed_policy_sha256();
  for (const auto& e : b.ended_keys())
    s.ended_keys[e.fingerprint()] = policy::EndedKey{e.revoked(), e.event_index(), e.key_label(),
                                                     e.reason(), e.effective_time()};
  if (b.has_clock_floor()) {
    // The same parse as the log's own (ClockFloorAfter of one event).
    s.last_event = ClockFloorAfter(std::nullopt, b.clock_floor_index(),
                                   strongroom::v1::EVENT_KIND_CLOCK_CHECKED, b.clock_floor_time());
  }
  for (auto& ip : *b.mutable_products()) {
    if (ip.versions_bytes() == 0 || ip.versions_chain().size() != 32)
      return DataLoss("the facts index names " + ip.product() + " without its versions");
    ProductFacts& p = s.products[ip.product()];
    p.last_signed_version = ip.last_signed_version();
    p.indexed_bytes = ip.versions_bytes();
    p.indexed_chain = std::move(*ip.mutable_versions_chain());
  }
  return f;
}

// Writes product p's entries not yet in its versions file there (durably
// unless !sync: then the caller syncs the file system), and makes them part
// of what p's index covers.
Status WriteVersions(std::string_view log_dir, const std::string& product, ProductFacts& p,
                     bool sync) {
  if (p.signed_versions.empty()) return Status::Ok();
  const std::string dir = JoinPath(log_dir, kVersionsDir);
  const std::string path = FactsVersionsPath(log_dir, product);
  SR_ASSIGN_OR_RETURN(std::string link, ChainVersions(product, p.indexed_chain, p.signed_versions));
  if (p.indexed_bytes == 0) {
    // Nothing covered yet (a new product, or a rebuild): the whole file, atomically.
    if (!PathExists(dir)) {
      SR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
      if (sync) SR_RETURN_IF_ERROR(FsyncDir(log_dir));
    }
    SR_RETURN_IF_ERROR(WriteFileAtomic(path, p.signed_versions, 0600, false, sync));
  } else {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) return ErrnoError("cannot open the facts versions file", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) return DataLoss(path + " is not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < p.indexed_bytes)
      return DataLoss(path +
                      " is shorter than the facts index covers: run `strongroom log reindex`");
    // A tail beyond what the index covers was appended by a session that
    // crashed before its index was written: replaced by these entries.
    if (size > p.indexed_bytes && ::ftruncate(fd.get(), static_cast<off_t>(p.indexed_bytes)) != 0)
      return ErrnoError("cannot truncate", path, errno);
    if (::lseek(fd.get(), static_cast<off_t>(p.indexed_bytes), SEEK_SET) < 0)
      return ErrnoError("cannot seek", path, errno);
    SR_RETURN_IF_ERROR(WriteAll(fd.get(), p.signed_versions, path));
    if (sync && ::fdatasync(fd.get()) != 0) return ErrnoError("cannot sync", path, errno);
  }
  p.indexed_bytes += p.signed_versions.size();
  p.indexed_chain = std::move(link);
  p.signed_versions.clear();
  return Status::Ok();
}

std::string NoteText(std::string_view origin, std::uint64_t size, std::string_view root,
                     std::string_view body_sha256_hex) {
  return std::string(kNoteHeader) + "\n" + std::string(origin) + "\n" + std::to_string(size) +
         "\n" + Base64Encode(root) + "\n" + std::string(body_sha256_hex) + "\n";
}

Result<log::NoteVerifier> VerifierOf(log::NoteSigner& signer) {
  // The vkey of whichever note signature type the log key has (Ed25519, or
  // ECDSA P-256 on a module without Ed25519).
  return log::NoteVerifier::Parse(log::VerifierKeyOf(signer));
}

void Prove(IndexedFacts& f, std::string_view station_dir, const log::Checkpoint& cp) {
  f.state.log_dir = layout::LogDir(station_dir);
  f.state.proven_size = cp.size;
  f.state.proven_root = cp.root;
}

// Reads events from f.tree.size() to cp.size into f, hashing each into the
// tree, and checks the tree arrives at cp's root.
Status CatchUp(IndexedFacts& f, std::string_view station_dir, const log::Checkpoint& cp) {
  const std::string dir = layout::LogDir(station_dir);
  f.state.log_dir = dir;
  if (f.tree.size() > cp.size)
    return DataLoss("the log's facts index reflects " + std::to_string(f.tree.size()) +
                    " events but the signed checkpoint covers " + std::to_string(cp.size));
  if (f.tree.size() < cp.size) {
    SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(dir));
    if (reader.indexed_size() < cp.size)
      return DataLoss("the log holds fewer events than its signed checkpoint");
    for (std::uint64_t i = f.tree.size(); i < cp.size; ++i) {
      std::string leaf;  // HashLeaf(bytes), from the read's own check
      SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i, &leaf));
      SR_RETURN_IF_ERROR(f.state.Add(i, bytes));
      f.tree.Append(leaf);
    }
  }
  if (f.tree.Root() != cp.root)
    return DataLoss("the log's facts index does not lead to the signed checkpoint (size " +
                    std::to_string(cp.size) + "): the index or the events were altered");
  Prove(f, station_dir, cp);
  return Status::Ok();
}

}  // namespace

Result<std::string> SealFactsIndex(const IndexedFacts& f, log::NoteSigner& signer) {
  for (const auto& [name, p] : f.state.products)
    if (!p.signed_versions.empty())
      return Internal("the versions of " + name + " are not written yet: cannot seal the index");
  facts::SealedFactsIndex sealed;
  if (!ToBody(f).SerializeToString(sealed.mutable_body()))
    return Internal("cannot serialize the facts index");
  SR_ASSIGN_OR_RETURN(
      std::string note,
      log::SignNote(NoteText(signer.Name(), f.tree.size(), f.tree.Root(), Sha256Hex(sealed.body())),
                    signer));
  sealed.set_note(std::move(note));
  std::string out;
  if (!sealed.SerializeToString(&out)) return Internal("cannot serialize the facts index");
  return out;
}

Result<IndexedFacts> OpenFactsIndex(std::string_view file, log::NoteSigner& signer) {
  facts::SealedFactsIndex sealed;
  if (!sealed.ParseFromArray(file.data(), static_cast<int>(file.size())))
    return DataLoss("the log's facts index is not a sealed index (it does not parse)");
  SR_ASSIGN_OR_RETURN(log::NoteVerifier verifier, VerifierOf(signer));
  auto text = log::OpenNote(sealed.note(), verifier);
  if (!text.ok())
    return DataLoss("the log's facts index is not signed by this log's key (" +
                    text.status().message() + ")");
  if (text->starts_with(kOldNoteHeader))
    return NotFound("the log's facts index has the older layout (versions inline): rebuilt");
  const std::string digest = Sha256Hex(sealed.body());
  facts::FactsIndexBody body;
  if (!body.ParseFromString(sealed.body()))
    return DataLoss("the log's facts index body does not parse");
  sealed.Clear();
  SR_ASSIGN_OR_RETURN(IndexedFacts f, FromBody(body));
  if (*text != NoteText(signer.Name(), f.tree.size(), f.tree.Root(), digest))
    return DataLoss(
        "the log's facts index was altered: its contents are not the ones its signature covers");
  return f;
}

Result<IndexedFacts> LoadFactsIndex(std::string_view station_dir, log::NoteSigner& signer,
                                    const log::Checkpoint& cp) {
  const std::string path = layout::LogFactsIndex(station_dir);
  if (!PathExists(path)) return NotFound("no facts index at " + path);
  SR_ASSIGN_OR_RETURN(std::string file, ReadFile(path, kMaxIndexBytes));
  auto f = OpenFactsIndex(file, signer);
  if (f.ok()) {
    Status up = CatchUp(*f, station_dir, cp);
    if (up.ok()) return f;
    f = up;
  }
  if (f.status().code() == Code::kNotFound) return f.status();
  return DataLoss(f.status().message() + " (" + path + ")");
}

Result<IndexedFacts> BuildFactsIndex(std::string_view station_dir, const log::Checkpoint& cp) {
  IndexedFacts f;
  Status s = CatchUp(f, station_dir, cp);
  if (!s.ok()) return s.Annotate("rebuilding the log's facts index");
  return f;
}

Status AddEventsAfter(IndexedFacts& f, std::string_view station_dir, std::uint64_t size) {
  if (size <= f.tree.size()) return Status::Ok();
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(layout::LogDir(station_dir)));
  for (std::uint64_t i = f.tree.size(); i < size; ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    SR_RETURN_IF_ERROR(f.state.Add(i, bytes));
  }
  return Status::Ok();
}

Status WriteFactsIndex(std::string_view station_dir, IndexedFacts f, log::NoteSigner& signer) {
  const std::string log_dir = layout::LogDir(station_dir);
  // A sign changes one product's file or a few (one flush each); a rebuild
  // or a catch-up over many releases changes many: one file-system sync.
  std::size_t changed = 0;
  for (const auto& [name, p] : f.state.products) changed += !p.signed_versions.empty();
  const bool each = changed <= 4;
  for (auto& [name, p] : f.state.products)
    SR_RETURN_IF_ERROR(WriteVersions(log_dir, name, p, each));
  if (!each) SR_RETURN_IF_ERROR(SyncFilesystem(log_dir));
  SR_ASSIGN_OR_RETURN(std::string bytes, SealFactsIndex(f, signer));
  return WriteFileAtomic(layout::LogFactsIndex(station_dir), bytes, 0600);
}

Status UpdateFactsIndex(std::string_view station_dir, const log::LogWriter& writer,
                        log::NoteSigner& signer, IndexedFacts* loaded) {
  const log::Checkpoint& cp = writer.checkpoint();
  if (loaded != nullptr) {
    if (loaded->tree.size() == cp.size && loaded->tree.Root() == cp.root) return Status::Ok();
    SR_RETURN_IF_ERROR(CatchUp(*loaded, station_dir, cp));
    return WriteFactsIndex(station_dir, std::move(*loaded), signer);
  }
  const std::string path = layout::LogFactsIndex(station_dir);
  Result<IndexedFacts> f = NotFound("");
  if (PathExists(path)) {
    SR_ASSIGN_OR_RETURN(std::string file, ReadFile(path, kMaxIndexBytes));
    f = OpenFactsIndex(file, signer);
  }
  if (f.ok()) {
    if (f->tree.size() == cp.size && f->tree.Root() == cp.root) return Status::Ok();
    SR_RETURN_IF_ERROR(CatchUp(*f, station_dir, cp));
  } else if (f.status().code() != Code::kNotFound) {
    return f.status();
  } else {
    f = BuildFactsIndex(station_dir, cp);
    SR_RETURN_IF_ERROR(f.status());
  }
  return WriteFactsIndex(station_dir, std::move(*f), signer);
}

Result<std::uint64_t> RebuildFactsIndex(std::string_view station_dir, log::NoteSigner& signer) {
  const std::string dir = layout::LogDir(station_dir);
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(dir));
  SR_ASSIGN_OR_RETURN(std::string note, reader.CheckpointNote());
  SR_ASSIGN_OR_RETURN(log::NoteVerifier verifier, VerifierOf(signer));
  SR_ASSIGN_OR_RETURN(log::Checkpoint cp, log::OpenCheckpoint(note, verifier));
  SR_ASSIGN_OR_RETURN(IndexedFacts f, BuildFactsIndex(station_dir, cp));
  const std::uint64_t size = f.tree.size();
  SR_RETURN_IF_ERROR(WriteFactsIndex(station_dir, std::move(f), signer));
  return size;
}

Result<std::uint64_t> ReindexStationLog(Station& station, const SecretBytes& log_pin) {
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> log, StationLog::Open(station, log_pin));
  if (log->writer().size() != log->writer().signed_size())
    return FailedPrecondition(
        "the log holds events after its signed checkpoint (left by a crash): run `strongroom log "
        "recover`, which signs them and rebuilds the index");
  return RebuildFactsIndex(station.dir(), log->signer());
}

}  // namespace sr
