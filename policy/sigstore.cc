#include "policy/sigstore.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <charconv>

#include "base/encoding.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"
#include "policy/json.h"
#include "policy/keys.h"

namespace sr::policy {
namespace pb = google::protobuf;

bool RefAllowed(std::string_view pattern, std::string_view ref) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return ref.starts_with(pattern);
  }
  return pattern == ref;
}

bool IdentityAllowed(const KeylessIdentityRule& rule, std::string_view issuer,
                     std::string_view identity) {
  if (rule.issuer.empty() || rule.issuer != issuer || rule.workflow.empty() ||
      identity.size() <= rule.workflow.size() + 1 || !identity.starts_with(rule.workflow) ||
      identity[rule.workflow.size()] != '@')
    return false;
  std::string_view ref = identity.substr(rule.workflow.size() + 1);
  return std::any_of(rule.allowed_refs.begin(), rule.allowed_refs.end(),
                     [&](const std::string& pattern) { return RefAllowed(pattern, ref); });
}

namespace {

constexpr std::size_t kMaxChainCerts = 8;
constexpr std::size_t kMaxLogs = 32;
constexpr std::size_t kMaxProofHashes = 64;
constexpr std::size_t kMaxCertBytes = 32u << 10;

using StorePtr = std::unique_ptr<X509_STORE, OpensslFree<&X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslFree<&X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpensslFree<&GENERAL_NAMES_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, OpensslFree<&ASN1_OBJECT_free>>;
using Utf8Ptr = std::unique_ptr<ASN1_UTF8STRING, OpensslFree<&ASN1_UTF8STRING_free>>;

std::string Cut(std::string_view s, std::size_t n = 200) {
  return ToValidUtf8(s.substr(0, n)) + (s.size() > n ? "..." : "");
}

const pb::Struct* ObjectAt(const pb::Struct& obj, std::string_view key) {
  const pb::Value* v = FindField(obj, key);
  return v != nullptr && v->has_struct_value() ? &v->struct_value() : nullptr;
}

const pb::ListValue* ListAt(const pb::Struct& obj, std::string_view key) {
  const pb::Value* v = FindField(obj, key);
  return v != nullptr && v->has_list_value() ? &v->list_value() : nullptr;
}

// An int64 given as a JSON string (the proto3 mapping) or a JSON number.
Checked<std::int64_t> IntField(const pb::Struct& obj, std::string_view key, std::string_view input,
                               std::string_view path) {
  const pb::Value* v = FindField(obj, key);
  std::string where = std::string(path) + "." + std::string(key);
  if (v == nullptr) return MakeFailure(Reason::kInputMissingField, input, "missing field " + where);
  std::int64_t out = 0;
  if (v->kind_case() == pb::Value::kStringValue) {
    const std::string& s = v->string_value();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && out >= 0 && !s.empty()) return out;
  } else if (v->kind_case() == pb::Value::kNumberValue) {
    double d = v->number_value();
    if (d >= 0 && d < 9007199254740992.0 && d == static_cast<double>(static_cast<std::int64_t>(d)))
      return static_cast<std::int64_t>(d);
  }
  return MakeFailure(Reason::kInputBadField, input, where + " must be a non-negative integer");
}

Checked<TrustedRoot::Validity> ParseValidity(const pb::Struct& obj, std::string_view input,
                                             std::string_view path) {
  TrustedRoot::Validity v;
  const pb::Struct* vf = ObjectAt(obj, "validFor");
  if (vf == nullptr)
    return MakeFailure(Reason::kInputMissingField, input,
                       "missing field " + std::string(path) + ".validFor");
  for (const char* key : {"start", "end"}) {
    auto s = OptionalString(*vf, key, input, std::string(path) + ".validFor");
    if (!s.ok()) return s.failure();
    if (s.value().empty()) continue;
    pb::Timestamp ts;
    if (!pb::util::TimeUtil::FromString(s.value(), &ts)) {
      return MakeFailure(Reason::kInputBadField, input,
                         std::string(path) + ".validFor." + key + " is not an RFC 3339 time");
    }
    (std::string_view(key) == "start" ? v.start : v.end) = ts.seconds();
  }
  return v;
}

Checked<TrustedRoot::TransparencyLog> ParseLog(const pb::Struct& obj, std::string_view input,
                                               const std::string& path) {
  TrustedRoot::TransparencyLog log;
  auto url = OptionalString(obj, "baseUrl", input, path);
  if (!url.ok()) return url.failure();
  log.base_url = url.value();
  const pb::Struct* pk = ObjectAt(obj, "publicKey");
  if (pk == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + path + ".publicKey");
  auto der = RequiredBase64(*pk, "rawBytes", input, path + ".publicKey");
  if (!der.ok()) return der.failure();
  log.key_der = std::move(der).value();
  auto validity = ParseValidity(*pk, input, path + ".publicKey");
  if (!validity.ok()) return validity.failure();
  log.valid_for = validity.value();
  const pb::Struct* id = ObjectAt(obj, "logId");
  if (id == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + path + ".logId");
  auto key_id = RequiredBase64(*id, "keyId", input, path + ".logId");
  if (!key_id.ok()) return key_id.failure();
  log.key_id = std::move(key_id).value();
  return log;
}

// The leaf's public key as a PublicKey (DER SPKI), or a failure.
Result<PublicKey> KeyOfCert(X509* cert) {
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (pkey == nullptr) return InvalidArgument("the certificate has no usable public key");
  return PublicKey::FromEvp(pkey);
}

Result<PublicKey> KeyOfSpki(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return InvalidArgument("not a DER SubjectPublicKeyInfo");
  return PublicKey::FromEvp(pkey.get());
}

X509Ptr CertOfDer(std::string_view der) {
  if (der.size() > kMaxCertBytes) return nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return nullptr;
  return cert;
}

// The DER of the first PEM CERTIFICATE block in text, or "".
std::string DerOfPem(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::size_t b = pem.find(kBegin);
  if (b == std::string_view::npos) return "";
  std::size_t e = pem.find(kEnd, b);
  if (e == std::string_view::npos) return "";
  std::string body;
  for (char c : pem.substr(b + kBegin.size(), e - b - kBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ') body += c;
  auto der = Base64Decode(body, "certificate");
  return der.ok() ? std::move(der).value() : "";
}

std::string Asn1TimeString(const ASN1_TIME* t) {
  pb::Timestamp ts;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  ts.set_seconds(timegm(&tm));
  return pb::util::TimeUtil::ToString(ts);
}

std::string UnixString(std::int64_t t) {
  pb::Timestamp ts;
  ts.set_seconds(t);
  return pb::util::TimeUtil::ToString(ts);
}

// A Fulcio extension by OID: v2 extensions hold a DER UTF8String, legacy
// (1.3.6.1.4.1.57264.1.1-.6) ones the raw bytes. "" when absent.
std::string FulcioExtension(X509* cert, const char* oid, bool der_utf8) {
  ObjPtr obj(OBJ_txt2obj(oid, 1));
  if (!obj) return "";
  int idx = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (idx < 0) return "";
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(data);
  int len = ASN1_STRING_length(data);
  if (!der_utf8)
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
  Utf8Ptr s(d2i_ASN1_UTF8STRING(nullptr, &p, len));
  if (!s) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s.get())),
                     static_cast<std::size_t>(ASN1_STRING_length(s.get())));
}

std::vector<std::string> SanUris(X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_EMAIL) {
      const ASN1_IA5STRING* s = n->d.rfc822Name;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  return out;
}

// RFC 6962 / RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
// Written here (a dozen lines) because policy/ depends on base/ and proto/
// only; log/merkle.h has the same algorithm for strongroom's own log.
bool RootFromInclusionProof(std::uint64_t index, std::uint64_t size, const std::string& leaf_hash,
                            const std::vector<std::string>& path, std::string* root) {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  std::string r = leaf_hash;
  for (const std::string& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = Sha256Bytes(std::string(1, '\x01') + p + r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = Sha256Bytes(std::string(1, '\x01') + r + p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return false;
  *root = r;
  return true;
}

// Verifies a Rekor checkpoint (a signed note: body lines, a blank line, then
// "— NAME base64(keyhint[4] || signature)" lines) against the log's key,
// whose hint is the first 4 bytes of its log id (SHA-256 of the SPKI), and
// returns its tree size and root hash.
bool VerifyCheckpoint(std::string_view note, const TrustedRoot::TransparencyLog& log,
                      const PublicKey& key, std::uint64_t* size, std::string* root,
                      std::string* why) {
  std::size_t split = note.find("\n\n");
  if (split == std::string_view::npos) {
    *why = "the checkpoint has no signature block";
    return false;
  }
  std::string_view body = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  // Body: origin, size, base64 root hash, optional extension lines.
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < body.size();) {
    std::size_t nl = body.find('\n', pos);
    lines.push_back(body.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 3) {
    *why = "the checkpoint body has fewer than three lines";
    return false;
  }
  auto [p, ec] = std::from_chars(lines[1].data(), lines[1].data() + lines[1].size(), *size);
  if (ec != std::errc() || p != lines[1].data() + lines[1].size()) {
    *why = "the checkpoint's tree size is not a number";
    return false;
  }
  auto r = Base64Decode(lines[2], "checkpoint root");
  if (!r.ok() || r.value().size() != 32) {
    *why = "the checkpoint's root hash is not 32 bytes of base64";
    return false;
  }
  *root = r.value();
  std::string hint = log.key_id.substr(0, 4);
  bool saw_key = false;
  for (std::size_t pos = 0; pos < sigs.size();) {
    std::size_t nl = sigs.find('\n', pos);
    if (nl == std::string_view::npos) nl = sigs.size();
    std::string_view line = sigs.substr(pos, nl - pos);
    pos = nl + 1;
    constexpr std::string_view kDash = "\xE2\x80\x94 ";
    if (!line.starts_with(kDash)) continue;
    std::size_t sp = line.rfind(' ');
    auto raw = Base64Decode(line.substr(sp + 1), "checkpoint signature");
    if (!raw.ok() || raw.value().size() < 5 || raw.value().substr(0, 4) != hint) continue;
    saw_key = true;
    if (key.Verify(body, raw.value().substr(4))) return true;
  }
  *why = saw_key
             ? "the checkpoint's signature does not verify under the Rekor key of the trusted root"
             : "the checkpoint carries no signature by the Rekor key of the trusted root";
  return false;
}

struct TlogEntry {
  std::int64_t log_index = 0;
  std::string log_id;  // raw
  std::string kind, version;
  std::int64_t integrated_time = 0;
  std::string body;  // canonicalizedBody, decoded
  std::string set;   // inclusionPromise.signedEntryTimestamp, decoded ("" when absent)
  bool has_proof = false;
  std::int64_t proof_index = 0, tree_size = 0;
  std::string root_hash;
  std::vector<std::string> hashes;
  std::string checkpoint;
};

Checked<TlogEntry> ParseTlogEntry(const pb::Struct& e, std::string_view input) {
  const std::string at = "verificationMaterial.tlogEntries[0]";
  TlogEntry t;
  auto idx = IntField(e, "logIndex", input, at);
  if (!idx.ok()) return idx.failure();
  t.log_index = idx.value();
  const pb::Struct* id = ObjectAt(e, "logId");
  if (id == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + at + ".logId");
  auto key_id = RequiredBase64(*id, "keyId", input, at + ".logId");
  if (!key_id.ok()) return key_id.failure();
  t.log_id = std::move(key_id).value();
  const pb::Struct* kv = ObjectAt(e, "kindVersion");
  if (kv == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field " + at + ".kindVersion");
  auto kind = RequiredString(*kv, "kind", input, at + ".kindVersion");
  if (!kind.ok()) return kind.failure();
  auto version = RequiredString(*kv, "version", input, at + ".kindVersion");
  if (!version.ok()) return version.failure();
  t.kind = kind.value();
  t.version = version.value();
  auto it = IntField(e, "integratedTime", input, at);
  if (!it.ok()) return it.failure();
  t.integrated_time = it.value();
  auto body = RequiredBase64(e, "canonicalizedBody", input, at);
  if (!body.ok()) return body.failure();
  t.body = std::move(body).value();
  if (const pb::Struct* promise = ObjectAt(e, "inclusionPromise")) {
    auto set = RequiredBase64(*promise, "signedEntryTimestamp", input, at + ".inclusionPromise");
    if (!set.ok()) return set.failure();
    t.set = std::move(set).value();
  }
  if (const pb::Struct* proof = ObjectAt(e, "inclusionProof")) {
    const std::string pat = at + ".inclusionProof";
    t.has_proof = true;
    auto pi = IntField(*proof, "logIndex", input, pat);
    if (!pi.ok()) return pi.failure();
    t.proof_index = pi.value();
    auto ts = IntField(*proof, "treeSize", input, pat);
    if (!ts.ok()) return ts.failure();
    t.tree_size = ts.value();
    auto root = RequiredBase64(*proof, "rootHash", input, pat);
    if (!root.ok()) return root.failure();
    t.root_hash = std::move(root).value();
    const pb::ListValue* hashes = ListAt(*proof, "hashes");
    if (hashes == nullptr)
      return MakeFailure(Reason::kInputMissingField, input, "missing field " + pat + ".hashes");
    if (static_cast<std::size_t>(hashes->values_size()) > kMaxProofHashes)
      return MakeFailure(Reason::kInputTooLarge, input, pat + ".hashes has too many entries");
    for (const pb::Value& h : hashes->values()) {
      auto raw = h.has_string_value() ? Base64Decode(h.string_value(), "hash")
                                      : Result<std::string>(InvalidArgument("not a string"));
      if (!raw.ok() || raw.value().size() != 32)
        return MakeFailure(Reason::kInputBadField, input,
                           pat + ".hashes holds a value that is not a base64 SHA-256");
      t.hashes.push_back(std::move(raw).value());
    }
    const pb::Struct* cp = ObjectAt(*proof, "checkpoint");
    if (cp == nullptr)
      return MakeFailure(Reason::kInputMissingField, input, "missing field " + pat + ".checkpoint");
    auto env = RequiredString(*cp, "envelope", input, pat + ".checkpoint");
    if (!env.ok()) return env.failure();
    t.checkpoint = env.value();
  }
  return t;
}

// The signature and verifier of a Rekor body, checked against the bundle's.
Checked<bool> CheckBody(const TlogEntry& t, const Envelope& env, const std::string& leaf_der,
                        std::string_view input) {
  auto mismatch = [&](std::string what) {
    return MakeFailure(Reason::kTlogEntryMismatch, input,
                       "the Rekor entry (log index " + std::to_string(t.log_index) + ") does not " +
                           "record this envelope: " + what +
                           "; the bundle's transparency-log entry belongs to another signature");
  };
  auto parsed = ParseJsonObject(t.body, input);
  if (!parsed.ok()) return mismatch("its canonicalizedBody is not a JSON object");
  const pb::Struct& body = parsed.value();
  auto s = [&](const pb::Struct& o, std::string_view k) -> std::string {
    const pb::Value* v = FindField(o, k);
    return v != nullptr && v->has_string_value() ? v->string_value() : "";
  };
  if (s(body, "kind") != t.kind || s(body, "apiVersion") != t.version)
    return mismatch("its body's kind/apiVersion differ from the bundle's kindVersion");
  const pb::Struct* spec = ObjectAt(body, "spec");
  if (spec == nullptr) return mismatch("its body has no spec");
  std::string payload_hash = Sha256Hex(env.payload);
  const pb::ListValue* sigs = nullptr;
  const pb::Struct* hash_obj = nullptr;
  bool double_b64 = false;  // intoto 0.0.2 holds base64(base64(sig)) and base64(PEM)
  std::string sig_key, verifier_key;
  if (t.kind == "dsse" && t.version == "0.0.1") {
    hash_obj = ObjectAt(*spec, "payloadHash");
    sigs = ListAt(*spec, "signatures");
    sig_key = "signature";
    verifier_key = "verifier";
  } else if (t.kind == "intoto" && t.version == "0.0.2") {
    const pb::Struct* content = ObjectAt(*spec, "content");
    const pb::Struct* envelope = content ? ObjectAt(*content, "envelope") : nullptr;
    if (envelope == nullptr) return mismatch("its body has no spec.content.envelope");
    if (s(*envelope, "payloadType") != env.payload_type)
      return mismatch("its payloadType differs from the envelope's");
    hash_obj = ObjectAt(*content, "payloadHash");
    sigs = ListAt(*envelope, "signatures");
    sig_key = "sig";
    verifier_key = "publicKey";
    double_b64 = true;
  } else {
    return mismatch("its kind " + Cut(t.kind, 40) + " " + Cut(t.version, 20) +
                    " is not one strongroom reads (dsse 0.0.1, intoto 0.0.2)");
  }
  if (hash_obj == nullptr || s(*hash_obj, "algorithm") != "sha256" ||
      s(*hash_obj, "value") != payload_hash)
    return mismatch("its payload hash is not the SHA-256 of this envelope's payload (" +
                    payload_hash + ")");
  if (sigs == nullptr || sigs->values_size() != 1 || env.signatures.size() != 1)
    return mismatch("it and the envelope must each hold exactly one signature");
  const pb::Value& sv = sigs->values(0);
  if (!sv.has_struct_value()) return mismatch("its signature is not an object");
  auto sig = Base64Decode(s(sv.struct_value(), sig_key), "signature");
  if (sig.ok() && double_b64) sig = Base64Decode(sig.value(), "signature");
  if (!sig.ok() || sig.value() != env.signatures[0].sig)
    return mismatch("its signature differs from the envelope's");
  auto pem = Base64Decode(s(sv.struct_value(), verifier_key), "verifier");
  if (!pem.ok() || DerOfPem(pem.value()) != leaf_der)
    return mismatch("its verifier certificate differs from the bundle's certificate");
  return true;
}

}  // namespace

Checked<TrustedRoot> TrustedRoot::Parse(std::string_view json, std::string_view input) {
  if (json.size() > kMaxTrustedRootBytes) {
    return MakeFailure(
        Reason::kInputTooLarge, input,
        "the trusted root is larger than " + std::to_string(kMaxTrustedRootBytes) + " bytes");
  }
  auto obj = ParseJsonObject(json, input, kMaxTrustedRootBytes);
  if (!obj.ok()) return obj.failure();
  auto media = RequiredString(obj.value(), "mediaType", input, "");
  if (!media.ok()) return media.failure();
  if (media.value() != "application/vnd.dev.sigstore.trustedroot+json;version=0.1") {
    return MakeFailure(Reason::kInputBadField, input,
                       "mediaType \"" + Cut(media.value(), 80) +
                           "\" is not application/vnd.dev.sigstore.trustedroot+json;version=0.1 "
                           "(bring the Sigstore trusted_root.json)");
  }
  TrustedRoot root;
  root.sha256_hex_ = sr::Sha256Hex(json);
  const pb::ListValue* cas = ListAt(obj.value(), "certificateAuthorities");
  if (cas == nullptr || cas->values_size() == 0)
    return MakeFailure(Reason::kInputMissingField, input, "missing field certificateAuthorities");
  if (static_cast<std::size_t>(cas->values_size()) > kMaxLogs)
    return MakeFailure(Reason::kInputTooLarge, input, "too many certificateAuthorities");
  int i = 0;
  for (const pb::Value& v : cas->values()) {
    std::string at = "certificateAuthorities[" + std::to_string(i++) + "]";
    if (!v.has_struct_value())
      return MakeFailure(Reason::kInputBadField, input, at + " must be an object");
    CertificateAuthority ca;
    auto uri = OptionalString(v.struct_value(), "uri", input, at);
    if (!uri.ok()) return uri.failure();
    ca.uri = uri.value();
    const pb::Struct* chain = ObjectAt(v.struct_value(), "certChain");
    const pb::ListValue* certs = chain ? ListAt(*chain, "certificates") : nullptr;
    if (certs == nullptr || certs->values_size() == 0)
      return MakeFailure(Reason::kInputMissingField, input,
                         "missing field " + at + ".certChain.certificates");
    if (static_cast<std::size_t>(certs->values_size()) > kMaxChainCerts)
      return MakeFailure(Reason::kInputTooLarge, input,
                         at + ".certChain has too many certificates");
    for (const pb::Value& c : certs->values()) {
      if (!c.has_struct_value())
        return MakeFailure(Reason::kInputBadField, input,
                           at + ".certChain.certificates[] must be objects");
      auto der =
          RequiredBase64(c.struct_value(), "rawBytes", input, at + ".certChain.certificates[]");
      if (!der.ok()) return der.failure();
      if (!CertOfDer(der.value()))
        return MakeFailure(Reason::kInputBadField, input,
                           at + ".certChain holds a value that is not a DER X.509 certificate");
      ca.chain_der.push_back(std::move(der).value());
    }
    auto validity = ParseValidity(v.struct_value(), input, at);
    if (!validity.ok()) return validity.failure();
    ca.valid_for = validity.value();
    root.cas_.push_back(std::move(ca));
  }
  for (const char* list : {"tlogs", "ctlogs"}) {
    const pb::ListValue* logs = ListAt(obj.value(), list);
    if (logs == nullptr) {
      if (std::string_view(list) == "tlogs")
        return MakeFailure(Reason::kInputMissingField, input, "missing field tlogs");
      continue;
    }
    if (static_cast<std::size_t>(logs->values_size()) > kMaxLogs)
      return MakeFailure(Reason::kInputTooLarge, input, std::string("too many ") + list);
    int j = 0;
    for (const pb::Value& v : logs->values()) {
      std::string at = std::string(list) + "[" + std::to_string(j++) + "]";
      if (!v.has_struct_value())
        return MakeFailure(Reason::kInputBadField, input, at + " must be an object");
      auto log = ParseLog(v.struct_value(), input, at);
      if (!log.ok()) return log.failure();
      (std::string_view(list) == "tlogs" ? root.tlogs_ : root.ctlogs_)
          .push_back(std::move(log).value());
    }
  }
  if (const pb::ListValue* tsas = ListAt(obj.value(), "timestampAuthorities"))
    root.tsa_count_ = static_cast<std::size_t>(tsas->values_size());
  return root;
}

Checked<KeylessVerified> VerifyKeylessBundle(std::string_view bundle_text, const TrustedRoot& root,
                                             std::span<const KeylessIdentityRule> rules,
                                             std::string_view input) {
  auto env = ParseEnvelope(bundle_text, input);
  if (!env.ok()) return env.failure();
  if (!env->from_sigstore_bundle) {
    return MakeFailure(
        Reason::kTlogEntryMissing, input,
        std::string("this is a plain DSSE envelope") +
            (env->has_certificate ? " with a signing certificate" : "") +
            " and no Rekor transparency-log entry, so its signing time and certificate cannot be "
            "verified offline; bring the Sigstore bundle (.sigstore.json, bundle v0.2 or later) "
            "the "
            "builder published with it instead");
  }
  // The bundle's parts ParseEnvelope does not keep.
  while (!bundle_text.empty() && (bundle_text.back() == '\n' || bundle_text.back() == '\r'))
    bundle_text.remove_suffix(1);
  auto obj = ParseJsonObject(bundle_text, input);
  if (!obj.ok()) return obj.failure();
  const pb::Struct* vm = ObjectAt(obj.value(), "verificationMaterial");
  if (vm == nullptr)
    return MakeFailure(Reason::kInputMissingField, input, "missing field verificationMaterial");
  std::string leaf_der;
  if (const pb::Struct* c = ObjectAt(*vm, "certificate")) {
    auto der = RequiredBase64(*c, "rawBytes", input, "verificationMaterial.certificate");
    if (!der.ok()) return der.failure();
    leaf_der = std::move(der).value();
  } else if (const pb::Struct* chain = ObjectAt(*vm, "x509CertificateChain")) {
    const pb::ListValue* certs = ListAt(*chain, "certificates");
    if (certs == nullptr || certs->values_size() == 0 || !certs->values(0).has_struct_value()) {
      return MakeFailure(Reason::kInputMissingField, input,
                         "missing field verificationMaterial.x509CertificateChain.certificates[0]");
    }
    auto der = RequiredBase64(certs->values(0).struct_value(), "rawBytes", input,
                              "verificationMaterial.x509CertificateChain.certificates[0]");
    if (!der.ok()) return der.failure();
    leaf_der = std::move(der).value();
  } else {
    return MakeFailure(Reason::kCertChainInvalid, input,
                       "the bundle has no signing certificate (verificationMaterial.certificate): "
                       "it is signed with a key, not keyless; trust its builder by key instead");
  }
  X509Ptr leaf = CertOfDer(leaf_der);
  if (!leaf)
    return MakeFailure(Reason::kInputBadField, input,
                       "verificationMaterial's certificate is not a DER X.509 certificate");
  const pb::ListValue* entries = ListAt(*vm, "tlogEntries");
  if (entries == nullptr || entries->values_size() == 0) {
    return MakeFailure(
        Reason::kTlogEntryMissing, input,
        "the bundle has no Rekor transparency-log entry (verificationMaterial."
        "tlogEntries is empty): the signing time cannot be proven offline; bring the "
        "bundle as the builder published it, with its tlog entry");
  }
  if (entries->values_size() != 1 || !entries->values(0).has_struct_value())
    return MakeFailure(Reason::kInputBadField, input,
                       "verificationMaterial.tlogEntries must hold exactly one entry");
  auto tlog = ParseTlogEntry(entries->values(0).struct_value(), input);
  if (!tlog.ok()) return tlog.failure();
  const TlogEntry& t = tlog.value();

  KeylessVerified out;
  out.envelope = std::move(env).value();
  out.certificate_sha256 = Sha256Hex(leaf_der);
  out.log_index = t.log_index;
  out.log_id_hex = HexEncode(t.log_id);
  out.integrated_time = t.integrated_time;

  // 1. The DSSE signature under the certificate's key.
  auto leaf_key = KeyOfCert(leaf.get());
  if (!leaf_key.ok())
    return MakeFailure(
        Reason::kCertChainInvalid, input,
        "the signing certificate's key is not usable: " + leaf_key.status().message());
  if (out.envelope.signatures.size() != 1 ||
      !leaf_key->Verify(PreAuthEncoding(out.envelope.payload_type, out.envelope.payload),
                        out.envelope.signatures[0].sig)) {
    return MakeFailure(Reason::kProvenanceSignatureInvalid, input,
                       "the envelope's signature does not verify under the public key of its "
                       "signing certificate (the payload or the signature was altered)");
  }
  // 2. The signing time (the log's integratedTime) inside the leaf's validity.
  time_t signed_at = static_cast<time_t>(t.integrated_time);
  if (X509_cmp_time(X509_get0_notBefore(leaf.get()), &signed_at) > 0 ||
      X509_cmp_time(X509_get0_notAfter(leaf.get()), &signed_at) < 0) {
    return MakeFailure(Reason::kSignedOutsideCertValidity, input,
                       "the transparency log integrated the signature at " +
                           UnixString(t.integrated_time) +
                           ", outside the signing certificate's validity (" +
                           Asn1TimeString(X509_get0_notBefore(leaf.get())) + " to " +
                           Asn1TimeString(X509_get0_notAfter(leaf.get())) + ")");
  }
  // 3. The chain to a Fulcio CA of the trusted root valid at that time.
  bool chained = false;
  std::string chain_error = "no certificate authority of the trusted root is valid at that time";
  for (const TrustedRoot::CertificateAuthority& ca : root.certificate_authorities()) {
    if (!ca.valid_for.Contains(t.integrated_time)) continue;
    StorePtr store(X509_STORE_new());
    for (const std::string& der : ca.chain_der) {
      X509Ptr c = CertOfDer(der);
      if (c) X509_STORE_add_cert(store.get(), c.get());
    }
    X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.get());
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(t.integrated_time));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) continue;
    if (X509_verify_cert(ctx.get()) == 1) {
      chained = true;
      break;
    }
    chain_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  if (chained && (!(X509_get_extension_flags(leaf.get()) & EXFLAG_XKUSAGE) ||
                  !(X509_get_extended_key_usage(leaf.get()) & XKU_CODE_SIGN))) {
    chained = false;
    chain_error = "the leaf is not a code-signing certificate (extended key usage)";
  }
  if (!chained) {
    return MakeFailure(
        Reason::kCertChainInvalid, input,
        "the signing certificate does not chain to a Fulcio certificate authority of "
        "the trusted root valid at " +
            UnixString(t.integrated_time) + " (" + chain_error +
            "); it was issued by another CA, or the trusted root is not "
            "the one of this builder's Sigstore instance");
  }
  // 4. The identity against the rules.
  out.issuer = FulcioExtension(leaf.get(), "1.3.6.1.4.1.57264.1.8", true);
  if (out.issuer.empty()) out.issuer = FulcioExtension(leaf.get(), "1.3.6.1.4.1.57264.1.1", false);
  out.source_repository = FulcioExtension(leaf.get(), "1.3.6.1.4.1.57264.1.12", true);
  out.source_digest = FulcioExtension(leaf.get(), "1.3.6.1.4.1.57264.1.13", true);
  out.source_ref = FulcioExtension(leaf.get(), "1.3.6.1.4.1.57264.1.14", true);
  std::vector<std::string> sans = SanUris(leaf.get());
  if (sans.size() == 1) out.identity = sans[0];
  bool matched = false;
  for (std::size_t i = 0; i < rules.size() && !matched; ++i) {
    if (sans.size() == 1 && IdentityAllowed(rules[i], out.issuer, out.identity)) {
      matched = true;
      out.rule_index = i;
    }
  }
  if (!matched) {
    std::string allowed;
    for (const KeylessIdentityRule& rule : rules) {
      allowed += allowed.empty() ? "" : "; ";
      allowed += "issuer " + rule.issuer + ", workflow " + rule.workflow + " at refs ";
      for (std::size_t j = 0; j < rule.allowed_refs.size(); ++j)
        allowed += (j ? ", " : "") + rule.allowed_refs[j];
    }
    return MakeFailure(
        Reason::kCertIdentityMismatch, input,
        "the certificate names issuer " + Cut(out.issuer) + " and identity " +
            (sans.size() == 1 ? Cut(out.identity) : std::to_string(sans.size()) + " SAN names") +
            "; the policy allows " + (allowed.empty() ? "no identity" : allowed));
  }
  // 5. The Rekor entry: a log of the trusted root, recording this envelope.
  const TrustedRoot::TransparencyLog* log = nullptr;
  for (const TrustedRoot::TransparencyLog& l : root.tlogs())
    if (l.key_id == t.log_id) log = &l;
  if (log == nullptr) {
    return MakeFailure(Reason::kTlogEntryMismatch, input,
                       "the Rekor entry's log id " + out.log_id_hex +
                           " is not a transparency log of the trusted root");
  }
  auto body_ok = CheckBody(t, out.envelope, leaf_der, input);
  if (!body_ok.ok()) return body_ok.failure();
  // 6. Its inclusion (proof + checkpoint), else its signed entry timestamp.
  auto log_key = KeyOfSpki(log->key_der);
  if (!log_key.ok())
    return MakeFailure(Reason::kTlogProofInvalid, input,
                       "the trusted root's key for log " + out.log_id_hex +
                           " is not usable: " + log_key.status().message());
  if (!log->valid_for.Contains(t.integrated_time)) {
    return MakeFailure(Reason::kTlogProofInvalid, input,
                       "the trusted root's key for log " + out.log_id_hex + " was not valid at " +
                           UnixString(t.integrated_time));
  }
  if (!t.has_proof && t.set.empty()) {
    return MakeFailure(Reason::kTlogProofInvalid, input,
                       "the Rekor entry has neither an inclusion proof nor a signed entry "
                       "timestamp: nothing proves it is in the log");
  }
  // Whatever is present must verify: a valid SET does not excuse an altered
  // proof or checkpoint, nor a valid proof an altered SET (the SET is what
  // signs integratedTime).
  if (t.has_proof) {
    std::string root_hash, why;
    std::uint64_t cp_size = 0;
    std::string leaf_hash = Sha256Bytes(std::string(1, '\0') + t.body);
    if (!RootFromInclusionProof(static_cast<std::uint64_t>(t.proof_index),
                                static_cast<std::uint64_t>(t.tree_size), leaf_hash, t.hashes,
                                &root_hash) ||
        root_hash != t.root_hash) {
      return MakeFailure(Reason::kTlogProofInvalid, input,
                         "the Rekor entry's inclusion proof does not lead to its root hash (the "
                         "proof or the entry was altered)");
    }
    if (!VerifyCheckpoint(t.checkpoint, *log, log_key.value(), &cp_size, &root_hash, &why))
      return MakeFailure(Reason::kTlogProofInvalid, input, "the Rekor checkpoint: " + why);
    if (cp_size != static_cast<std::uint64_t>(t.tree_size) || root_hash != t.root_hash) {
      return MakeFailure(Reason::kTlogProofInvalid, input,
                         "the Rekor checkpoint's tree size and root hash are not the inclusion "
                         "proof's");
    }
  }
  if (!t.set.empty()) {
    std::string canonical = "{\"body\":\"" + Base64Encode(t.body) +
                            "\",\"integratedTime\":" + std::to_string(t.integrated_time) +
                            ",\"logID\":\"" + out.log_id_hex +
                            "\",\"logIndex\":" + std::to_string(t.log_index) + "}";
    if (!log_key->Verify(canonical, t.set)) {
      return MakeFailure(Reason::kTlogProofInvalid, input,
                         "the Rekor entry's signed entry timestamp does not verify under the log's "
                         "key of the trusted root");
    }
  }
  return out;
}

}  // namespace sr::policy
