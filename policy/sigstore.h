// Offline verification of Sigstore "keyless" bundles (v0.1-v0.3 with a DSSE
// envelope): a Fulcio certificate chaining to a CA of a pinned trusted root
// valid at the signing time, a Rekor transparency-log entry proving that time
// (inclusion proof against a checkpoint signed by a Rekor key of the trusted
// root, else the signed entry timestamp), the entry's body matching this
// envelope and certificate, the DSSE signature under the certificate's key,
// and the certificate's identity allowed by a rule of the policy.
// Pure: no disk, no network, no clock (the signing time is the log's). Every
// input is bounded. Thread-safe.
#ifndef STRONGROOM_POLICY_SIGSTORE_H_
#define STRONGROOM_POLICY_SIGSTORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/dsse.h"
#include "policy/reason.h"

namespace sr::policy {

// Bound on a trusted_root.json and on a bundle.
inline constexpr std::size_t kMaxTrustedRootBytes = 1u << 20;

// The Sigstore trusted root (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1): Fulcio
// certificate authorities (certChain, validFor), Rekor transparency logs
// (publicKey rawBytes = DER SubjectPublicKeyInfo, validFor, logId.keyId), CT
// logs and timestamp authorities (parsed, not used by the verification).
class TrustedRoot {
 public:
  struct Validity {
    std::int64_t start = 0;  // Unix seconds; 0 = unbounded
    std::int64_t end = 0;    // Unix seconds; 0 = open-ended
    bool Contains(std::int64_t t) const {
      return (start == 0 || t >= start) && (end == 0 || t <= end);
    }
  };
  struct CertificateAuthority {
    std::string uri;
    std::vector<std::string> chain_der;  // leaf-most first, as listed
    Validity valid_for;
  };
  struct TransparencyLog {
    std::string base_url;
    std::string key_der;  // DER SubjectPublicKeyInfo
    std::string key_id;   // raw bytes of logId.keyId (SHA-256 of key_der for Rekor)
    Validity valid_for;
  };

  // Parses trusted_root.json; failures name `input` (kInputBadJson,
  // kInputMissingField, kInputBadField, kInputTooLarge, kInputBadBase64).
  static Checked<TrustedRoot> Parse(std::string_view json, std::string_view input);

  // Lower-case hex SHA-256 of the bytes parsed.
  std::string Sha256Hex() const { return sha256_hex_; }

  const std::vector<CertificateAuthority>& certificate_authorities() const { return cas_; }
  const std::vector<TransparencyLog>& tlogs() const { return tlogs_; }
  const std::vector<TransparencyLog>& ctlogs() const { return ctlogs_; }
  std::size_t timestamp_authority_count() const { return tsa_count_; }

 private:
  std::string sha256_hex_;
  std::vector<CertificateAuthority> cas_;
  std::vector<TransparencyLog> tlogs_;
  std::vector<TransparencyLog> ctlogs_;
  std::size_t tsa_count_ = 0;
};

// A builder trusted by identity (proto KeylessIdentity): the certificate's
// OIDC issuer equals `issuer` exactly; its SAN URI is workflow + "@" + ref,
// where ref matches one of allowed_refs (exactly, or by prefix when the
// pattern ends in "*").
struct KeylessIdentityRule {
  std::string issuer, workflow;
  std::vector<std::string> allowed_refs;
};

// True when ref is allowed by pattern (exact, or prefix when it ends in "*").
bool RefAllowed(std::string_view pattern, std::string_view ref);
// True when a certificate naming issuer and SAN identity (workflow@ref)
// matches rule.
bool IdentityAllowed(const KeylessIdentityRule& rule, std::string_view issuer,
                     std::string_view identity);

struct KeylessVerified {
  Envelope envelope;
  std::size_t rule_index = 0;      // the rule that matched
  std::string issuer;              // Fulcio issuer extension
  std::string identity;            // SAN URI
  std::string source_repository;   // Fulcio 1.3.6.1.4.1.57264.1.12 ("" when absent)
  std::string source_ref;          // Fulcio .1.14
  std::string source_digest;       // Fulcio .1.13
  std::string certificate_sha256;  // lower-case hex SHA-256 of the leaf DER
  std::int64_t log_index = 0;
  std::string log_id_hex;
  std::int64_t integrated_time = 0;
};

// Verifies a Sigstore bundle (or refuses a plain DSSE envelope carrying a
// certificate with TLOG_ENTRY_MISSING). Failures name `input` and carry
// CERT_CHAIN_INVALID, CERT_IDENTITY_MISMATCH, TLOG_ENTRY_MISSING,
// TLOG_PROOF_INVALID, TLOG_ENTRY_MISMATCH, SIGNED_OUTSIDE_CERT_VALIDITY,
// PROVENANCE_SIGNATURE_INVALID or an INPUT_* reason.
// Checks run in this order and the first failure is reported: the DSSE
// signature under the certificate's key, the log's integratedTime inside the
// certificate's validity, the chain at that time, the identity, the entry's
// log and body, then its inclusion proof + checkpoint and its signed entry
// timestamp (SET). At least one of proof and SET must be present and every
// one present must verify: a valid SET does not excuse an altered proof or
// checkpoint, so an altered bundle is always refused.
Checked<KeylessVerified> VerifyKeylessBundle(std::string_view bundle_text, const TrustedRoot& root,
                                             std::span<const KeylessIdentityRule> rules,
                                             std::string_view input);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_SIGSTORE_H_
