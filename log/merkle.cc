#include "log/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdlib>
#include <memory>

#include "base/hash.h"
#include "base/openssl_ptr.h"

namespace sr::log {
namespace {

Status ProofError(std::string what) { return DataLoss("Merkle proof does not verify: " + what); }

Status CheckProofHashes(const std::vector<std::string>& proof) {
  for (std::size_t i = 0; i < proof.size(); ++i) {
    if (proof[i].size() != kHashSize) {
      return ProofError("proof hash " + std::to_string(i) + " is " +
                        std::to_string(proof[i].size()) + " bytes, not 32");
    }
  }
  return Status::Ok();
}

Status PathInto(NodeSource& src, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                std::vector<std::string>& out) {
  std::uint64_t n = end - begin;
  if (n <= 1) return Status::Ok();
  std::uint64_t k = SplitPoint(n);
  if (m < k) {
    SR_RETURN_IF_ERROR(PathInto(src, m, begin, begin + k, out));
    SR_ASSIGN_OR_RETURN(std::string h, RangeHash(src, begin + k, end));
    out.push_back(std::move(h));
  } else {
    SR_RETURN_IF_ERROR(PathInto(src, m - k, begin + k, end, out));
    SR_ASSIGN_OR_RETURN(std::string h, RangeHash(src, begin, begin + k));
    out.push_back(std::move(h));
  }
  return Status::Ok();
}

Status SubproofInto(NodeSource& src, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                    bool whole, std::vector<std::string>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      SR_ASSIGN_OR_RETURN(std::string h, RangeHash(src, begin, end));
      out.push_back(std::move(h));
    }
    return Status::Ok();
  }
  std::uint64_t k = SplitPoint(n);
  if (m <= k) {
    SR_RETURN_IF_ERROR(SubproofInto(src, m, begin, begin + k, whole, out));
    SR_ASSIGN_OR_RETURN(std::string h, RangeHash(src, begin + k, end));
    out.push_back(std::move(h));
  } else {
    SR_RETURN_IF_ERROR(SubproofInto(src, m - k, begin + k, end, false, out));
    SR_ASSIGN_OR_RETURN(std::string h, RangeHash(src, begin, begin + k));
    out.push_back(std::move(h));
  }
  return Status::Ok();
}

// One fetched SHA-256 implementation and one reusable context per thread:
// in OpenSSL 3 an implicit fetch and a fresh context per hash cost more than
// hashing a small event.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::string Hash2(char prefix, std::string_view a, std::string_view b) {
  thread_local MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string out(kHashSize, '\0');
  unsigned len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), &prefix, 1) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    std::abort();  // only on allocation failure inside OpenSSL
  }
  return out;
}

}  // namespace

std::string HashLeaf(std::string_view data) { return Hash2(0, data, {}); }

std::string HashChildren(std::string_view left, std::string_view right) {
  return Hash2(1, left, right);
}

std::string EmptyRoot() { return Sha256Bytes(""); }

std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

Result<std::string> RangeHash(NodeSource& src, std::uint64_t begin, std::uint64_t end) {
  if (begin >= end) return Internal("RangeHash of an empty range");
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    unsigned level = static_cast<unsigned>(std::countr_zero(n));
    return src.Node(level, begin >> level);
  }
  std::uint64_t k = SplitPoint(n);
  SR_ASSIGN_OR_RETURN(std::string left, RangeHash(src, begin, begin + k));
  SR_ASSIGN_OR_RETURN(std::string right, RangeHash(src, begin + k, end));
  return HashChildren(left, right);
}

Result<std::vector<std::string>> InclusionProof(NodeSource& src, std::uint64_t index,
                                                std::uint64_t size) {
  if (index >= size) {
    return InvalidArgument("index " + std::to_string(index) + " is not below tree size " +
                           std::to_string(size));
  }
  std::vector<std::string> out;
  SR_RETURN_IF_ERROR(PathInto(src, index, 0, size, out));
  return out;
}

Result<std::vector<std::string>> ConsistencyProof(NodeSource& src, std::uint64_t size1,
                                                  std::uint64_t size2) {
  if (size1 == 0 || size1 > size2) {
    return InvalidArgument("no consistency proof from size " + std::to_string(size1) + " to size " +
                           std::to_string(size2));
  }
  std::vector<std::string> out;
  SR_RETURN_IF_ERROR(SubproofInto(src, size1, 0, size2, true, out));
  return out;
}

bool IsValidSubtree(std::uint64_t start, std::uint64_t end) {
  if (start >= end) return false;
  std::uint64_t n = end - start;
  // BIT_CEIL(n) would be 2^64 here: only start 0 is a multiple of it.
  if (n > (std::uint64_t{1} << 63)) return start == 0;
  return start % std::bit_ceil(n) == 0;
}

Status VerifyInclusion(std::uint64_t index, std::uint64_t size, std::string_view leaf_hash,
                       const std::vector<std::string>& proof, std::string_view root) {
  return VerifySubtreeInclusion(index, 0, size, leaf_hash, proof, root);
}

Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2,
                         const std::vector<std::string>& proof, std::string_view root1,
                         std::string_view root2) {
  // An empty old tree proves nothing; RFC 9162 callers must not ask.
  if (size1 == 0) return ProofError("the old tree is empty");
  return VerifySubtreeConsistency(0, size1, size2, proof, root1, root2);
}

// Section 4.3.2 of draft-ietf-plants-merkle-tree-certs; with start = 0 this
// is RFC 9162 section 2.1.3.2.
Status VerifySubtreeInclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end,
                              std::string_view leaf_hash, const std::vector<std::string>& proof,
                              std::string_view subtree_hash) {
  if (!IsValidSubtree(start, end)) {
    return ProofError("[" + std::to_string(start) + ", " + std::to_string(end) +
                      ") is not a valid (sub)tree");
  }
  if (index < start || index >= end) {
    return ProofError("index " + std::to_string(index) + " is outside the tree [" +
                      std::to_string(start) + ", " + std::to_string(end) + ")");
  }
  SR_RETURN_IF_ERROR(CheckProofHashes(proof));
  if (leaf_hash.size() != kHashSize) return ProofError("the leaf hash is not 32 bytes");
  std::uint64_t fn = index - start, sn = end - start - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return ProofError("the proof has too many hashes");
    if ((fn & 1) == 1 || fn == sn) {
      r = HashChildren(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofError("the proof has too few hashes");
  if (r != subtree_hash) return ProofError("the computed root does not match the expected root");
  return Status::Ok();
}

// Section 4.4.3 of draft-ietf-plants-merkle-tree-certs; with start = 0 this
// is RFC 9162 section 2.1.4.2 (and also rejects size1 = 0).
Status VerifySubtreeConsistency(std::uint64_t start, std::uint64_t end, std::uint64_t size,
                                const std::vector<std::string>& proof,
                                std::string_view subtree_hash, std::string_view root) {
  // The empty subtree is trivially consistent with any tree that contains
  // its position, given the empty root and no proof.
  if (start == end && end <= size) {
    if (!proof.empty()) return ProofError("an empty subtree needs an empty proof");
    if (subtree_hash != EmptyRoot())
      return ProofError("the empty subtree's hash is not the empty root");
    return Status::Ok();
  }
  if (!IsValidSubtree(start, end)) {
    return ProofError("[" + std::to_string(start) + ", " + std::to_string(end) +
                      ") is not a valid (sub)tree");
  }
  if (end > size) {
    return ProofError("old size " + std::to_string(end) + " exceeds new size " +
                      std::to_string(size));
  }
  SR_RETURN_IF_ERROR(CheckProofHashes(proof));
  std::uint64_t fn = start, sn = end - 1, tn = size - 1;
  if (sn == tn) {
    while (fn != sn) {
      fn >>= 1;
      sn >>= 1;
      tn >>= 1;
    }
  } else {
    while (fn != sn && (sn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
      tn >>= 1;
    }
  }
  std::size_t i = 0;
  std::string fr, sr;
  if (fn == sn) {
    fr = sr = std::string(subtree_hash);
  } else {
    if (proof.empty()) return ProofError("the proof is empty");
    fr = sr = proof[i++];
  }
  for (; i < proof.size(); ++i) {
    if (tn == 0) return ProofError("the proof has too many hashes");
    const std::string& c = proof[i];
    if ((sn & 1) == 1 || sn == tn) {
      if (fn < sn) fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      while ((sn & 1) == 0 && sn != 0) {
        fn >>= 1;
        sn >>= 1;
        tn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
    tn >>= 1;
  }
  if (tn != 0) return ProofError("the proof has too few hashes");
  if (fr != subtree_hash) return ProofError("the old root does not match the proof");
  if (sr != root) return ProofError("the new root does not match the proof");
  return Status::Ok();
}

Frontier::Frontier(std::uint64_t size, std::vector<std::string> roots)
    : size_(size), roots_(std::move(roots)) {}

void Frontier::Append(std::string_view leaf_hash, std::vector<std::string>* completed) {
  std::string x(leaf_hash);
  for (std::uint64_t n = size_; (n & 1) == 1; n >>= 1) {
    x = HashChildren(roots_.back(), x);
    roots_.pop_back();
    if (completed) completed->push_back(x);
  }
  roots_.push_back(std::move(x));
  ++size_;
}

std::string Frontier::Root() const {
  if (roots_.empty()) return EmptyRoot();
  std::string r = roots_.back();
  for (std::size_t i = roots_.size() - 1; i-- > 0;) r = HashChildren(roots_[i], r);
  return r;
}

Result<std::string> MemoryNodeSource::Node(unsigned level, std::uint64_t k) {
  std::uint64_t begin = k << level, end = (k + 1) << level;
  if (end > leaves_.size()) return NotFound("node beyond the tree");
  if (level == 0) return leaves_[begin];
  SR_ASSIGN_OR_RETURN(std::string l, Node(level - 1, 2 * k));
  SR_ASSIGN_OR_RETURN(std::string r, Node(level - 1, 2 * k + 1));
  return HashChildren(l, r);
}

}  // namespace sr::log
