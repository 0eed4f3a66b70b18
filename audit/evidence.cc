#include "audit/evidence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/encoding.h"
#include "base/hash.h"

namespace sr::audit {
namespace {

// ReadFile's rules (no symbolic link; a non-blocking open, so a FIFO never
// waits; a regular file; the size bound; a file that grows while read is
// refused) in four system calls instead of eight: replay reads the same
// objects at event after event (each refusal presents its release's policy,
// approval, provenance and evidence again), and the calls were most of its
// time beyond the hashes. O_NONBLOCK is left set: it does not change reads
// of a regular file.
Result<std::string> ReadObject(int dir_fd, const std::string& name, const std::string& path) {
  int raw = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (raw < 0) return ErrnoError("cannot open", path, errno);
  UniqueFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("'" + path + "' is not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > kMaxInputFileBytes)
    return InvalidArgument("'" + path + "' is " + std::to_string(size) +
                           " bytes; the limit for this input is " +
                           std::to_string(kMaxInputFileBytes));
  // One byte more than fstat said: reading it means the file grew.
  std::string out(static_cast<std::size_t>(size) + 1, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > size) return InvalidArgument("'" + path + "' changed while being read");
  out.resize(got);
  return out;
}

}  // namespace

EvidenceDir::EvidenceDir(std::string dir) : dir_(std::move(dir)) {
  int raw = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw >= 0) fd_ = UniqueFd(raw);
}

Result<std::string> EvidenceDir::Get(std::string_view sha256_hex) const {
  if (!IsSha256Hex(sha256_hex))
    return InvalidArgument("evidence name '" + std::string(sha256_hex.substr(0, 80)) +
                           "' is not a lower-case hex SHA-256 digest");
  // A SHA-256 hex name: no '/' or "..", so openat stays in the directory.
  std::string name(sha256_hex);
  std::string path = JoinPath(dir_, name);
  auto bytes =
      fd_.get() >= 0 ? ReadObject(fd_.get(), name, path) : ReadFile(path, kMaxInputFileBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound)
      return NotFound("evidence object " + name + " is not in " + dir_);
    return bytes.status();
  }
  if (Sha256Hex(*bytes) != sha256_hex)
    return DataLoss("evidence object " + path + " does not hash to its name: it was altered");
  return std::move(bytes).value();
}

}  // namespace sr::audit
