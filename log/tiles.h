// Publication of a log as static files: the C2SP tlog-tiles layout
// (docs/formats.md "Tiles export"), written incrementally, and read back by
// an auditor (VerifyTiles) or a witness (TileNodeSource).
//
// An entry is one serialized Event: exactly the bytes whose RFC 6962 leaf
// hash SHA-256(0x00 || event) is the tree's leaf (the record framing and
// checksum of the events file are not part of it). Entry bundles prefix
// each entry with a big-endian uint16 length, so an event above 65,535
// bytes cannot be published: ExportTiles refuses it by index.
//
// Layout under OUT (tile height 8, 256 hashes per full tile):
//   checkpoint                     the signed checkpoint (+ stored cosignatures), written last
//   tile/<L>/<N>[.p/<W>]           hash tiles, L = 0.., N in x-prefixed 3-digit elements
//   tile/entries/<N>[.p/<W>]       entry bundles
// Thread-compatible; functions touch only the paths they are given.
#ifndef STRONGROOM_LOG_TILES_H_
#define STRONGROOM_LOG_TILES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/merkle.h"
#include "log/verify.h"

namespace sr::log {

inline constexpr unsigned kTileHeight = 8;
inline constexpr unsigned kTileWidth = 256;
// Largest entry an entry bundle can hold (uint16 length prefix).
inline constexpr std::size_t kMaxTileEntryBytes = 65535;

// "tile/<level>/<N>" plus ".p/<width>" when width < 256 (width 1..256).
std::string TilePath(unsigned level, std::uint64_t n, unsigned width);
// "tile/entries/<N>" plus ".p/<width>" when width < 256.
std::string EntryBundlePath(std::uint64_t n, unsigned width);
// Hashes tile n of `level` holds in a tree of `size` leaves: 256 when
// full, 1..255 when partial, 0 when the tile does not exist at that size.
unsigned TileWidthAt(unsigned level, std::uint64_t n, std::uint64_t size);

struct ExportOptions {
  std::string log_dir;  // the log to publish (its own DIR/vkey verifies it)
  std::string out_dir;  // created if missing
  // The checkpoint of the last export (a checkpoint note): only what
  // changed since it is written. Default: OUT/checkpoint if present, else
  // everything.
  std::optional<std::string> since_note;
  // The checkpoint note to publish (the log's current one with the
  // cosignatures stored for it); default: DIR/checkpoint as it is.
  std::optional<std::string> checkpoint_note;
};

struct ExportReport {
  std::uint64_t old_size = 0;        // tree size already published
  std::uint64_t size = 0;            // tree size published now
  std::uint64_t tiles = 0;           // hash tiles written
  std::uint64_t bundles = 0;         // entry bundles written
  std::vector<std::string> written;  // relative paths, checkpoint last
};

// Writes what a client needs for the log's current checkpoint and did not
// have at the old size: new and grown tiles and bundles (a full tile, once
// written, is never rewritten; a partial tile is superseded by a wider
// one, the narrower kept for clients of older checkpoints). Each file is
// written atomically; all are synced before the checkpoint is replaced, so
// a crash leaves the previous export intact plus harmless extra files.
// Refuses (kDataLoss) when the old export is not a prefix of this log, and
// (kInvalidArgument) an event too large for an entry bundle.
Result<ExportReport> ExportTiles(const ExportOptions& options);

// Perfect-subtree hashes read from an export's tiles for a tree of `size`
// leaves (partial tiles of that size, falling back to the full tile).
// Tiles are cached; not thread-safe.
class TileNodeSource final : public NodeSource {
 public:
  TileNodeSource(std::string dir, std::uint64_t size) : dir_(std::move(dir)), size_(size) {}
  Result<std::string> Node(unsigned level, std::uint64_t k) override;
  // The raw tile (width * 32 bytes) of `level`, index n, at this size.
  Result<std::string> Tile(unsigned level, std::uint64_t n);

 private:
  std::string dir_;
  std::uint64_t size_;
  std::map<std::pair<unsigned, std::uint64_t>, std::string> cache_;
};

// Splits an entry bundle into exactly `count` entries (kDataLoss naming the
// problem when it holds fewer, more, or a truncated entry). With
// allow_more, a full bundle read in place of a partial one may hold more;
// only the first `count` are returned.
Result<std::vector<std::string>> ParseEntryBundle(std::string_view data, unsigned count,
                                                  bool allow_more = false);

// The auditor's verify of an export (VerifyOptions::dir is the export):
// the checkpoint signature, every entry bundle's framing, that each entry
// parses as an Event whose sequence is its index, the root recomputed from
// the entries, every hash tile the checkpoint implies (check "tile"), and
// an older checkpoint as a prefix. Report and failure names as VerifyLog
// (docs/formats.md); `offset` is -1. Single-threaded.
Result<VerifyReport> VerifyTiles(const VerifyOptions& options);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_TILES_H_
