// RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and proof
// verification, plus the subtree proofs of draft-ietf-plants-merkle-tree-certs
// (which generalize both; the public test vectors exercise them).
//
// Hashes are 32-byte raw strings. All functions are pure and thread-safe;
// proof generators read perfect-subtree hashes through a NodeSource so a log
// with millions of entries answers in O(log n) reads.
#ifndef STRONGROOM_LOG_MERKLE_H_
#define STRONGROOM_LOG_MERKLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sr::log {

inline constexpr std::size_t kHashSize = 32;

// SHA-256(0x00 || data).
std::string HashLeaf(std::string_view data);
// SHA-256(0x01 || left || right).
std::string HashChildren(std::string_view left, std::string_view right);
// Root of the empty tree: SHA-256("").
std::string EmptyRoot();

// The largest power of two strictly below n (n >= 2).
std::uint64_t SplitPoint(std::uint64_t n);

// Source of perfect-subtree hashes: Node(level, k) is the root of the
// subtree over leaves [k << level, (k + 1) << level). Implementations may
// fail (I/O, missing data); the error is passed through.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Result<std::string> Node(unsigned level, std::uint64_t k) = 0;
};

// MTH(D[begin:end]) for any 0 <= begin < end, from O(log n) perfect nodes.
Result<std::string> RangeHash(NodeSource& src, std::uint64_t begin, std::uint64_t end);
// RFC 9162 section 2.1.3.1 PATH(index, D[0:size]), leaf sibling first.
Result<std::vector<std::string>> InclusionProof(NodeSource& src, std::uint64_t index,
                                                std::uint64_t size);
// RFC 9162 section 2.1.4.1 PROOF(size1, D[0:size2]); 0 < size1 <= size2.
Result<std::vector<std::string>> ConsistencyProof(NodeSource& src, std::uint64_t size1,
                                                  std::uint64_t size2);

// Verifiers. Each returns OK or kDataLoss with a message naming the failed
// check. Roots are compared as opaque bytes.
Status VerifyInclusion(std::uint64_t index, std::uint64_t size, std::string_view leaf_hash,
                       const std::vector<std::string>& proof, std::string_view root);
Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2,
                         const std::vector<std::string>& proof, std::string_view root1,
                         std::string_view root2);
// Subtree [start, end) is valid when start < end and start is a multiple of
// BIT_CEIL(end - start).
bool IsValidSubtree(std::uint64_t start, std::uint64_t end);
Status VerifySubtreeInclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end,
                              std::string_view leaf_hash, const std::vector<std::string>& proof,
                              std::string_view subtree_hash);
Status VerifySubtreeConsistency(std::uint64_t start, std::uint64_t end, std::uint64_t size,
                                const std::vector<std::string>& proof,
                                std::string_view subtree_hash, std::string_view root);

// The right edge of a tree being built leaf by leaf ("compact range"):
// one hash per set bit of size(). Memory O(log n). Not thread-safe.
class Frontier {
 public:
  Frontier() = default;
  // Restores the frontier of a tree of `size` leaves from its perfect
  // subtree roots, largest (leftmost) first.
  Frontier(std::uint64_t size, std::vector<std::string> roots);
  // Adds a leaf hash. If `completed` is not null, the hashes of the perfect
  // subtrees this leaf completes are appended to it, lowest level first.
  void Append(std::string_view leaf_hash, std::vector<std::string>* completed = nullptr);
  std::uint64_t size() const { return size_; }
  std::string Root() const;
  const std::vector<std::string>& roots() const { return roots_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<std::string> roots_;
};

// In-memory leaves; for tests and small trees. Node() costs O(2^level).
class MemoryNodeSource final : public NodeSource {
 public:
  explicit MemoryNodeSource(std::vector<std::string> leaf_hashes)
      : leaves_(std::move(leaf_hashes)) {}
  Result<std::string> Node(unsigned level, std::uint64_t k) override;

 private:
  std::vector<std::string> leaves_;
};

}  // namespace sr::log

#endif  // STRONGROOM_LOG_MERKLE_H_
