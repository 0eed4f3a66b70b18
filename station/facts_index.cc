#include "station/facts_index.h"

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
constexpr std::string_view kNoteHeader = "strongroom facts index v1";
// A million releases index in about 40 MB; this bounds what is read.
constexpr std::uint64_t kMaxIndexBytes = 256u << 20;

// Moves the products' version bytes out of f (a 1,000,000-event log's index
// is hundreds of kilobytes: each copy costs page faults on every sign).
facts::FactsIndexBody ToBody(IndexedFacts& f) {
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
  for (auto& [name, p] : f.state.products) {
    if (p.signed_versions.empty()) continue;  // only pending releases: not logged
    facts::IndexedProduct* ip = b.add_products();
    ip->set_product(name);
    ip->set_last_signed_version(p.last_signed_version.value_or(""));
    *ip->mutable_versions() = std::move(p.signed_versions);
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
    ProductFacts& p = s.products[ip.product()];
    p.last_signed_version = ip.last_signed_version();
    p.signed_versions = std::move(*ip.mutable_versions());
  }
  return f;
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
      SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
      SR_RETURN_IF_ERROR(f.state.Add(i, bytes));
      f.tree.Append(log::HashLeaf(bytes));
    }
  }
  if (f.tree.Root() != cp.root)
    return DataLoss("the log's facts index does not lead to the signed checkpoint (size " +
                    std::to_string(cp.size) + "): the index or the events were altered");
  Prove(f, station_dir, cp);
  return Status::Ok();
}

}  // namespace

Result<std::string> SealFactsIndex(IndexedFacts f, log::NoteSigner& signer) {
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
  SR_ASSIGN_OR_RETURN(std::string bytes, SealFactsIndex(std::move(f), signer));
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
    SR_RETURN_IF_ERROR(f.status());
    if (f->tree.size() == cp.size && f->tree.Root() == cp.root) return Status::Ok();
    SR_RETURN_IF_ERROR(CatchUp(*f, station_dir, cp));
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
