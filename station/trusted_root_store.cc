#include "station/trusted_root_store.h"

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "policy/sigstore.h"
#include "station/layout.h"

namespace sr {
namespace {

using policy::Failure;
using policy::Reason;

Result<std::string> ReadChecked(std::string_view path, std::string_view sha256_hex) {
  SR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, policy::kMaxTrustedRootBytes));
  if (Sha256Hex(bytes) != sha256_hex)
    return DataLoss("the trusted root '" + std::string(path) +
                    "' does not match its digest: it was altered");
  return bytes;
}

}  // namespace

std::optional<Failure> CheckTrustedRootForPolicy(const policy::LoadedPolicy& candidate,
                                                 const std::optional<std::string>& given,
                                                 std::string_view given_name, bool stored) {
  const std::string& named = candidate.policy.sigstore_trusted_root_sha256();
  const std::string name(given_name);
  if (named.empty()) {
    if (!given) return std::nullopt;
    return Failure{Reason::kRequestMalformed, "trusted_root",
                   "--trusted-root " + name +
                       " was given, but the policy names no trusted root "
                       "(sigstore_trusted_root_sha256 is empty): set it to the file's SHA-256 "
                       "(" +
                       Sha256Hex(*given) +
                       ") and have the policy signed again, or leave "
                       "--trusted-root out"};
  }
  if (!given) {
    if (stored) return std::nullopt;
    return Failure{Reason::kTrustedRootMissing, "trusted_root",
                   "the policy names the Sigstore trusted root " + named +
                       " (sigstore_trusted_root_sha256), which the station does not hold: give "
                       "it with --trusted-root FILE (docs/policy.md, \"Keyless builders\")"};
  }
  std::string digest = Sha256Hex(*given);
  if (digest != named)
    return Failure{Reason::kTrustedRootMissing, "trusted_root",
                   "--trusted-root " + name + " has SHA-256 " + digest +
                       ", but the policy names the trusted root " + named +
                       " (sigstore_trusted_root_sha256): bring the file the policy was signed "
                       "for"};
  auto parsed = policy::TrustedRoot::Parse(*given, name);
  if (!parsed.ok()) {
    Failure f = parsed.failure();
    f.input = "trusted_root";
    f.message = "--trusted-root " + name + " is not a usable Sigstore trusted root: " + f.message;
    return f;
  }
  return std::nullopt;
}

Result<std::string> StoreTrustedRoot(std::string_view station_dir, std::string_view bytes) {
  std::string dir = layout::EvidenceDir(station_dir);
  SR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::string name = Sha256Hex(bytes);
  std::string path = JoinPath(dir, name);
  Status s = WriteFileAtomic(path, bytes, 0444, /*exclusive=*/true);
  if (s.code() == Code::kAlreadyExists) {  // stored by an earlier install: check it
    SR_ASSIGN_OR_RETURN(std::string existing, ReadChecked(path, name));
    return name;
  }
  SR_RETURN_IF_ERROR(s);
  return name;
}

bool HasTrustedRoot(std::string_view station_dir, std::string_view sha256_hex) {
  if (!IsSha256Hex(sha256_hex)) return false;
  return ReadChecked(JoinPath(layout::EvidenceDir(station_dir), sha256_hex), sha256_hex).ok();
}

Result<std::string> ReadTrustedRoot(std::string_view station_dir,
                                    const strongroom::v1::TrustPolicy& policy) {
  const std::string& named = policy.sigstore_trusted_root_sha256();
  if (named.empty()) return std::string();
  if (!IsSha256Hex(named))
    return InvalidArgument("the policy's sigstore_trusted_root_sha256 '" + named +
                           "' is not a lower-case hex SHA-256 digest");
  std::string path = JoinPath(layout::EvidenceDir(station_dir), named);
  if (!PathExists(path))
    return NotFound("the trusted root " + named + " the policy names is not in " +
                    layout::EvidenceDir(station_dir) +
                    ": install the policy again with --trusted-root FILE");
  return ReadChecked(path, named);
}

}  // namespace sr
