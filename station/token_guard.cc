#include "station/token_guard.h"

#include <dirent.h>
#include <sys/stat.h>

#include "base/file.h"

namespace sr {
namespace {

constexpr std::string_view kTokenObject = "token.object";
constexpr std::uint64_t kMaxTokenObjectBytes = 1 << 20;

Result<std::vector<std::string>> TokenFolders(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoError("cannot list", dir, errno);
  while (dirent* e = ::readdir(d)) {
    std::string n(e->d_name);
    if (n == "." || n == "..") continue;
    struct stat st;
    if (::lstat(JoinPath(dir, n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

// SoftHSMv2's object files start with a 64-bit generation counter it bumps
// at every write (every login); the copy only needs refreshing (a write and
// two fsyncs) when anything after it changed.
bool SameToken(std::string_view a, std::string_view b) {
  constexpr std::size_t kGeneration = 8;
  return a.size() == b.size() && a.size() > kGeneration &&
         a.substr(kGeneration) == b.substr(kGeneration);
}

}  // namespace

Result<std::vector<std::string>> GuardTokenObjects(const std::string& tokens_dir,
                                                   const std::string& backup_dir) {
  std::vector<std::string> restored;
  SR_ASSIGN_OR_RETURN(std::vector<std::string> folders, TokenFolders(tokens_dir));
  SR_RETURN_IF_ERROR(MakeDirs(backup_dir, 0700));
  for (const std::string& f : folders) {
    std::string object = JoinPath(JoinPath(tokens_dir, f), kTokenObject);
    std::string copy = JoinPath(backup_dir, f + ".token.object");
    if (!PathExists(object)) continue;  // a folder SoftHSMv2 has not initialized
    SR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(object, kMaxTokenObjectBytes));
    if (!bytes.empty()) {
      auto kept = ReadFile(copy, kMaxTokenObjectBytes);
      if (!kept.ok() || !SameToken(*kept, bytes))
        SR_RETURN_IF_ERROR(WriteFileAtomic(copy, bytes, 0600));
      continue;
    }
    auto kept = ReadFile(copy, kMaxTokenObjectBytes);
    if (!kept.ok() || kept->empty()) {
      return DataLoss("token file " + object +
                      " is empty (a process was killed while SoftHSMv2 rewrote it) and the "
                      "station has no copy of it in " +
                      backup_dir);
    }
    SR_RETURN_IF_ERROR(WriteFileAtomic(object, *kept, 0600));
    restored.push_back(f);
  }
  return restored;
}

}  // namespace sr
