// Hashing a session's artifacts while the HSM comes up.
//
// A sign spends its first milliseconds loading the PKCS#11 module and
// logging in to two tokens, work that does not need the artifacts' digests;
// hashing them (the other large cost of a sign) needs nothing from the HSM.
// ArtifactPrehash starts a thread that takes the SHA-256 of each artifact as
// soon as the command line is read, and the session takes the results where
// it would have hashed the files itself (signing_prepare.cc). Nothing else
// changes: the digests are those HashFile computes, a file that cannot be
// read gives the same error, and a file is hashed once whichever thread gets
// to it first.
//
// Left to the session itself (Take returns nullopt): files of 64 MiB or more,
// which are hashed with a progress bar on a terminal, and anything needing
// more than SHA-256 (an Ed25519 key signs the bytes, a P-384 key a SHA-384
// digest), which only the key says.
#ifndef STRONGROOM_SIGNER_ARTIFACT_PREHASH_H_
#define STRONGROOM_SIGNER_ARTIFACT_PREHASH_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/hash.h"
#include "base/status.h"

namespace sr::signer {

class ArtifactPrehash {
 public:
  // Files at least this large are left to the session (progress bar).
  static constexpr std::uint64_t kMaxBytes = std::uint64_t{64} << 20;

  // Starts one thread hashing the files of paths in order (a path given
  // twice is hashed once).
  explicit ArtifactPrehash(const std::vector<std::string>& paths);
  // Stops starting new files and waits for the one in hand (thread_, a
  // std::jthread declared last: stop requested and joined before the slots go).
  ~ArtifactPrehash() = default;
  ArtifactPrehash(const ArtifactPrehash&) = delete;
  ArtifactPrehash& operator=(const ArtifactPrehash&) = delete;

  // HashFile(path, false)'s result for path: waits for it if the thread is
  // hashing it, hashes it on the calling thread if the thread has not got to
  // it yet. nullopt for a path not given, or left to the session (too large).
  // Thread-safe.
  std::optional<Result<FileDigests>> Take(const std::string& path);

 private:
  enum State : int { kPending, kHashing, kDone };
  struct Slot {
    std::string path;
    std::atomic<int> state{kPending};
    std::optional<Result<FileDigests>> result;  // set before state becomes kDone
  };
  // Hashes slot i unless another thread has claimed it.
  void Claim(std::size_t i);

  std::vector<std::unique_ptr<Slot>> slots_;
  std::map<std::string, std::size_t> index_;  // path -> slot; fixed after construction
  std::mutex mu_;
  std::condition_variable done_;
  std::jthread thread_;  // last: joined first
};

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_ARTIFACT_PREHASH_H_
