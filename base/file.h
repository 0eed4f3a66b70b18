// File primitives every module uses: bounded reads that refuse symbolic links,
// atomic replacement (temp + fsync + rename + fsync dir), and a cross-process
// lock. All descriptors are O_CLOEXEC.
#ifndef STRONGROOM_BASE_FILE_H_
#define STRONGROOM_BASE_FILE_H_

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace sr {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// Default bound on any input file we parse (policy, approval, provenance...).
inline constexpr std::uint64_t kMaxInputFileBytes = 16u << 20;

// Reads a whole regular file of at most max_bytes (OpenReadOnly: refuses
// symbolic links, FIFOs, directories and devices without blocking); the error
// names the path.
Result<std::string> ReadFile(std::string_view path, std::uint64_t max_bytes = kMaxInputFileBytes);

// ReadFile's rules for the file `name` in the directory open as dir_fd, in
// four system calls instead of eight (openat; the descriptor keeps
// O_NONBLOCK, as OpenReadOnlyNonBlocking's does): for readers of many small
// files in one directory, e.g. audit replay's evidence objects. `path` is the name
// errors give.
Result<std::string> ReadFileAt(int dir_fd, std::string_view name, std::string_view path,
                               std::uint64_t max_bytes = kMaxInputFileBytes);

// Opens an existing regular file read-only (O_NOFOLLOW|O_CLOEXEC) without
// ever blocking: a FIFO, device, socket or directory is refused by kind
// (kInvalidArgument naming the path and what it is), a symbolic link too.
// The descriptor returned is in blocking mode. When st is given it receives
// the open file's fstat, so that callers need not ask again.
Result<UniqueFd> OpenReadOnly(std::string_view path, struct stat* st = nullptr);
// OpenReadOnly, but the descriptor keeps O_NONBLOCK (two system calls fewer
// a file: F_GETFL, F_SETFL), for a caller that only read()s the regular file
// to its end, e.g. HashFile over a release's thousand artifacts. On Linux
// the flag does not change such reads (checked on ext4 with the file's pages
// evicted: no EAGAIN), and an error would be reported, never a short file.
Result<UniqueFd> OpenReadOnlyNonBlocking(std::string_view path, struct stat* st = nullptr);

// Writes data to path atomically: a temp file in the same directory, fsync,
// rename over path, fsync of the directory. Readers see the old or the new
// content, never a mix. If exclusive, fails with kAlreadyExists when path exists.
// With durable=false the two fsyncs are left to a later SyncFilesystem, so
// that many files cost one flush (still atomic for readers, not yet durable).
Status WriteFileAtomic(std::string_view path, std::string_view data, unsigned mode = 0644,
                       bool exclusive = false, bool durable = true);

// syncfs(2) of the file system holding path: every file and directory
// written there so far is durable when it returns (one device flush for many
// files, where fsync per file would flush once each).
Status SyncFilesystem(std::string_view path);

// Writes all of data to fd, retrying short writes and EINTR.
Status WriteAll(int fd, std::string_view data, std::string_view what);
// Reads exactly n bytes at offset (pread); kDataLoss on a short read.
Status ReadExactAt(int fd, std::uint64_t offset, char* buf, std::size_t n, std::string_view what);

Status FsyncDir(std::string_view dir);
// mkdir -p with the given mode for created directories.
Status MakeDirs(std::string_view path, unsigned mode = 0700);
bool PathExists(std::string_view path);
std::string JoinPath(std::string_view a, std::string_view b);
std::string DirName(std::string_view path);
// The last component of path (all of it when it has no '/').
std::string BaseName(std::string_view path);

// Space held on a file system for writes that must not fail for lack of it
// (the log event of something already done in an HSM, which cannot be taken
// back by deleting a file): a file of `bytes` allocated with posix_fallocate
// at path, given back by Release() (unlink) just before those writes, or on
// destruction. Make fails (kIo, naming ENOSPC) when the space is not there,
// before anything is started. Holds on any file system that allocates on
// fallocate (ext4, xfs, tmpfs); a copy-on-write one (btrfs) may still run out.
class SpaceReservation {
 public:
  static Result<SpaceReservation> Make(std::string_view path, std::uint64_t bytes);
  SpaceReservation(SpaceReservation&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  SpaceReservation& operator=(SpaceReservation&&) = delete;
  SpaceReservation(const SpaceReservation&) = delete;
  ~SpaceReservation();
  // Frees the space (unlinks the file); idempotent.
  Status Release();

 private:
  explicit SpaceReservation(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Bytes available to an unprivileged writer on the file system holding path
// (statvfs f_bavail * f_frsize).
Result<std::uint64_t> FreeBytes(std::string_view path);

// An exclusive advisory lock (flock) on a lock file, held until destruction.
// Used to serialize HSM use and log appends across processes.
class FileLock {
 public:
  // Blocks until the lock is held when wait is true; otherwise fails with
  // kUnavailable naming the lock file when another process holds it.
  static Result<FileLock> Acquire(std::string_view path, bool wait = true);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace sr

#endif  // STRONGROOM_BASE_FILE_H_
