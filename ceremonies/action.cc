#include "ceremonies/action.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/encoding.h"
#include "base/hash.h"

extern char** environ;

namespace sr::ceremonies {

Result<ActionResult> RunAction(const std::string& program, const std::vector<std::string>& args,
                               const std::string& dir, bool inherit_stdin, std::ostream& out) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("strongroom"));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", "", errno);
  out.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return ErrnoError("fork", "", e);
  }
  if (pid == 0) {
    // Only async-signal-safe calls until execve.
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    if (!inherit_stdin) {
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) ::dup2(null, 0);
    }
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execve(program.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  ::close(fds[1]);
  Sha256Hasher hasher;
  ActionResult r;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    hasher.Update(chunk);
    out << chunk;
    out.flush();
    r.tail.append(chunk);
    if (r.tail.size() > 2048) r.tail.erase(0, r.tail.size() - 2048);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output_sha256 = HexEncode(DigestToString(hasher.Finish()));
  return r;
}

}  // namespace sr::ceremonies
