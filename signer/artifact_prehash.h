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
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
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

  // HashFile(path, false)'s result for path. If it is not ready, the calling
  // thread hashes the next files nobody has started (in order, up to and
  // including path when nobody has started it), and waits only when path is
  // in another thread's hands and no file is left to start. nullopt for a
  // path not given, or left to the session (too large). Thread-safe.
  std::optional<Result<FileDigests>> Take(const std::string& path);

 private:
  struct Slot {
    std::string path;
    std::atomic<bool> done{false};
    std::optional<Result<FileDigests>> result;  // set before done becomes true
  };
  // Hashes the next file nobody has started; false when none is left.
  bool HashNext();

  // Threads hand files over through next_ (each index is claimed by exactly
  // one thread, which always finishes it) and each slot's done flag, without
  // a lock; the mutex and condition variable are used only by a taker that
  // has nothing left to start and must wait for a file in another thread's
  // hands (waiters_ > 0), so a session of many files makes a handful of
  // futex calls, not two a file.
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unordered_map<std::string, std::size_t> index_;  // path -> slot; fixed after construction
  std::atomic<std::size_t> next_{0};
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable done_;
  std::jthread thread_;  // last: joined first
};

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_ARTIFACT_PREHASH_H_
