#include "log/tiles.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include "base/file.h"
#include "log/note.h"
#include "log/reader.h"
#include "log/record.h"
#include "proto/event.pb.h"

namespace sr::log {
namespace {

constexpr std::uint64_t kFullTileBytes = kTileWidth * kHashSize;
constexpr unsigned kMaxLevels = 8;  // 8 levels of 8 bits cover 2^64 leaves

std::string IndexPath(std::uint64_t n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
  std::string s = buf;
  while (n >= 1000) {
    n /= 1000;
    std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(n % 1000));
    s = buf + s;
  }
  return s;
}

std::string WidthSuffix(unsigned width) {
  return width < kTileWidth ? ".p/" + std::to_string(width) : std::string();
}

// Directories of an export are made world-readable (0755 whatever the
// umask): the export is meant to be served as it is.
class PublicDirs {
 public:
  explicit PublicDirs(std::string root) : root_(std::move(root)) {}
  Status Make(std::string_view rel) {
    std::string r(rel);
    for (std::size_t i = 0; i <= r.size(); ++i) {
      if (i != r.size() && r[i] != '/') continue;
      std::string part = JoinPath(root_, r.substr(0, i));
      if (i == 0) part = root_;
      if (!made_.insert(part).second) continue;
      if (::mkdir(part.c_str(), 0755) == 0) {
        ::chmod(part.c_str(), 0755);
      } else if (errno != EEXIST) {
        return ErrnoError("cannot create directory", part, errno);
      }
    }
    return Status::Ok();
  }

 private:
  std::string root_;
  std::set<std::string> made_;
};

void AppendBe16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

// Reads a tile or bundle of `width` at `path_partial`, falling back to the
// full one (whose first entries are the same) when the partial is gone.
// kNotFound when neither exists.
Result<std::string> ReadTileFile(const std::string& dir, const std::string& partial,
                                 const std::string& full, std::uint64_t max_bytes,
                                 bool* used_full) {
  *used_full = false;
  std::string p = JoinPath(dir, partial);
  if (!PathExists(p) && partial != full) {
    p = JoinPath(dir, full);
    *used_full = true;
  }
  if (!PathExists(p)) return NotFound("'" + JoinPath(dir, partial) + "' is missing");
  return ReadFile(p, max_bytes);
}

}  // namespace

std::string TilePath(unsigned level, std::uint64_t n, unsigned width) {
  return "tile/" + std::to_string(level) + "/" + IndexPath(n) + WidthSuffix(width);
}

std::string EntryBundlePath(std::uint64_t n, unsigned width) {
  return "tile/entries/" + IndexPath(n) + WidthSuffix(width);
}

unsigned TileWidthAt(unsigned level, std::uint64_t n, std::uint64_t size) {
  if (level >= kMaxLevels || n >= (std::uint64_t{1} << 56)) return 0;
  std::uint64_t count = size >> (kTileHeight * level);
  std::uint64_t start = n * kTileWidth;
  if (count <= start) return 0;
  return static_cast<unsigned>(std::min<std::uint64_t>(kTileWidth, count - start));
}

Result<std::vector<std::string>> ParseEntryBundle(std::string_view data, unsigned count,
                                                  bool allow_more) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < data.size() && out.size() < count) {
    if (data.size() - pos < 2) return DataLoss("the bundle ends inside an entry's length");
    std::size_t len = (static_cast<std::size_t>(static_cast<unsigned char>(data[pos])) << 8) |
                      static_cast<unsigned char>(data[pos + 1]);
    pos += 2;
    if (data.size() - pos < len) {
      return DataLoss("entry " + std::to_string(out.size()) + " of the bundle is cut short (" +
                      std::to_string(len) + " bytes announced, " +
                      std::to_string(data.size() - pos) + " present)");
    }
    out.emplace_back(data.substr(pos, len));
    pos += len;
  }
  if (out.size() < count) {
    return DataLoss("the bundle holds " + std::to_string(out.size()) + " entries, not " +
                    std::to_string(count));
  }
  if (pos != data.size() && !allow_more) {
    return DataLoss("the bundle holds more than its " + std::to_string(count) + " entries");
  }
  return out;
}

Result<ExportReport> ExportTiles(const ExportOptions& o) {
  SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(o.log_dir, kVkeyFile), 4096));
  SR_ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::Parse(vkey));
  SR_ASSIGN_OR_RETURN(LogReader r, LogReader::Open(o.log_dir));
  std::string note;
  if (o.checkpoint_note) {
    note = *o.checkpoint_note;
  } else {
    SR_ASSIGN_OR_RETURN(note, r.CheckpointNote());
  }
  auto opened = OpenCheckpoint(note, v);
  if (!opened.ok()) return opened.status().Annotate("the log's checkpoint");
  const Checkpoint cp = std::move(opened).value();
  if (cp.size > 0) {
    auto root = RangeHash(r.nodes(), 0, cp.size);
    if (!root.ok() || *root != cp.root) {
      return DataLoss(
          "the log's stored tree does not give the root of its signed checkpoint (size " +
          std::to_string(cp.size) +
          "): nothing was exported; run 'strongroom log verify' on the log");
    }
  }

  ExportReport rep;
  rep.size = cp.size;
  std::optional<std::string> old_note = o.since_note;
  std::string what = "--since";
  std::string out_cp = JoinPath(o.out_dir, kCheckpointFile);
  if (!old_note && PathExists(out_cp)) {
    SR_ASSIGN_OR_RETURN(old_note, ReadFile(out_cp, kMaxNoteBytes));
    what = "the export's checkpoint " + out_cp;
  }
  if (old_note) {
    auto old = OpenCheckpoint(*old_note, v);
    if (!old.ok()) {
      return old.status().Annotate(what + " is not a checkpoint signed by this log's key");
    }
    if (old->size > cp.size) {
      return DataLoss(what + " is of size " + std::to_string(old->size) +
                      ", larger than the log's checkpoint (size " + std::to_string(cp.size) +
                      "): it is not an earlier export of this log (rolled back?)");
    }
    if (old->size > 0) {
      auto root = RangeHash(r.nodes(), 0, old->size);
      if (!root.ok() || *root != old->root) {
        return DataLoss(what + " (size " + std::to_string(old->size) +
                        ") is not a prefix of this log: the log was forked or rewritten since "
                        "that export; nothing was written");
      }
    }
    rep.old_size = old->size;
  }

  PublicDirs dirs(o.out_dir);
  SR_RETURN_IF_ERROR(dirs.Make(""));
  auto write = [&](const std::string& rel, std::string_view data) -> Status {
    SR_RETURN_IF_ERROR(dirs.Make(DirName(rel)));
    SR_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(o.out_dir, rel), data, 0644, false, false));
    rep.written.push_back(rel);
    return Status::Ok();
  };
  for (unsigned level = 0; level < kMaxLevels && (cp.size >> (kTileHeight * level)) > 0; ++level) {
    std::uint64_t count = cp.size >> (kTileHeight * level);
    std::uint64_t first = (rep.old_size >> (kTileHeight * level)) / kTileWidth;
    for (std::uint64_t n = first; n <= (count - 1) / kTileWidth; ++n) {
      unsigned w = TileWidthAt(level, n, cp.size);
      if (w <= TileWidthAt(level, n, rep.old_size)) continue;
      std::string tile;
      tile.reserve(w * kHashSize);
      for (unsigned i = 0; i < w; ++i) {
        SR_ASSIGN_OR_RETURN(std::string h, r.nodes().Node(kTileHeight * level, n * kTileWidth + i));
        tile += h;
      }
      if (level == 0) {
        std::string bundle;
        for (unsigned i = 0; i < w; ++i) {
          std::uint64_t index = n * kTileWidth + i;
          SR_ASSIGN_OR_RETURN(std::string ev, r.ReadEvent(index));
          if (ev.size() > kMaxTileEntryBytes) {
            return InvalidArgument(
                "event " + std::to_string(index) + " is " + std::to_string(ev.size()) +
                " bytes; a tlog-tiles entry bundle holds entries of at most 65,535 bytes, so "
                "this log cannot be exported as tiles from this event on");
          }
          if (HashLeaf(ev) != std::string_view(tile).substr(i * kHashSize, kHashSize)) {
            return DataLoss("event " + std::to_string(index) +
                            " does not hash to its leaf in the stored tree; run 'strongroom log "
                            "verify' on the log");
          }
          AppendBe16(bundle, ev.size());
          bundle += ev;
        }
        SR_RETURN_IF_ERROR(write(EntryBundlePath(n, w), bundle));
        ++rep.bundles;
      }
      SR_RETURN_IF_ERROR(write(TilePath(level, n, w), tile));
      ++rep.tiles;
    }
  }
  // Every tile and bundle is durable before the checkpoint that needs them.
  if (!rep.written.empty()) SR_RETURN_IF_ERROR(SyncFilesystem(o.out_dir));
  auto current = PathExists(out_cp) ? ReadFile(out_cp, kMaxNoteBytes) : Result<std::string>("");
  if (!current.ok() || *current != note) {
    SR_RETURN_IF_ERROR(WriteFileAtomic(out_cp, note, 0644, false, true));
    rep.written.push_back(std::string(kCheckpointFile));
  }
  return rep;
}

Result<std::string> TileNodeSource::Tile(unsigned level, std::uint64_t n) {
  auto it = cache_.find({level, n});
  if (it != cache_.end()) return it->second;
  unsigned w = TileWidthAt(level, n, size_);
  if (w == 0) return NotFound(TilePath(level, n, kTileWidth) + " is beyond the tree");
  bool full = false;
  SR_ASSIGN_OR_RETURN(std::string data,
                      ReadTileFile(dir_, TilePath(level, n, w), TilePath(level, n, kTileWidth),
                                   kFullTileBytes, &full));
  std::uint64_t want = full ? kFullTileBytes : std::uint64_t{w} * kHashSize;
  if (data.size() != want) {
    return DataLoss("tile " + TilePath(level, n, full ? kTileWidth : w) + " is " +
                    std::to_string(data.size()) + " bytes, not " + std::to_string(want));
  }
  data.resize(std::uint64_t{w} * kHashSize);
  cache_[{level, n}] = data;
  return data;
}

Result<std::string> TileNodeSource::Node(unsigned level, std::uint64_t k) {
  unsigned tl = level / kTileHeight, rest = level % kTileHeight;
  if (tl >= kMaxLevels || k >= (std::uint64_t{1} << (63 - level))) {
    return NotFound("node beyond the tree");
  }
  std::uint64_t first = k << rest, span = std::uint64_t{1} << rest;
  if (first + span > (size_ >> (kTileHeight * tl))) return NotFound("node beyond the tree");
  SR_ASSIGN_OR_RETURN(std::string tile, Tile(tl, first / kTileWidth));
  std::vector<std::string> hs;
  for (std::uint64_t i = 0; i < span; ++i) {
    hs.push_back(tile.substr(((first % kTileWidth) + i) * kHashSize, kHashSize));
  }
  while (hs.size() > 1) {
    std::vector<std::string> up;
    for (std::size_t i = 0; i < hs.size(); i += 2) up.push_back(HashChildren(hs[i], hs[i + 1]));
    hs = std::move(up);
  }
  return hs[0];
}

namespace {

// The tiles an export must hold, rebuilt from its entries and compared
// with the files as each one fills (full) or at the end (partial).
class TileCheck {
 public:
  explicit TileCheck(std::string dir) : dir_(std::move(dir)) {}
  void Add(unsigned level, std::string_view hash) {
    pending_[level].append(hash);
    if (pending_[level].size() == kFullTileBytes) Flush(level);
  }
  void Finish() {
    for (unsigned l = 0; l < kMaxLevels; ++l)
      if (!pending_[l].empty()) Flush(l);
  }
  const std::optional<VerifyFailure>& failure() const { return failure_; }
  std::int64_t first_bad_leaf() const { return first_bad_leaf_; }

 private:
  void Flush(unsigned level) {
    std::uint64_t n = next_[level]++;
    std::string want = std::move(pending_[level]);
    pending_[level].clear();
    if (failure_) return;
    auto w = static_cast<unsigned>(want.size() / kHashSize);
    bool full = false;
    std::string path = TilePath(level, n, w);
    auto got = ReadTileFile(dir_, path, TilePath(level, n, kTileWidth), kFullTileBytes, &full);
    if (got.ok() && full) got->resize(std::min<std::size_t>(got->size(), want.size()));
    if (got.ok() && *got == want) return;
    std::int64_t index = -1;
    if (level == 0) {
      index = static_cast<std::int64_t>(n * kTileWidth);
      for (std::size_t i = 0; got.ok() && i < w; ++i) {
        if (got->compare(i * kHashSize, kHashSize, want, i * kHashSize, kHashSize) != 0) {
          index += static_cast<std::int64_t>(i);
          break;
        }
      }
      if (first_bad_leaf_ < 0) first_bad_leaf_ = index;
    }
    failure_ = VerifyFailure{"tile", index, -1,
                             got.ok() ? path + " does not hold the hashes of the entries it covers"
                                      : got.status().message()};
  }
  std::string dir_;
  std::string pending_[kMaxLevels];
  std::uint64_t next_[kMaxLevels] = {};
  std::optional<VerifyFailure> failure_;
  std::int64_t first_bad_leaf_ = -1;
};

}  // namespace

Result<VerifyReport> VerifyTiles(const VerifyOptions& o) {
  SR_ASSIGN_OR_RETURN(NoteVerifier nv, NoteVerifier::Parse(o.vkey));
  VerifyReport rep;
  auto fail = [&rep](std::string check, std::int64_t index, std::string msg) {
    rep.failure = VerifyFailure{std::move(check), index, -1, std::move(msg)};
    return rep;
  };
  auto note = ReadFile(JoinPath(o.dir, kCheckpointFile), kMaxNoteBytes);
  auto opened = note.ok() ? OpenCheckpoint(*note, nv) : Result<Checkpoint>(note.status());
  if (!opened.ok())
    return fail("checkpoint-signature", -1,
                "the export's checkpoint: " + opened.status().message());
  const Checkpoint cp = std::move(opened).value();
  rep.checkpoint_size = cp.size;
  rep.origin = cp.origin;
  std::optional<Checkpoint> since;
  if (o.since) {
    auto s = OpenCheckpoint(*o.since, nv);
    if (!s.ok())
      return fail("since-signature", -1, "the older checkpoint: " + s.status().message());
    since = std::move(s).value();
    rep.since_size = since->size;
    if (since->size > cp.size) {
      return fail("since-consistency", static_cast<std::int64_t>(cp.size),
                  "the export's checkpoint (size " + std::to_string(cp.size) +
                      ") is older than the one you kept (size " + std::to_string(since->size) +
                      "): the log was rolled back or its checkpoint replaced");
    }
  }
  Frontier f;
  TileCheck tiles(o.dir);
  std::optional<std::string> root_at_since;
  if (since && since->size == 0) root_at_since = EmptyRoot();
  std::vector<std::string> completed;
  std::uint64_t bundles = (cp.size + kTileWidth - 1) / kTileWidth;
  for (std::uint64_t n = 0; n < bundles; ++n) {
    unsigned w = TileWidthAt(0, n, cp.size);
    bool full = false;
    auto idx = static_cast<std::int64_t>(n * kTileWidth);
    auto data = ReadTileFile(o.dir, EntryBundlePath(n, w), EntryBundlePath(n, kTileWidth),
                             kTileWidth * (kMaxTileEntryBytes + 2), &full);
    if (!data.ok())
      return fail(data.status().code() == Code::kNotFound ? "bundle" : "io", idx,
                  data.status().message());
    auto entries = ParseEntryBundle(*data, w, full);
    if (!entries.ok()) {
      return fail("bundle", idx,
                  EntryBundlePath(n, full ? kTileWidth : w) + ": " + entries.status().message());
    }
    rep.bytes += data->size();
    for (unsigned j = 0; j < w; ++j) {
      const std::string& e = (*entries)[j];
      std::uint64_t i = n * kTileWidth + j;
      strongroom::v1::Event ev;
      if (!ev.ParseFromString(e))
        return fail("event-parse", static_cast<std::int64_t>(i),
                    "the entry is not a valid Event message");
      if (ev.sequence() != i)
        return fail("event-sequence", static_cast<std::int64_t>(i),
                    "the entry's sequence number is " + std::to_string(ev.sequence()) + ", not " +
                        std::to_string(i) + " (events reordered, removed or inserted)");
      if (o.on_event) o.on_event(i, e);
      std::string leaf = HashLeaf(e);
      completed.clear();
      f.Append(leaf, &completed);
      tiles.Add(0, leaf);
      for (unsigned l = 1; l < kMaxLevels && kTileHeight * l - 1 < completed.size(); ++l)
        tiles.Add(l, completed[kTileHeight * l - 1]);
      if (since && f.size() == since->size) root_at_since = f.Root();
    }
    rep.events = f.size();
    if (o.progress) o.progress(n + 1, bundles);
  }
  tiles.Finish();
  if (f.Root() != cp.root) {
    std::int64_t bad = tiles.first_bad_leaf();
    return fail("root", bad,
                "the root recomputed from the " + std::to_string(cp.size) +
                    " entries differs from the signed checkpoint" +
                    (bad >= 0 ? ": entry " + std::to_string(bad) +
                                    " no longer hashes to its leaf in the level-0 tile (altered)"
                              : std::string(" (entries were altered)")));
  }
  if (tiles.failure()) {
    rep.failure = tiles.failure();
    return rep;
  }
  if (since && *root_at_since != since->root) {
    return fail("since-consistency", -1,
                "the first " + std::to_string(since->size) +
                    " entries no longer hash to the checkpoint you kept: history was rewritten");
  }
  rep.root = f.Root();
  rep.ok = true;
  return rep;
}

}  // namespace sr::log
