#include "signer/evidence_store.h"

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"

namespace sr::signer {
namespace {
// Inputs are bounded on read; the store bounds what it hands back the same way.
constexpr std::uint64_t kMaxObjectBytes = kMaxInputFileBytes;
}  // namespace

Result<EvidenceStore> EvidenceStore::Open(std::string dir) {
  SR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  return EvidenceStore(std::move(dir));
}

Result<std::string> EvidenceStore::Put(std::string_view bytes, bool durable) {
  std::string name = Sha256Hex(bytes);
  std::string path = JoinPath(dir_, name);
  if (PathExists(path)) {
    SR_ASSIGN_OR_RETURN(std::string existing, Get(name));
    return name;
  }
  Status s = WriteFileAtomic(path, bytes, 0444, /*exclusive=*/true, durable);
  if (s.code() == Code::kAlreadyExists) {  // a concurrent writer stored it first
    SR_ASSIGN_OR_RETURN(std::string existing, Get(name));
    return name;
  }
  SR_RETURN_IF_ERROR(s);
  return name;
}

Status EvidenceStore::Sync() const { return SyncFilesystem(dir_); }

Result<std::string> EvidenceStore::Get(std::string_view sha256_hex) const {
  if (!IsSha256Hex(sha256_hex)) {
    return InvalidArgument("evidence name '" + std::string(sha256_hex) +
                           "' is not a lower-case hex SHA-256 digest");
  }
  std::string path = JoinPath(dir_, sha256_hex);
  SR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, kMaxObjectBytes));
  if (Sha256Hex(bytes) != sha256_hex) {
    return DataLoss("evidence object '" + path + "' does not match its digest: it was altered");
  }
  return bytes;
}

}  // namespace sr::signer
