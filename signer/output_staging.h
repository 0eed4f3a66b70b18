// Writing a release's outputs (release/outputs.h says what they are) so that
// they appear complete or not at all, and re-issuing them from a station's log
// and evidence store. Not thread-safe.
#ifndef STRONGROOM_SIGNER_OUTPUT_STAGING_H_
#define STRONGROOM_SIGNER_OUTPUT_STAGING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "release/outputs.h"

namespace sr::signer {

using release::OutputFile;

// A release's output directory in the making, so that `out` appears complete
// or not at all: a staging directory beside it (".<name>.partial.<random>")
// with every output file created empty, filled by Commit, made durable (one
// file-system sync), then renamed to `out` and the parent fsynced. `sign`
// creates it while the HSM signs (allocating a thousand inodes is the slow
// part of writing a large release on a disk) and commits it only once the
// signing event is durable; until then its files are empty. Destroyed
// uncommitted, it removes the staging directory. Not thread-safe.
class OutputStaging {
 public:
  // kAlreadyExists when out exists and is not an empty directory.
  static Result<std::unique_ptr<OutputStaging>> Create(std::string_view out,
                                                       const std::vector<std::string>& names);
  OutputStaging(const OutputStaging&) = delete;
  OutputStaging& operator=(const OutputStaging&) = delete;
  ~OutputStaging();
  // files must be exactly the names created. after_first (may be empty) runs
  // after the first file is filled (crash tests).
  Status Commit(const std::vector<OutputFile>& files, const std::function<void()>& after_first);

 private:
  OutputStaging(std::string out, std::string parent, std::string staging)
      : out_(std::move(out)), parent_(std::move(parent)), staging_(std::move(staging)) {}
  std::string out_, parent_, staging_;
  UniqueFd dir_;
  std::set<std::string> names_;
  bool committed_ = false;
};

// OutputStaging::Create and Commit in one go (`log outputs`).
Status WriteOutputDir(std::string_view out, const std::vector<OutputFile>& files,
                      const std::function<void()>& after_first = nullptr);

// kAlreadyExists when out exists and is not an empty directory (checked
// before signing, so a signature is never made for outputs that cannot be
// written).
Status CheckOutputDirFree(std::string_view out);

// Whether event `index` of a station's log must first be signed by a
// checkpoint before its outputs can be re-issued: false when the current
// checkpoint covers it; true when it is durable in the events file but after
// the checkpoint (a crash or a full disk came between the SIGNING append and
// the checkpoint; `log recover` signs it); kNotFound naming how many events
// the log holds when it is not there at all. Reads without a lock.
Result<bool> NeedsCheckpointFirst(std::string_view station_dir, std::uint64_t index);

// Re-derives the outputs of SIGNING event `index` of a station: the event
// from its log, the payloads from its evidence store, a fresh inclusion
// proof against the current checkpoint. Needs no HSM and no PIN.
Result<std::vector<OutputFile>> ReissueOutputs(std::string_view station_dir, std::uint64_t index,
                                               std::string_view attestation_key_pem);

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_OUTPUT_STAGING_H_
