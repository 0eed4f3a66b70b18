#include "audit/evidence.h"

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"

namespace sr::audit {

Result<std::string> EvidenceDir::Get(std::string_view sha256_hex) const {
  if (!IsSha256Hex(sha256_hex))
    return InvalidArgument("evidence name '" + std::string(sha256_hex.substr(0, 80)) +
                           "' is not a lower-case hex SHA-256 digest");
  std::string path = JoinPath(dir_, sha256_hex);
  auto bytes = ReadFile(path, kMaxInputFileBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound)
      return NotFound("evidence object " + std::string(sha256_hex) + " is not in " + dir_);
    return bytes.status();
  }
  if (Sha256Hex(*bytes) != sha256_hex)
    return DataLoss("evidence object " + path + " does not hash to its name: it was altered");
  return std::move(bytes).value();
}

}  // namespace sr::audit
