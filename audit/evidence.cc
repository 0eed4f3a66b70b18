#include "audit/evidence.h"

#include <fcntl.h>

#include "base/encoding.h"
#include "base/hash.h"

namespace sr::audit {

EvidenceDir::EvidenceDir(std::string dir, std::size_t cache_bytes, bool prefetch)
    : dir_(std::move(dir)), half_(cache_bytes / 2) {
  int raw = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw >= 0) fd_ = UniqueFd(raw);
  // Staged bytes: a few batches of the replay's jobs ahead (a release's
  // documents are a few KiB each).
  if (prefetch && fd_.valid()) {
    prefetch_ = std::make_unique<EvidencePrefetcher>(fd_.get(), 8u << 20);
    if (!prefetch_->running()) prefetch_.reset();
  }
}

EvidenceDir::~EvidenceDir() = default;  // the prefetcher stops before fd_ closes

bool EvidenceDir::prefetching() const { return prefetch_ != nullptr; }

void EvidenceDir::Prefetch(const std::vector<std::string>& names) const {
  if (!prefetch_) return;
  std::vector<std::string> wanted;
  wanted.reserve(names.size());
  {
    std::lock_guard lock(mu_);
    for (const std::string& n : names)
      if (IsSha256Hex(n) && !newer_.count(n) && !older_.count(n)) wanted.push_back(n);
  }
  if (!wanted.empty()) prefetch_->Want(wanted);
}

Result<EvidenceDir::Bytes> EvidenceDir::ReadAndCheck(std::string_view sha256_hex) const {
  ++reads_;
  // A SHA-256 hex name: no '/' or "..", so openat stays in the directory.
  std::string name(sha256_hex);
  if (prefetch_) {
    // Read ahead: used only if it is the object (the name is its hash);
    // anything else is read again below, under ReadFile's rules, and
    // reported as it is now.
    if (std::optional<std::string> ahead = prefetch_->Take(name);
        ahead && Sha256Hex(*ahead) == sha256_hex) {
      ++prefetched_;
      return std::make_shared<const std::string>(std::move(*ahead));
    }
  }
  std::string path = JoinPath(dir_, name);
  auto bytes =
      fd_.get() >= 0 ? ReadFileAt(fd_.get(), name, path) : ReadFile(path, kMaxInputFileBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound)
      return NotFound("evidence object " + name + " is not in " + dir_);
    return bytes.status();
  }
  if (Sha256Hex(*bytes) != sha256_hex)
    return DataLoss("evidence object " + path + " does not hash to its name: it was altered");
  return std::make_shared<const std::string>(std::move(bytes).value());
}

Result<EvidenceDir::Bytes> EvidenceDir::GetShared(std::string_view sha256_hex, bool* read) const {
  if (read) *read = false;
  if (!IsSha256Hex(sha256_hex))
    return InvalidArgument("evidence name '" + std::string(sha256_hex.substr(0, 80)) +
                           "' is not a lower-case hex SHA-256 digest");
  auto answer = [](const Entry& e) -> Result<Bytes> {
    if (e.bytes) return e.bytes;
    return e.status;
  };
  if (half_ > 0) {
    std::lock_guard lock(mu_);
    if (auto it = newer_.find(sha256_hex); it != newer_.end()) {
      ++reused_;
      return answer(it->second);
    }
    if (auto it = older_.find(sha256_hex); it != older_.end()) {
      ++reused_;
      Result<Bytes> r = answer(it->second);
      // Still in use: kept into the next generation.
      if (newer_bytes_ + it->second.cost <= half_) {
        newer_bytes_ += it->second.cost;
        newer_.insert(older_.extract(it));
      }
      return r;
    }
  }
  if (read) *read = true;
  Result<Bytes> r = ReadAndCheck(sha256_hex);
  if (half_ == 0) return r;
  Entry e;
  if (r.ok())
    e.bytes = *r;
  else
    e.status = r.status();
  e.cost = (e.bytes ? e.bytes->size() : e.status.message().size()) + sha256_hex.size() + 128;
  const std::size_t cost = e.cost;
  if (cost > half_) return r;  // too large to keep: read again when presented again
  std::lock_guard lock(mu_);
  if (newer_bytes_ + cost > half_) {
    older_ = std::move(newer_);
    newer_ = Map();
    newer_bytes_ = 0;
  }
  if (newer_.try_emplace(std::string(sha256_hex), std::move(e)).second) newer_bytes_ += cost;
  return r;
}

Result<std::string> EvidenceDir::Get(std::string_view sha256_hex) const {
  SR_ASSIGN_OR_RETURN(Bytes b, GetShared(sha256_hex));
  return *b;
}

}  // namespace sr::audit
