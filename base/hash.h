// SHA-256 over memory and, streaming in constant memory, over files.
#ifndef STRONGROOM_BASE_HASH_H_
#define STRONGROOM_BASE_HASH_H_

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sr {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// The digest as 32 raw bytes in a std::string.
std::string Sha256Bytes(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string DigestToString(const Sha256Digest& d);  // raw bytes

// Incremental SHA-256. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(std::string_view data);
  Sha256Digest Finish();

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// Called with (bytes done, total bytes) while hashing a file.
using ProgressFn = std::function<void(std::uint64_t, std::uint64_t)>;

// Streams a regular file (no symbolic links) through SHA-256 in a fixed-size
// buffer; memory use does not depend on the file size.
Result<Sha256Digest> Sha256File(std::string_view path, const ProgressFn& progress = nullptr);

}  // namespace sr

#endif  // STRONGROOM_BASE_HASH_H_
