// DSSE (Dead Simple Signing Envelope, v1.0.2): parsing of the JSON envelope,
// given plain or inside a Sigstore bundle (v0.1-v0.3, "dsseEnvelope"), the
// pre-authentication encoding, signing through a Signer, and (t, n)
// threshold verification counting distinct public keys. Pure and thread-safe.
#ifndef STRONGROOM_POLICY_DSSE_H_
#define STRONGROOM_POLICY_DSSE_H_

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/keys.h"
#include "policy/reason.h"
#include "policy/signer.h"

namespace sr::policy {

inline constexpr std::size_t kMaxSignatures = 32;

struct DsseSignature {
  std::string keyid;  // unauthenticated hint, may be empty
  std::string sig;    // raw signature bytes
};

struct Envelope {
  std::string payload_type;
  std::string payload;  // raw SERIALIZED_BODY bytes
  std::vector<DsseSignature> signatures;
  bool from_sigstore_bundle = false;
  // A signature comes with an X.509 certificate (Sigstore keyless: a bundle's
  // verificationMaterial.certificate / x509CertificateChain, or a "cert"
  // next to a signature). Not verified: the station trusts keys only.
  bool has_certificate = false;
};

// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
// lengths in bytes, decimal, no leading zeros.
std::string PreAuthEncoding(std::string_view payload_type, std::string_view payload);

// Parses a JSON envelope or a Sigstore bundle holding one. Both base64
// alphabets are accepted for payload and sig. Failures name `input` and use
// kInputTooLarge, kInputBadJson, kInputDuplicateKey, kInputBadBase64,
// kInputMissingField or kInputBadField. Signature checks are not done here.
Checked<Envelope> ParseEnvelope(std::string_view text, std::string_view input);

// The JSON envelope (standard base64, keyid included when non-empty).
std::string SerializeEnvelope(const Envelope& env);

// Signs PAE(env) with signer and appends the signature (keyid = fingerprint).
// A signature by the same key already present is replaced, so co-signing
// twice does not grow the envelope.
Status AddSignature(Envelope* env, Signer& signer);

// Merges the signatures of `other` into `env`; fails unless both carry the
// same payloadType and payload bytes. Identical signatures are kept once.
Status MergeSignatures(Envelope* env, const Envelope& other);

struct ThresholdResult {
  // Fingerprints of the distinct trusted keys that produced a valid
  // signature; a key counts once however many signatures name it.
  std::set<std::string> accepted;
  // Signatures that verified under no trusted key although their keyid names
  // a trusted key (tampered or corrupt).
  std::size_t invalid = 0;
  // Signatures that verified under no trusted key and whose keyid names none
  // (signed by a key the policy does not trust, or corrupt).
  std::size_t unknown = 0;
  std::vector<std::string> unknown_keyids;
};

// Checks every signature against every trusted key (keyid is only a hint:
// tried first, never relied upon).
ThresholdResult VerifySignatures(const Envelope& env, const std::vector<PublicKey>& trusted);

}  // namespace sr::policy

#endif  // STRONGROOM_POLICY_DSSE_H_
