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

#include "base/openssl_ptr.h"
#include "base/status.h"

namespace sr {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 and SHA-384 fetched from OpenSSL once per process. OpenSSL 3 looks
// EVP_sha256() up again, under a process-wide lock, at every use (thousands
// of times in a 1,000-artifact session); a fetched digest is used as is.
const EVP_MD* Sha256Md();
const EVP_MD* Sha384Md();

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
  MdCtxPtr ctx_;
};

// Called with (bytes done, total bytes) while hashing a file.
using ProgressFn = std::function<void(std::uint64_t, std::uint64_t)>;

// Streams a regular file (no symbolic links) through SHA-256 in a fixed-size
// buffer; memory use does not depend on the file size.
Result<Sha256Digest> Sha256File(std::string_view path, const ProgressFn& progress = nullptr);

// The largest read HashFile makes, and so its buffer: a file is hashed in
// pieces of at most this size.
inline constexpr std::uint64_t kHashChunkBytes = std::uint64_t{64} << 10;

// The digests a signature over a file needs, from one streaming pass.
struct FileDigests {
  std::string sha256;  // 32 raw bytes
  std::string sha384;  // 48 raw bytes, only when asked for
  std::uint64_t size = 0;
};
// Like Sha256File, also computing SHA-384 in the same pass when with_sha384
// (ECDSA P-384 signs a SHA-384 digest), so each file is read exactly once.
Result<FileDigests> HashFile(std::string_view path, bool with_sha384,
                             const ProgressFn& progress = nullptr);
// HashFile's pass over a file already open (OpenReadOnly) whose fstat said
// `size` bytes; reads from the descriptor's current offset to its end. For
// callers that look at the file's kind or size before hashing it, without a
// second open.
Result<FileDigests> HashOpenFile(int fd, std::uint64_t size, std::string_view path,
                                 bool with_sha384, const ProgressFn& progress = nullptr);

}  // namespace sr

#endif  // STRONGROOM_BASE_HASH_H_
