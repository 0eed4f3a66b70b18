#include "signer/output_staging.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <system_error>
#include <thread>

#include "base/encoding.h"
#include "base/file.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/reader.h"
#include "log/record.h"
#include "signer/evidence_store.h"
#include "station/layout.h"
#include "station/log_state.h"

namespace sr::signer {
namespace v1 = strongroom::v1;
using release::OutputFile;

namespace {

// From this many output files on, Commit fills them on two threads.
constexpr std::size_t kParallelFillFrom = 64;

bool IsEmptyDir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return false;
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    if (n != "." && n != "..") empty = false;
  }
  ::closedir(d);
  return empty;
}

std::string RandomSuffix() {
  unsigned char b[6];
  if (RAND_bytes(b, sizeof b) != 1) return "0";
  return HexEncode(std::string_view(reinterpret_cast<char*>(b), sizeof b));
}

}  // namespace

Status CheckOutputDirFree(std::string_view out) {
  std::string o(out);
  if (o.empty()) return InvalidArgument("no output directory given");
  if (PathExists(o) && !IsEmptyDir(o))
    return Status(Code::kAlreadyExists, "output directory '" + o +
                                            "' exists and is not empty; refusing to overwrite "
                                            "the outputs of another signing");
  return Status::Ok();
}

Result<std::unique_ptr<OutputStaging>> OutputStaging::Create(
    std::string_view out_in, const std::vector<std::string>& names) {
  std::string out(out_in);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  SR_RETURN_IF_ERROR(CheckOutputDirFree(out));
  std::string parent = DirName(out);
  SR_RETURN_IF_ERROR(MakeDirs(parent, 0755));
  std::string base = out.substr(out.rfind('/') + 1);
  std::string staging = JoinPath(parent, "." + base + ".partial." + RandomSuffix());
  if (::mkdir(staging.c_str(), 0755) != 0 || ::chmod(staging.c_str(), 0755) != 0)
    return ErrnoError("cannot create staging directory", staging, errno);
  std::unique_ptr<OutputStaging> st(new OutputStaging(out, parent, staging));
  int dir_fd = ::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoError("cannot open", staging, errno);
  st->dir_ = UniqueFd(dir_fd);
  for (const std::string& name : names) {
    std::string path = JoinPath(staging, name);
    if (!st->names_.insert(name).second) return Internal("output file " + name + " named twice");
    int fd =
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("cannot create", path, errno);
    UniqueFd guard(fd);
    // Outputs are public and leave the station: readable whatever the umask.
    if (::fchmod(fd, 0644) != 0) return ErrnoError("cannot chmod", path, errno);
  }
  return st;
}

OutputStaging::~OutputStaging() {
  if (committed_) return;
  if (dir_.valid())
    for (const std::string& name : names_) ::unlinkat(dir_.get(), name.c_str(), 0);
  ::rmdir(staging_.c_str());
}

Status OutputStaging::Commit(const std::vector<OutputFile>& files,
                             const std::function<void()>& after_first) {
  if (committed_) return FailedPrecondition("the outputs in " + out_ + " are already written");
  std::vector<std::string_view> given;
  given.reserve(files.size());
  for (const OutputFile& f : files) given.push_back(f.name);
  std::sort(given.begin(), given.end());
  if (given.size() != names_.size() || !std::equal(given.begin(), given.end(), names_.begin()))
    return Internal("the outputs do not match the files prepared for them");
  // Files [from, to) filled in order; the first failure stops the range.
  auto fill = [&](std::size_t from, std::size_t to) -> Status {
    for (std::size_t i = from; i < to; ++i) {
      int fd = ::openat(dir_.get(), files[i].name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return ErrnoError("cannot open", JoinPath(staging_, files[i].name), errno);
      UniqueFd guard(fd);
      SR_RETURN_IF_ERROR(WriteAll(fd, files[i].bytes, JoinPath(staging_, files[i].name)));
    }
    return Status::Ok();
  };
  if (!files.empty()) {
    SR_RETURN_IF_ERROR(fill(0, 1));
    if (after_first) after_first();
  }
  // A large release's files (open, write, close each: a thousand triples of
  // system calls on the critical path of a sign) are filled by two threads,
  // each half in order; the error reported is the first file's that failed in
  // the list, as when filled by one. The sync below waits for both halves.
  const std::size_t n = files.size();
  const std::size_t mid = n < kParallelFillFrom ? n : 1 + (n - 1) / 2;
  Status second = Status::Ok();
  std::jthread helper;
  if (mid < n) {
    try {
      helper = std::jthread([&] { second = fill(mid, n); });
    } catch (const std::system_error&) {
      second = fill(mid, n);  // no thread to be had: this one does both halves
    }
  }
  Status first = fill(std::min<std::size_t>(1, n), mid);
  if (helper.joinable()) helper.join();
  SR_RETURN_IF_ERROR(first);
  SR_RETURN_IF_ERROR(second);
  // Every file and the staging directory durable before the name appears.
  SR_RETURN_IF_ERROR(SyncFilesystem(staging_));
  // rename(2) replaces an empty directory atomically and fails on a full one.
  if (::rename(staging_.c_str(), out_.c_str()) != 0) {
    int err = errno;
    return ErrnoError("cannot move the outputs into place", out_, err);
  }
  committed_ = true;
  return FsyncDir(parent_);
}

Status WriteOutputDir(std::string_view out, const std::vector<OutputFile>& files,
                      const std::function<void()>& after_first) {
  std::vector<std::string> names;
  for (const OutputFile& f : files) names.push_back(f.name);
  SR_ASSIGN_OR_RETURN(std::unique_ptr<OutputStaging> staging, OutputStaging::Create(out, names));
  return staging->Commit(files, after_first);
}

Result<bool> NeedsCheckpointFirst(std::string_view station_dir, std::uint64_t index) {
  std::string log_dir = layout::LogDir(station_dir);
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  SR_ASSIGN_OR_RETURN(std::string note, reader.CheckpointNote());
  SR_ASSIGN_OR_RETURN(std::string vkey, ReadFile(JoinPath(log_dir, log::kVkeyFile), 4096));
  SR_ASSIGN_OR_RETURN(log::NoteVerifier verifier, log::NoteVerifier::Parse(vkey));
  auto cp = log::OpenCheckpoint(note, verifier);
  if (!cp.ok()) return cp.status().Annotate("the log's stored checkpoint");
  if (index < cp->size) return false;
  SR_ASSIGN_OR_RETURN(std::uint64_t durable, reader.DurableSize());
  if (index < durable) return true;
  return NotFound("event " + std::to_string(index) + " is not in the log (" +
                  std::to_string(durable) + " events)");
}

Result<std::vector<OutputFile>> ReissueOutputs(std::string_view station_dir, std::uint64_t index,
                                               std::string_view attestation_key_pem) {
  std::string log_dir = layout::LogDir(station_dir);
  SR_ASSIGN_OR_RETURN(v1::Event ev, ReadEventAt(log_dir, index));
  if (ev.kind() != v1::EVENT_KIND_SIGNING)
    return InvalidArgument("event " + std::to_string(index) + " is a " +
                           v1::EventKind_Name(ev.kind()) + " event, not a SIGNING event");
  SR_ASSIGN_OR_RETURN(EvidenceStore store, EvidenceStore::Open(layout::EvidenceDir(station_dir)));
  SR_ASSIGN_OR_RETURN(std::string manifest, store.Get(ev.signing().manifest_sha256()));
  SR_ASSIGN_OR_RETURN(std::string vsa, store.Get(ev.signing().vsa_sha256()));
  SR_ASSIGN_OR_RETURN(log::InclusionProofFile proof, log::ProveInclusion(log_dir, index));
  return release::AssembleOutputs(ev, manifest, vsa, proof.Format(), attestation_key_pem);
}

}  // namespace sr::signer
