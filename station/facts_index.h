// The facts index: the gate's facts (station/log_state.h) as of the signed
// checkpoint, kept in STATION/log/facts so that a sign reads none of the
// events it did not append itself (docs/formats.md, "The facts index";
// docs/threat-model.md says what a sign trusts it for).
//
// The file holds the facts as of tree size N with the tree's frontier, and a
// note signed by the log key binding the facts' SHA-256 to N and the root
// of the tree of N events. Its size does not grow with the releases signed:
// each product's SIGNING events are in an append-only versions file beside
// it (STATION/log/facts.d/), of which the signed facts hold the length and
// a hash chain over its records; a sign appends to one such file and reads
// one only when a version already taken may be presented again (checked
// against the chain then, kDataLoss on any mismatch). It is trusted only when that signature
// verifies and the root is the signed checkpoint's (or, for an index left behind by a crash or an
// older copy, when hashing the events after N leads to the checkpoint's root: their facts are added
// on the way, "catching up"). Written by StationLog::Commit after each checkpoint, rebuilt from
// every event by `log reindex` and `log recover`.
//
// Every function reads or writes files of one station; call them while
// holding the log writer (StationLog) so the log cannot change underneath.
// Failures: kNotFound when there is no index, kDataLoss naming what does not
// verify (the caller refuses and names `strongroom log reindex`).
#ifndef STRONGROOM_STATION_FACTS_INDEX_H_
#define STRONGROOM_STATION_FACTS_INDEX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/writer.h"
#include "station/log_state.h"
#include "station/station.h"

namespace sr {

// Product `product`'s versions file in the log directory log_dir.
std::string FactsVersionsPath(std::string_view log_dir, std::string_view product);
// The chain link after `records` (whole IndexedVersions entries, as
// appended) from link `from` (empty: the product's first link). kDataLoss
// when records do not split into entries.
Result<std::string> ChainVersions(std::string_view product, std::string_view from,
                                  std::string_view records);
// The first `bytes` bytes of product's versions file in log_dir, checked
// against `chain` (a longer file, left by a crash between the append and
// the index, is read up to `bytes`); kDataLoss naming the file and what
// does not match (altered, truncated, missing).
Result<std::string> ReadIndexedVersions(std::string_view log_dir, std::string_view product,
                                        std::uint64_t bytes, std::string_view chain);

// The facts as of tree.size() events, and that tree.
struct IndexedFacts {
  LogState state;
  log::Frontier tree;
};

// The file's bytes for facts (tree.size() must be a signed checkpoint's
// size), signed by the log key `signer`. The products' versions files must
// hold what facts say (WriteFactsIndex writes them first): kInternal when a
// product still has entries not written.
Result<std::string> SealFactsIndex(const IndexedFacts& facts, log::NoteSigner& signer);
// Verifies a file's bytes with the log key `signer` is (its public half) and
// parses them; kDataLoss naming what is wrong; kNotFound for an index of the
// older layout (v1, versions inline), which the caller rebuilds.
Result<IndexedFacts> OpenFactsIndex(std::string_view file, log::NoteSigner& signer);

// The station's index, checked and caught up to the signed checkpoint cp
// (state.log_dir and proven_* set to the log and cp). kNotFound when the
// file does not exist; kDataLoss when it does not verify, reflects more
// events than cp, or the events after it do not lead to cp's root.
Result<IndexedFacts> LoadFactsIndex(std::string_view station_dir, log::NoteSigner& signer,
                                    const log::Checkpoint& cp);
// The facts of cp's events, read from every event of the log, each proven
// by cp's root (the tree of the events read must be cp's).
Result<IndexedFacts> BuildFactsIndex(std::string_view station_dir, const log::Checkpoint& cp);
// Adds the facts of the events from facts.tree.size() to `size` (those after
// the signed checkpoint, unsigned: read as stored) to facts.state only.
Status AddEventsAfter(IndexedFacts& facts, std::string_view station_dir, std::uint64_t size);
// Writes facts as the station's index, durably: first each product's new
// entries to its versions file (appended after the length the index covers,
// cutting off a crash's leftover tail; a product with no indexed entries
// gets its whole file written atomically, as a rebuild does), then the
// sealed index atomically. A crash in between leaves the older index,
// which still verifies (its versions files' covered prefixes unchanged).
Status WriteFactsIndex(std::string_view station_dir, IndexedFacts facts, log::NoteSigner& signer);

// After writer's checkpoint was signed: brings the index up to it (caught
// up from `loaded`, the index as this session loaded and checked it, which
// it consumes; else from the index on disk, or built when there is none),
// unless it is there already.
Status UpdateFactsIndex(std::string_view station_dir, const log::LogWriter& writer,
                        log::NoteSigner& signer, IndexedFacts* loaded = nullptr);
// Rebuilds the index from every event, proven by the log's stored checkpoint
// (verified with signer's key), and writes it; returns the tree size it
// reflects. Used by StationLog::Create, `log reindex` and `log recover`.
Result<std::uint64_t> RebuildFactsIndex(std::string_view station_dir, log::NoteSigner& signer);
// `log reindex`: opens the station's log with the full check of every
// signed event (StationLog::Open, as `log verify` checks them), rebuilds the
// index from the events and writes it; returns the tree size it reflects.
// Logs nothing: the index is derived from the log, like its tree.
Result<std::uint64_t> ReindexStationLog(Station& station, const SecretBytes& log_pin);

}  // namespace sr

#endif  // STRONGROOM_STATION_FACTS_INDEX_H_
