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

namespace {

bool SameEnvelope(const policy::Envelope& a, const policy::Envelope& b) {
  if (a.payload_type != b.payload_type || a.payload != b.payload ||
      a.signatures.size() != b.signatures.size())
    return false;
  for (std::size_t i = 0; i < a.signatures.size(); ++i)
    if (a.signatures[i].keyid != b.signatures[i].keyid || a.signatures[i].sig != b.signatures[i].sig)
      return false;
  return true;
}

bool SameKeys(const std::vector<std::string>& fingerprints,
              const std::vector<policy::PublicKey>& trusted) {
  if (fingerprints.size() != trusted.size()) return false;
  for (std::size_t i = 0; i < trusted.size(); ++i)
    if (fingerprints[i] != trusted[i].fingerprint()) return false;
  return true;
}

}  // namespace

bool WorkerSignatureMemo::FindExact(const policy::Envelope& env,
                                    const std::vector<policy::PublicKey>& trusted,
                                    policy::ThresholdResult* result) {
  for (const Recent& r : recent_) {
    if (SameKeys(r.trusted, trusted) && SameEnvelope(r.env, env)) {
      *result = r.result;
      shared_.CountHit();
      return true;
    }
  }
  return false;
}

void WorkerSignatureMemo::RememberExact(const policy::Envelope& env,
                                        const std::vector<policy::PublicKey>& trusted,
                                        const policy::ThresholdResult& result) {
  Recent r{env, {}, result};
  for (const policy::PublicKey& k : trusted) r.trusted.push_back(k.fingerprint());
  if (recent_.size() < kRecent) {
    recent_.push_back(std::move(r));
  } else {
    recent_[next_] = std::move(r);
    next_ = (next_ + 1) % kRecent;
  }
}

}  // namespace sr::audit
