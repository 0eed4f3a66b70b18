#include "audit/signature_cache.h"

namespace sr::audit {

bool SignatureCache::Find(std::string_view key, policy::ThresholdResult* result) {
  std::lock_guard lock(mu_);
  std::string k(key);
  if (auto it = newer_.find(k); it != newer_.end()) {
    *result = it->second;
    ++hits_;
    return true;
  }
  if (auto it = older_.find(k); it != older_.end()) {
    *result = it->second;
    // Still in use: kept into the next generation.
    if (newer_.size() < half_) {
      newer_.emplace(std::move(k), std::move(it->second));
      older_.erase(it);
    }
    ++hits_;
    return true;
  }
  ++misses_;
  return false;
}

void SignatureCache::Insert(std::string_view key, const policy::ThresholdResult& result) {
  std::lock_guard lock(mu_);
  if (newer_.size() >= half_) {
    older_ = std::move(newer_);
    newer_ = Map();
  }
  newer_.insert_or_assign(std::string(key), result);
}

std::size_t SignatureCache::size() const {
  std::lock_guard lock(mu_);
  return newer_.size() + older_.size();
}

}  // namespace sr::audit
