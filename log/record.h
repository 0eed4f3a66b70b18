// The on-disk framing of the events file and the layout of the derived tree
// file (docs/formats.md "File layout"). Shared by the writer, reader and verifier.
#ifndef STRONGROOM_LOG_RECORD_H_
#define STRONGROOM_LOG_RECORD_H_

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace sr::log {

// First bytes of the events file.
inline constexpr std::string_view kEventsMagic = "SRLOGv1\n";
// Bound on one serialized event.
inline constexpr std::uint32_t kMaxEventBytes = 1u << 20;
// u32 big-endian length before the payload, 8-byte checksum after it.
inline constexpr std::size_t kLengthBytes = 4;
inline constexpr std::size_t kChecksumBytes = 8;
inline constexpr std::size_t kRecordOverhead = kLengthBytes + kChecksumBytes;

// File names inside the log directory.
inline constexpr std::string_view kEventsFile = "events";
inline constexpr std::string_view kTreeFile = "tree";
inline constexpr std::string_view kIndexFile = "index";
inline constexpr std::string_view kCheckpointFile = "checkpoint";
inline constexpr std::string_view kVkeyFile = "vkey";
inline constexpr std::string_view kLockFile = "lock";
inline constexpr std::string_view kRecoverPendingFile = "recover.pending";

inline std::uint32_t LoadBe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         u[3];
}
inline std::uint64_t LoadBe64(const char* p) {
  return (std::uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}
inline void AppendBe64(std::string& out, std::uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

// length || payload || leaf_hash[:8]. The checksum is the leaf hash prefix,
// so verifying a record costs no extra hashing.
inline std::string EncodeRecord(std::string_view payload, std::string_view leaf_hash) {
  std::string r;
  r.reserve(payload.size() + kRecordOverhead);
  auto n = static_cast<std::uint32_t>(payload.size());
  for (int s = 24; s >= 0; s -= 8) r.push_back(static_cast<char>((n >> s) & 0xff));
  r.append(payload);
  r.append(leaf_hash.substr(0, kChecksumBytes));
  return r;
}

// The tree file stores every perfect-subtree hash in post-order, 32 bytes
// each: leaf i sits at node 2i - popcount(i); node (level, k) right after
// the last leaf it covers, at that leaf's position + level.
inline std::uint64_t LeafNodePos(std::uint64_t i) {
  return 2 * i - static_cast<std::uint64_t>(std::popcount(i));
}
inline std::uint64_t NodePos(unsigned level, std::uint64_t k) {
  return LeafNodePos(((k + 1) << level) - 1) + level;
}
// Number of nodes stored for a tree of n leaves.
inline std::uint64_t NodeCount(std::uint64_t n) {
  return 2 * n - static_cast<std::uint64_t>(std::popcount(n));
}

}  // namespace sr::log

#endif  // STRONGROOM_LOG_RECORD_H_
