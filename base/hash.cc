#include "base/hash.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"

namespace sr {
namespace {

// A digest that fails means this process's libcrypto cannot hash: a value
// returned anyway could only be garbage (an uninitialized buffer), and
// nothing computed after could be trusted. Stop, loudly.
[[noreturn]] void DigestFailed(const char* what) {
  std::fprintf(stderr, "strongroom: fatal: OpenSSL failed to compute %s; stopping\n", what);
  std::abort();
}

}  // namespace

const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

const EVP_MD* Sha384Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  return md != nullptr ? md : EVP_sha384();
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest d;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), d.data(), &len, Sha256Md(), nullptr) != 1 ||
      len != d.size())
    DigestFailed("a SHA-256 digest");
  return d;
}

std::string DigestToString(const Sha256Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string Sha256Bytes(std::string_view data) { return DigestToString(Sha256(data)); }
std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Bytes(data)); }

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), Sha256Md(), nullptr) != 1)
    DigestFailed("a SHA-256 digest (init)");
}

void Sha256Hasher::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
    DigestFailed("a SHA-256 digest (update)");
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest d;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), d.data(), &len) != 1 || len != d.size())
    DigestFailed("a SHA-256 digest (final)");
  return d;
}

Result<FileDigests> HashFile(std::string_view path, bool with_sha384, const ProgressFn& progress) {
  struct stat st;
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenReadOnlyNonBlocking(path, &st));
  return HashOpenFile(fd.get(), static_cast<std::uint64_t>(st.st_size), path, with_sha384,
                      progress);
}

Result<FileDigests> HashOpenFile(int fd, std::uint64_t total, std::string_view path,
                                 bool with_sha384, const ProgressFn& progress) {
  // Read-ahead advice only for files that take more than one read: for a
  // small file it is a system call that changes nothing.
  if (total > kHashChunkBytes) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // Large files read in 64 KiB blocks, which stay in the CPU's cache and come
  // from the heap (a 1 MiB buffer is a fresh mapping each time, and its 256
  // page faults cost a third as much as hashing the first MiB); small files
  // in one read of about their size, into a buffer on the stack. Not
  // zero-filled: a session hashing 1,000 small artifacts would otherwise
  // spend more time clearing buffers than hashing.
  const std::size_t chunk = static_cast<std::size_t>(
      std::clamp<std::uint64_t>(total + 1, std::uint64_t{4096}, kHashChunkBytes));
  constexpr std::size_t kStackBytes = 16 << 10;
  char stack_buf[kStackBytes];
  std::unique_ptr<char[]> heap_buf(chunk > kStackBytes ? new char[chunk] : nullptr);
  char* const buf = heap_buf ? heap_buf.get() : stack_buf;
  MdCtxPtr h256(EVP_MD_CTX_new());
  MdCtxPtr h384(with_sha384 ? EVP_MD_CTX_new() : nullptr);
  if (!h256 || EVP_DigestInit_ex(h256.get(), Sha256Md(), nullptr) != 1 ||
      (with_sha384 && (!h384 || EVP_DigestInit_ex(h384.get(), Sha384Md(), nullptr) != 1))) {
    return Internal("cannot initialize a digest context");
  }
  std::uint64_t done = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path, errno);
    }
    if (n == 0) break;
    if (EVP_DigestUpdate(h256.get(), buf, static_cast<std::size_t>(n)) != 1 ||
        (h384 && EVP_DigestUpdate(h384.get(), buf, static_cast<std::size_t>(n)) != 1))
      return Internal("OpenSSL failed while hashing '" + std::string(path) + "'");
    done += static_cast<std::uint64_t>(n);
    if (progress) progress(done, total);
  }
  FileDigests out;
  out.size = done;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(h256.get(), md, &len) != 1 || len != 32)
    return Internal("OpenSSL failed to finish the SHA-256 of '" + std::string(path) + "'");
  out.sha256.assign(reinterpret_cast<char*>(md), len);
  if (h384) {
    if (EVP_DigestFinal_ex(h384.get(), md, &len) != 1 || len != 48)
      return Internal("OpenSSL failed to finish the SHA-384 of '" + std::string(path) + "'");
    out.sha384.assign(reinterpret_cast<char*>(md), len);
  }
  return out;
}

Result<Sha256Digest> Sha256File(std::string_view path, const ProgressFn& progress) {
  SR_ASSIGN_OR_RETURN(FileDigests d, HashFile(path, false, progress));
  Sha256Digest out;
  std::memcpy(out.data(), d.sha256.data(), out.size());
  return out;
}

}  // namespace sr
