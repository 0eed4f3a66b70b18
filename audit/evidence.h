// Read-only access to a station's evidence store (STATION/evidence/, written
// by the signing session: docs/formats.md "Evidence store"): objects named by
// the lower-case hex SHA-256 of their bytes. The auditor's reader: it never
// writes, and every object read is checked against its name.
// Thread-safe (no state but the directory name).
#ifndef STRONGROOM_AUDIT_EVIDENCE_H_
#define STRONGROOM_AUDIT_EVIDENCE_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::audit {

class EvidenceDir {
 public:
  explicit EvidenceDir(std::string dir) : dir_(std::move(dir)) {}
  // The object named sha256_hex: kNotFound when absent, kDataLoss when its
  // bytes no longer hash to its name (altered), kInvalidArgument for a name
  // that is not a SHA-256 hex digest. Objects are bounded like every input.
  Result<std::string> Get(std::string_view sha256_hex) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_EVIDENCE_H_
