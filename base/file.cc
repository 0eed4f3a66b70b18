#include "base/file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace sr {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// What a file that is not a regular file is, for the error message.
std::string_view KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The file `name` relative to dir_fd (AT_FDCWD: a path), opened read-only
// and refused unless a regular file; `path` is the name errors give.
// O_NONBLOCK: opening a FIFO or a device must never wait (a FIFO's open
// blocks until a writer comes, while the caller may hold the station and
// log locks).
Result<UniqueFd> OpenRegularAt(int dir_fd, std::string_view name, std::string_view path,
                               struct stat* st_out) {
  int raw =
      ::openat(dir_fd, std::string(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (raw < 0) return ErrnoError("cannot open", path, errno);
  UniqueFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode))
    return InvalidArgument("'" + std::string(path) + "' is " + std::string(KindOf(st.st_mode)) +
                           ", not a regular file; strongroom reads inputs only from regular " +
                           "files: copy it to a file first");
  if (st_out != nullptr) *st_out = st;
  return fd;
}

}  // namespace

Result<UniqueFd> OpenReadOnlyNonBlocking(std::string_view path, struct stat* st_out) {
  return OpenRegularAt(AT_FDCWD, path, path, st_out);
}

Result<UniqueFd> OpenReadOnly(std::string_view path, struct stat* st_out) {
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenReadOnlyNonBlocking(path, st_out));
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    return ErrnoError("cannot set blocking mode on", path, errno);
  return fd;
}

namespace {

// The whole of an open regular file whose fstat said `size` bytes, at most
// max_bytes: one byte more than fstat said is asked for, so a file that grew
// after fstat is refused rather than cut.
Result<std::string> ReadOpenFile(int fd, std::uint64_t size, std::string_view path,
                                 std::uint64_t max_bytes) {
  if (size > max_bytes) {
    return InvalidArgument("'" + std::string(path) + "' is " + std::to_string(size) +
                           " bytes; the limit for this input is " + std::to_string(max_bytes));
  }
  std::string out(static_cast<std::size_t>(size) + 1, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > size) return InvalidArgument("'" + std::string(path) + "' changed while being read");
  out.resize(got);
  return out;
}

}  // namespace

Result<std::string> ReadFile(std::string_view path, std::uint64_t max_bytes) {
  struct stat st;
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenReadOnly(path, &st));
  return ReadOpenFile(fd.get(), static_cast<std::uint64_t>(st.st_size), path, max_bytes);
}

Result<std::string> ReadFileAt(int dir_fd, std::string_view name, std::string_view path,
                               std::uint64_t max_bytes) {
  struct stat st;
  SR_ASSIGN_OR_RETURN(UniqueFd fd, OpenRegularAt(dir_fd, name, path, &st));
  return ReadOpenFile(fd.get(), static_cast<std::uint64_t>(st.st_size), path, max_bytes);
}

Status WriteAll(int fd, std::string_view data, std::string_view what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", what, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status ReadExactAt(int fd, std::uint64_t offset, char* buf, std::size_t n, std::string_view what) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", what, errno);
    }
    if (r == 0) {
      return DataLoss("'" + std::string(what) + "' ends early: wanted " + std::to_string(n) +
                      " bytes at offset " + std::to_string(offset) + ", got " +
                      std::to_string(done));
    }
    done += static_cast<std::size_t>(r);
  }
  return Status::Ok();
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string r(a);
  if (r.back() != '/') r += '/';
  r += b;
  return r;
}

std::string DirName(std::string_view path) {
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

std::string BaseName(std::string_view path) {
  auto pos = path.rfind('/');
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

bool PathExists(std::string_view path) {
  struct stat st;
  return ::lstat(std::string(path).c_str(), &st) == 0;
}

Status FsyncDir(std::string_view dir) {
  std::string d(dir);
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", dir, errno);
  UniqueFd guard(fd);
  if (::fsync(fd) != 0) return ErrnoError("cannot fsync directory", dir, errno);
  return Status::Ok();
}

Status MakeDirs(std::string_view path, unsigned mode) {
  std::string p(path);
  for (std::size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      std::string part = p.substr(0, i);
      if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) {
        return ErrnoError("cannot create directory", part, errno);
      }
    }
  }
  struct stat st;
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return InvalidArgument("'" + p + "' exists and is not a directory");
  }
  return Status::Ok();
}

Status WriteFileAtomic(std::string_view path, std::string_view data, unsigned mode, bool exclusive,
                       bool durable) {
  std::string target(path);
  if (exclusive && PathExists(target)) {
    return Status(Code::kAlreadyExists, "'" + target + "' already exists; refusing to overwrite");
  }
  unsigned char rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1) return Internal("RAND_bytes failed");
  std::string tmp = target + ".tmp.";
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : rnd) {
    tmp += kHex[c >> 4];
    tmp += kHex[c & 15];
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("cannot create", tmp, errno);
  UniqueFd guard(fd);
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && durable && ::fsync(fd) != 0) s = ErrnoError("cannot fsync", tmp, errno);
  if (s.ok() && exclusive) {
    // link() fails if the target appeared meanwhile: no overwrite race.
    if (::link(tmp.c_str(), target.c_str()) != 0) {
      s = errno == EEXIST ? Status(Code::kAlreadyExists,
                                   "'" + target + "' already exists; refusing to overwrite")
                          : ErrnoError("cannot create", target, errno);
    }
    ::unlink(tmp.c_str());
  } else if (s.ok() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    s = ErrnoError("cannot rename into place", target, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return durable ? FsyncDir(DirName(target)) : Status::Ok();
}

Status SyncFilesystem(std::string_view path) {
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  UniqueFd guard(fd);
  if (::syncfs(fd) != 0) return ErrnoError("cannot sync the file system of", path, errno);
  return Status::Ok();
}

Result<SpaceReservation> SpaceReservation::Make(std::string_view path, std::uint64_t bytes) {
  std::string p(path);
  // A reservation a crash left behind is stale: it is replaced.
  ::unlink(p.c_str());
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot reserve space with", path, errno);
  UniqueFd guard(fd);
  SpaceReservation r(p);
  int err = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (err != 0) {
    Status s = ErrnoError("cannot reserve " + std::to_string(bytes) + " bytes with", path, err);
    r.Release().IgnoreError();
    return s;
  }
  return r;
}

SpaceReservation::~SpaceReservation() { Release().IgnoreError(); }

Status SpaceReservation::Release() {
  if (path_.empty()) return Status::Ok();
  std::string p = std::move(path_);
  path_.clear();
  if (::unlink(p.c_str()) != 0 && errno != ENOENT)
    return ErrnoError("cannot remove the space reservation", p, errno);
  return Status::Ok();
}

Result<std::uint64_t> FreeBytes(std::string_view path) {
  struct statvfs st;
  if (::statvfs(std::string(path).c_str(), &st) != 0)
    return ErrnoError("cannot read the free space of", path, errno);
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

Result<FileLock> FileLock::Acquire(std::string_view path, bool wait) {
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot open lock file", path, errno);
  UniqueFd guard(fd);
  int op = LOCK_EX | (wait ? 0 : LOCK_NB);
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return Status(Code::kUnavailable, "another strongroom process holds the lock '" + p + "'");
    }
    return ErrnoError("cannot lock", path, errno);
  }
  return FileLock(std::move(guard));
}

}  // namespace sr
