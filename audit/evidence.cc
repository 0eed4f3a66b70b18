#include "audit/evidence.h"

#include <fcntl.h>

#include "base/encoding.h"
#include "base/hash.h"

namespace sr::audit {

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
      fd_.get() >= 0 ? ReadFileAt(fd_.get(), name, path) : ReadFile(path, kMaxInputFileBytes);
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
