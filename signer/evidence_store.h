// A content-addressed store of every input that justified a signature or a
// refusal (policy, approval, provenance, test evidence), kept in the station
// so an auditor can re-verify the decision years later. Objects are named by
// the lower-case hex SHA-256 of their bytes and never rewritten.
#ifndef STRONGROOM_SIGNER_EVIDENCE_STORE_H_
#define STRONGROOM_SIGNER_EVIDENCE_STORE_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::signer {

class EvidenceStore {
 public:
  // dir is created (0700) if missing. Not thread-safe; processes may share a
  // store (writes are atomic and idempotent).
  static Result<EvidenceStore> Open(std::string dir);

  // Stores bytes and returns their sha256 hex: durably (fsync) unless
  // durable is false, in which case Sync() makes every such Put durable at
  // once. Storing the same bytes twice is a no-op; an existing object whose
  // content does not match its name is reported as kDataLoss rather than
  // overwritten.
  Result<std::string> Put(std::string_view bytes, bool durable = true);
  // Makes every object stored so far durable (one file-system sync).
  Status Sync() const;
  // Reads an object back, checking that its content still matches its name.
  Result<std::string> Get(std::string_view sha256_hex) const;

  const std::string& dir() const { return dir_; }

 private:
  explicit EvidenceStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_EVIDENCE_STORE_H_
