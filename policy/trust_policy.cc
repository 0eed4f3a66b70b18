#include "policy/trust_policy.h"

#include <google/protobuf/util/time_util.h>

#include <map>
#include <set>

#include "base/encoding.h"
#include "base/hash.h"
#include "policy/json.h"
#include "policy/lifecycle_record.h"
#include "policy/version.h"

namespace sr::policy {
namespace v1 = strongroom::v1;

Clock::time_point ToTimePoint(const google::protobuf::Timestamp& ts) {
  // The clock counts nanoseconds in 64 bits (years 1677 to 2262); a
  // Timestamp may name any second of years 1 to 9999. Times beyond the
  // clock are its ends: an expiry in 9999 never comes, a start in 9999 never
  // begins (before, the conversion overflowed).
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  constexpr std::int64_t kMax = duration_cast<seconds>(Clock::duration::max()).count();
  constexpr std::int64_t kMin = duration_cast<seconds>(Clock::duration::min()).count();
  if (ts.seconds() >= kMax) return Clock::time_point::max();
  if (ts.seconds() <= kMin) return Clock::time_point::min();
  return Clock::time_point(seconds(ts.seconds()));
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

namespace {

Failure Bad(std::string_view input, std::string msg) {
  return MakeFailure(Reason::kInputBadField, input, std::move(msg));
}

using KeyCache = std::map<std::string, PublicKey>;

// Parses every key once; the parsed keys are kept (by PEM text) for the gate.
std::optional<Failure> CheckKey(const v1::TrustedKey& k, std::string_view input,
                                const std::string& at, KeyCache* cache) {
  if (cache->count(k.public_key_pem())) return std::nullopt;
  auto pk = PublicKey::FromPem(k.public_key_pem(), at + ".publicKeyPem");
  if (!pk.ok()) return Bad(input, pk.status().message());
  cache->emplace(k.public_key_pem(), std::move(pk).value());
  return std::nullopt;
}

std::optional<Failure> CheckKeySet(const v1::KeySet& set, std::string_view input,
                                   const std::string& at, KeyCache* cache) {
  if (set.keys_size() == 0) return Bad(input, at + ".keys is empty");
  if (set.threshold() < 1 || set.threshold() > static_cast<unsigned>(set.keys_size()))
    return Bad(input, at + ".threshold must be between 1 and the number of keys (" +
                          std::to_string(set.keys_size()) + ")");
  for (int i = 0; i < set.keys_size(); ++i)
    if (auto f = CheckKey(set.keys(i), input, at + ".keys[" + std::to_string(i) + "]", cache))
      return f;
  return std::nullopt;
}

std::optional<Failure> CheckProduct(const v1::ProductPolicy& p, std::string_view input,
                                    const std::string& at, KeyCache* cache,
                                    bool keyless_root_pinned) {
  if (p.name().empty()) return Bad(input, at + ".name is empty");
  if (auto f = CheckKeySet(p.approvers(), input, at + ".approvers", cache)) return f;
  for (int i = 0; i < p.builders_size(); ++i) {
    std::string b = at + ".builders[" + std::to_string(i) + "]";
    const v1::TrustedBuilder& tb = p.builders(i);
    if (tb.id().empty()) return Bad(input, b + ".id is empty");
    if (tb.has_key() == tb.has_identity())
      return Bad(input, b + " must have exactly one of key (a builder trusted by key) and "
                            "identity (a keyless builder trusted by its Sigstore identity)");
    if (tb.has_key()) {
      if (auto f = CheckKey(tb.key(), input, b + ".key", cache)) return f;
    } else {
      const v1::KeylessIdentity& id = tb.identity();
      if (!id.issuer().starts_with("https://") || id.issuer().size() <= 8)
        return Bad(input, b + ".identity.issuer must be the OIDC issuer's https:// URL, e.g. "
                              "https://token.actions.githubusercontent.com");
      if (!id.workflow().starts_with("https://") || id.workflow().size() <= 8 ||
          id.workflow().find('@') != std::string::npos)
        return Bad(input, b + ".identity.workflow must be the https:// URI of the builder's "
                              "workflow without the @ref, e.g. https://github.com/OWNER/REPO/"
                              ".github/workflows/release.yml");
      if (id.allowed_refs_size() == 0)
        return Bad(input, b + ".identity.allowedRefs is empty: name at least one ref (exact, or "
                              "a prefix ending in *, e.g. refs/tags/v*)");
      for (const std::string& ref : id.allowed_refs())
        if (ref.empty()) return Bad(input, b + ".identity.allowedRefs has an empty entry");
      if (!keyless_root_pinned)
        return Bad(input, b + " is trusted by identity, so the policy must pin the Sigstore "
                              "trusted root its bundles are verified against: set "
                              "sigstoreTrustedRootSha256 to the SHA-256 of trusted_root.json");
    }
    if (tb.slsa_build_level() > 3)
      return Bad(input, b + ".slsaBuildLevel must be 0 (not asserted) or 1 to 3");
  }
  for (int i = 0; i < p.test_labs_size(); ++i)
    if (auto f =
            CheckKey(p.test_labs(i), input, at + ".testLabs[" + std::to_string(i) + "]", cache))
      return f;
  for (int i = 0; i < p.record_signers_size(); ++i) {
    std::string r = at + ".recordSigners[" + std::to_string(i) + "]";
    if (auto f = CheckKey(p.record_signers(i).key(), input, r + ".key", cache)) return f;
    if (std::string m = RecordSignerProblem(p.record_signers(i)); !m.empty())
      return Bad(input, r + "." + m);
  }
  for (int i = 0; i < p.product_security_size(); ++i)
    if (auto f = CheckKey(p.product_security(i), input,
                          at + ".productSecurity[" + std::to_string(i) + "]", cache))
      return f;
  for (const std::string& kind : p.required_documents())
    if (kind.empty()) return Bad(input, at + ".requiredDocuments has an empty kind");
  return std::nullopt;
}

std::optional<Failure> CheckAuthorization(const v1::KeyAuthorization& a, std::string_view input,
                                          const std::string& at) {
  if (a.id().empty()) return Bad(input, at + ".id is empty");
  if (!IsSha256Hex(a.key_fingerprint()))
    return Bad(input, at + ".keyFingerprint must be 64 lower-case hex digits");
  if (a.product().empty()) return Bad(input, at + ".product is empty");
  if (!IsValidVersion(a.min_version()))
    return Bad(input, at + ".minVersion is not a dotted version");
  if (!a.max_version().empty() && !IsValidVersion(a.max_version()))
    return Bad(input, at + ".maxVersion is not a dotted version");
  if (!a.has_not_before() || !a.has_not_after())
    return Bad(input, at + " needs notBefore and notAfter");
  if (a.purpose().empty()) return Bad(input, at + ".purpose is empty");
  return std::nullopt;
}

std::optional<Failure> Validate(const v1::TrustPolicy& p, std::string_view input, KeyCache* cache) {
  if (p.version() < 1) return Bad(input, "version must be >= 1");
  if (!p.has_expires())
    return MakeFailure(Reason::kInputMissingField, input, "missing field expires");
  if (auto f = CheckKeySet(p.governance(), input, "governance", cache)) return f;
  if (!p.sigstore_trusted_root_sha256().empty() && !IsSha256Hex(p.sigstore_trusted_root_sha256()))
    return Bad(input, "sigstoreTrustedRootSha256 must be 64 lower-case hex digits");
  std::set<std::string> names;
  for (int i = 0; i < p.products_size(); ++i) {
    if (auto f = CheckProduct(p.products(i), input, "products[" + std::to_string(i) + "]", cache,
                              !p.sigstore_trusted_root_sha256().empty()))
      return f;
    if (!names.insert(p.products(i).name()).second)
      return Bad(input, "product \"" + p.products(i).name() + "\" is listed twice");
  }
  for (int i = 0; i < p.key_authorizations_size(); ++i) {
    std::string at = "keyAuthorizations[" + std::to_string(i) + "]";
    if (auto f = CheckAuthorization(p.key_authorizations(i), input, at)) return f;
  }
  for (int i = 0; i < p.revoked_keys_size(); ++i)
    if (!IsSha256Hex(p.revoked_keys(i).key_fingerprint()))
      return Bad(input,
                 "revokedKeys[" + std::to_string(i) + "].keyFingerprint must be 64 hex digits");
  return std::nullopt;
}

}  // namespace

Checked<v1::TrustPolicy> ParsePolicyJson(std::string_view json, std::string_view input) {
  v1::TrustPolicy p;
  auto ok = ParseJsonMessage(json, &p, input);
  if (!ok.ok()) return ok.failure();
  KeyCache cache;
  if (auto f = Validate(p, input, &cache)) return *f;
  return p;
}

Checked<LoadedPolicy> ParsePolicy(std::string_view envelope_text, std::string_view input) {
  auto env = ParseEnvelope(envelope_text, input);
  if (!env.ok()) return env.failure();
  if (env->payload_type != kPolicyPayloadType) {
    return MakeFailure(Reason::kInputUnknownPayloadType, input,
                       "payloadType \"" + env->payload_type.substr(0, 80) + "\" is not " +
                           std::string(kPolicyPayloadType));
  }
  LoadedPolicy lp;
  auto ok = ParseJsonMessage(env->payload, &lp.policy, input);
  if (!ok.ok()) return ok.failure();
  if (auto f = Validate(lp.policy, input, &lp.keys)) return *f;
  lp.envelope = std::move(env).value();
  lp.digest = Sha256Hex(lp.envelope.payload);
  lp.governance = lp.KeysOf(lp.policy.governance());
  return lp;
}

std::vector<PublicKey> LoadedPolicy::KeysOf(const v1::KeySet& set) const {
  std::vector<PublicKey> out;
  for (const auto& k : set.keys())
    if (const PublicKey* pk = Key(k)) out.push_back(*pk);
  return out;
}

const PublicKey* LoadedPolicy::Key(const v1::TrustedKey& k) const {
  auto it = keys.find(k.public_key_pem());
  return it == keys.end() ? nullptr : &it->second;
}

std::vector<Failure> VerifyPolicySelf(const LoadedPolicy& p, Clock::time_point now) {
  std::vector<Failure> out;
  const std::string v = "policy version " + std::to_string(p.policy.version());
  if (p.envelope.signatures.empty()) {
    out.push_back(MakeFailure(Reason::kPolicyUnsigned, "policy",
                              v + " carries no signature; sign it with `strongroom policy sign`"));
  } else {
    ThresholdResult r = VerifySignatures(p.envelope, p.governance);
    if (r.invalid > 0)
      out.push_back(MakeFailure(
          Reason::kPolicySignatureInvalid, "policy",
          std::to_string(r.invalid) + " signature(s) of " + v +
              " name a governance key but do not verify: the policy was altered after signing"));
    if (r.accepted.size() < p.policy.governance().threshold())
      out.push_back(MakeFailure(Reason::kPolicyGovernanceThresholdNotMet, "policy",
                                v + " is signed by " + std::to_string(r.accepted.size()) +
                                    " distinct governance key(s); its threshold is " +
                                    std::to_string(p.policy.governance().threshold())));
  }
  if (ToTimePoint(p.policy.expires()) <= now)
    out.push_back(MakeFailure(
        Reason::kPolicyExpired, "policy",
        v + " expired at " + FormatTime(p.policy.expires()) + "; install a renewed policy"));
  return out;
}

std::vector<Failure> VerifyPolicyInstall(const LoadedPolicy* current, const LoadedPolicy& candidate,
                                         Clock::time_point now) {
  std::vector<Failure> out = VerifyPolicySelf(candidate, now);
  if (current == nullptr) return out;
  if (candidate.policy.version() <= current->policy.version())
    out.push_back(MakeFailure(Reason::kPolicyVersionNotHigher, "policy",
                              "new policy version " + std::to_string(candidate.policy.version()) +
                                  " is not higher than the installed version " +
                                  std::to_string(current->policy.version())));
  ThresholdResult r = VerifySignatures(candidate.envelope, current->governance);
  if (r.accepted.size() < current->policy.governance().threshold())
    out.push_back(MakeFailure(Reason::kPolicyRotationThresholdNotMet, "policy",
                              "the new policy is signed by " + std::to_string(r.accepted.size()) +
                                  " distinct governance key(s) of the installed policy version " +
                                  std::to_string(current->policy.version()) +
                                  "; its threshold is " +
                                  std::to_string(current->policy.governance().threshold())));
  return out;
}

unsigned KeySetStatus::signed_count() const {
  unsigned n = 0;
  for (const auto& k : keys) n += k.signed_ ? 1 : 0;
  return n;
}

unsigned KeySetStatus::more_needed() const {
  unsigned n = signed_count();
  return n >= threshold ? 0 : threshold - n;
}

std::vector<const KeySetKey*> KeySetStatus::missing() const {
  std::vector<const KeySetKey*> out;
  for (const auto& k : keys)
    if (!k.signed_) out.push_back(&k);
  return out;
}

KeySetStatus CheckKeySet(const Envelope& env, const LoadedPolicy& p, const v1::KeySet& set) {
  KeySetStatus st;
  st.threshold = set.threshold();
  std::vector<PublicKey> trusted;
  for (const auto& k : set.keys()) {
    const PublicKey* pk = p.Key(k);
    st.keys.push_back({k.name(), pk ? pk->fingerprint() : std::string(), false});
    if (pk) trusted.push_back(*pk);
  }
  auto name_of = [&](const std::string& fp) -> const KeySetKey* {
    for (const auto& k : st.keys)
      if (!fp.empty() && k.fingerprint == fp) return &k;
    return nullptr;
  };
  // One signature at a time, so each is named (VerifySignatures counts).
  for (const auto& sig : env.signatures) {
    Envelope one{env.payload_type, env.payload, {sig}, env.from_sigstore_bundle};
    ThresholdResult r = VerifySignatures(one, trusted);
    KeySetSignature s;
    s.keyid = sig.keyid;
    if (!r.accepted.empty()) {
      s.kind = KeySetSignature::Kind::kValid;
      s.fingerprint = *r.accepted.begin();
      for (auto& k : st.keys)
        if (k.fingerprint == s.fingerprint) k.signed_ = true;
    } else if (r.invalid > 0) {
      s.kind = KeySetSignature::Kind::kInvalid;
      for (const auto& k : st.keys)
        if (!k.fingerprint.empty() && sig.keyid == k.fingerprint)
          s.fingerprint = k.fingerprint;
    }
    if (const KeySetKey* k = name_of(s.fingerprint)) s.name = k->name;
    st.signatures.push_back(std::move(s));
  }
  return st;
}

}  // namespace sr::policy
