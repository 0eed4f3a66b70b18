// tlog-proof and consistency-proof parsers, and the Merkle proof verifiers
// fed arbitrary sizes and hashes. Invariant: a parsed proof file formats
// back to a file that parses to the same fields.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz.h"
#include "log/merkle.h"
#include "log/proof.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto inc = sr::log::InclusionProofFile::Parse(in);
  if (inc.ok()) {
    auto again = sr::log::InclusionProofFile::Parse(inc->Format());
    SR_FUZZ_CHECK(again.ok() && again->index == inc->index && again->hashes == inc->hashes &&
                  again->extra == inc->extra && again->checkpoint_note == inc->checkpoint_note);
  }
  auto con = sr::log::ConsistencyProofFile::Parse(in);
  if (con.ok()) {
    auto again = sr::log::ConsistencyProofFile::Parse(con->Format());
    SR_FUZZ_CHECK(again.ok() && again->old_size == con->old_size && again->hashes == con->hashes);
  }
  if (size >= 24) {
    std::uint64_t a, b, c;
    std::memcpy(&a, data, 8);
    std::memcpy(&b, data + 8, 8);
    std::memcpy(&c, data + 16, 8);
    std::vector<std::string> proof;
    for (std::size_t off = 24; off + 32 <= size && proof.size() < 70; off += 32) {
      proof.emplace_back(reinterpret_cast<const char*>(data) + off, 32);
    }
    std::string h(32, 'h');
    (void)sr::log::VerifyInclusion(a, b, h, proof, h);
    (void)sr::log::VerifyConsistency(a, b, proof, h, h);
    (void)sr::log::VerifySubtreeInclusion(a, b, c, h, proof, h);
    (void)sr::log::VerifySubtreeConsistency(a, b, c, proof, h, h);
  }
  return 0;
}
