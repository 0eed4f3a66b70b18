// Read-only access to a station's evidence store (STATION/evidence/, written
// by the signing session: docs/formats.md "Evidence store"): objects named by
// the lower-case hex SHA-256 of their bytes. The auditor's reader: it never
// writes, and every object read is checked against its name.
// Thread-safe (the directory name and a descriptor of it, read-only).
#ifndef STRONGROOM_AUDIT_EVIDENCE_H_
#define STRONGROOM_AUDIT_EVIDENCE_H_

#include <string>
#include <string_view>

#include "base/file.h"
#include "base/status.h"

namespace sr::audit {

class EvidenceDir {
 public:
  // Opens the directory once, so each object is read relative to it; if it
  // cannot be opened, each Get says why.
  explicit EvidenceDir(std::string dir);
  // The object named sha256_hex: kNotFound when absent, kDataLoss when its
  // bytes no longer hash to its name (altered), kInvalidArgument for a name
  // that is not a SHA-256 hex digest, or an object that is not a regular
  // file, is a symbolic link, is above kMaxInputFileBytes or grows while
  // read (base/file.h ReadFile's rules).
  Result<std::string> Get(std::string_view sha256_hex) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  UniqueFd fd_;  // the directory; -1 when it could not be opened
};

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_EVIDENCE_H_
