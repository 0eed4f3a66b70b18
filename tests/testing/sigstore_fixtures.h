// Test fixtures for keyless (Sigstore) provenance: the real bundles and
// trusted root in the test data, JSON edits of them, and a small Sigstore of
// our own (a Fulcio-like CA issuing leaves with Fulcio's extensions, a
// Rekor-like log key signing entries, checkpoints and SETs, and the trusted
// root naming both) to make bundles that differ from a valid one in exactly
// one field.
#ifndef STRONGROOM_TESTS_TESTING_SIGSTORE_FIXTURES_H_
#define STRONGROOM_TESTS_TESTING_SIGSTORE_FIXTURES_H_

#include <google/protobuf/util/time_util.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/openssl_ptr.h"
#include "policy/dsse.h"
#include "policy/sigstore.h"

namespace sr::testing {

inline std::string SigstoreData(const std::string& name) {
  return std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/" + name;
}
inline std::string ReadData(const std::string& name) {
  auto t = ReadFile(SigstoreData(name));
  return t.ok() ? std::move(t).value() : std::string();
}

// The real samples and the identities their certificates name (read with
// `openssl x509 -text`).
struct RealBundle {
  const char* file;
  const char* artifact;
  const char* workflow;
  const char* ref;
  const char* source_repository;
};
inline const std::vector<RealBundle>& RealBundles() {
  static const std::vector<RealBundle> k = {
      {"realworld/bcr-rules_lint-v1.3.1.tar.gz.intoto.jsonl", "bcr-rules_lint-v1.3.1.tar.gz",
       "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml",
       "refs/tags/v7.1.0", "https://github.com/aspect-build/rules_lint"},
      {"realworld/bcr-MODULE.bazel.intoto.jsonl", "bcr-MODULE.bazel",
       "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml",
       "refs/tags/v0.0.1", "https://github.com/aspect-build/rules_lint"},
      {"realworld/gha-maven-v2.1.0-binary-linux-amd64-push-v14.build.slsa",
       "gha-maven-v2.1.0-binary-linux-amd64-push-v14",
       "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
       "delegator_lowperms-generic_slsa3.yml",
       "refs/tags/v2.1.0", "https://github.com/slsa-framework/example-package"},
  };
  return k;
}
inline constexpr const char* kGithubIssuer = "https://token.actions.githubusercontent.com";

inline std::string Der(X509* c) {
  unsigned char* p = nullptr;
  int n = i2d_X509(c, &p);
  std::string out(reinterpret_cast<char*>(p), static_cast<std::size_t>(n));
  OPENSSL_free(p);
  return out;
}
inline std::string Spki(EVP_PKEY* k) {
  unsigned char* p = nullptr;
  int n = i2d_PUBKEY(k, &p);
  std::string out(reinterpret_cast<char*>(p), static_cast<std::size_t>(n));
  OPENSSL_free(p);
  return out;
}
inline std::string Pem(X509* c) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), c);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}
inline std::string EcSign(EVP_PKEY* k, std::string_view msg) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k);
  std::size_t n = 0;
  EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(msg.data()),
                 msg.size());
  std::string sig(n, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                 reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  sig.resize(n);
  return sig;
}
inline PkeyPtr NewEcKey() { return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

inline std::string RfcTime(std::int64_t t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(t);
  return google::protobuf::util::TimeUtil::ToString(ts);
}

struct LeafIdentity {
  std::string issuer = kGithubIssuer;
  std::string san;  // workflow@ref
  std::string source_repository, source_ref, source_digest;
};

inline void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}
inline void AddUtf8Ext(X509* cert, const char* oid, const std::string& value) {
  if (value.empty()) return;
  ASN1_UTF8STRING* s = ASN1_UTF8STRING_new();
  ASN1_STRING_set(s, value.data(), static_cast<int>(value.size()));
  unsigned char* der = nullptr;
  int n = i2d_ASN1_UTF8STRING(s, &der);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, der, n);
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OBJECT_free(obj);
  ASN1_OCTET_STRING_free(os);
  OPENSSL_free(der);
  ASN1_UTF8STRING_free(s);
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is
// null), valid [not_before, not_after] (Unix seconds).
inline X509Ptr MakeCert(EVP_PKEY* key, EVP_PKEY* issuer_key, X509* issuer, const char* cn, bool ca,
                        std::int64_t not_before, std::int64_t not_after,
                        const LeafIdentity* id = nullptr) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial);
  ASN1_TIME_set(X509_getm_notBefore(c.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(c.get()), static_cast<time_t>(not_after));
  X509_NAME* name = X509_get_subject_name(c.get());
  if (cn != nullptr) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("sigstore.test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
  }
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(c.get(), key);
  X509* iss = issuer ? issuer : c.get();
  AddExt(c.get(), iss, NID_subject_key_identifier, "hash");
  if (ca) {
    AddExt(c.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(c.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(c.get(), iss, NID_authority_key_identifier, "keyid:always");
    AddExt(c.get(), iss, NID_key_usage, "critical,digitalSignature");
    AddExt(c.get(), iss, NID_ext_key_usage, "codeSigning");
  }
  if (id != nullptr) {
    AddExt(c.get(), iss, NID_subject_alt_name, ("critical,URI:" + id->san).c_str());
    AddUtf8Ext(c.get(), "1.3.6.1.4.1.57264.1.8", id->issuer);
    AddUtf8Ext(c.get(), "1.3.6.1.4.1.57264.1.12", id->source_repository);
    AddUtf8Ext(c.get(), "1.3.6.1.4.1.57264.1.13", id->source_digest);
    AddUtf8Ext(c.get(), "1.3.6.1.4.1.57264.1.14", id->source_ref);
  }
  X509_sign(c.get(), issuer_key, EVP_sha256());
  return c;
}

// A small Sigstore: a root CA, a Rekor-like log key, and bundles they make.
struct MiniSigstore {
  std::int64_t now = 1750000000;  // the log's integratedTime for new entries
  PkeyPtr ca_key = NewEcKey();
  X509Ptr ca = MakeCert(ca_key.get(), ca_key.get(), nullptr, "mini-fulcio", true, now - 365 * 86400,
                        now + 3650 * 86400);
  PkeyPtr log_key = NewEcKey();
  std::string log_id = Sha256Bytes(Spki(log_key.get()));

  // trusted_root.json naming this CA and this log.
  std::string TrustedRootJson() const {
    nlohmann::json j = {
        {"mediaType", "application/vnd.dev.sigstore.trustedroot+json;version=0.1"},
        {"tlogs",
         {{{"baseUrl", "https://rekor.test"},
           {"hashAlgorithm", "SHA2_256"},
           {"publicKey",
            {{"rawBytes", Base64Encode(Spki(log_key.get()))},
             {"keyDetails", "PKIX_ECDSA_P256_SHA_256"},
             {"validFor", {{"start", RfcTime(now - 365 * 86400)}}}}},
           {"logId", {{"keyId", Base64Encode(log_id)}}}}}},
        {"certificateAuthorities",
         {{{"subject", {{"organization", "sigstore.test"}, {"commonName", "mini-fulcio"}}},
           {"uri", "https://fulcio.test"},
           {"certChain", {{"certificates", {{{"rawBytes", Base64Encode(Der(ca.get()))}}}}}},
           {"validFor", {{"start", RfcTime(now - 365 * 86400)}}}}}},
        {"ctlogs", nlohmann::json::array()},
        {"timestampAuthorities", nlohmann::json::array()}};
    return j.dump();
  }

  struct Options {
    LeafIdentity id;
    std::int64_t not_before_offset = -60, not_after_offset = 540;  // relative to now
    EVP_PKEY* issuer_key = nullptr;  // another CA's key (default: this CA)
    X509* issuer = nullptr;
    std::string payload = R"({"_type":"https://in-toto.io/Statement/v1","subject":[]})";
  };

  // A v0.3 bundle with a dsse 0.0.1 entry, its SET and an inclusion proof in
  // a tree of two leaves with a signed checkpoint.
  std::string Bundle(const Options& o) const {
    PkeyPtr leaf_key = NewEcKey();
    X509Ptr leaf = MakeCert(leaf_key.get(), o.issuer_key ? o.issuer_key : ca_key.get(),
                            o.issuer ? o.issuer : ca.get(), nullptr, false,
                            now + o.not_before_offset, now + o.not_after_offset, &o.id);
    const std::string type = "application/vnd.in-toto+json";
    std::string sig = EcSign(leaf_key.get(), policy::PreAuthEncoding(type, o.payload));
    nlohmann::json envelope = {{"payload", Base64Encode(o.payload)},
                               {"payloadType", type},
                               {"signatures", {{{"sig", Base64Encode(sig)}, {"keyid", ""}}}}};
    nlohmann::json body = {
        {"apiVersion", "0.0.1"},
        {"kind", "dsse"},
        {"spec",
         {{"envelopeHash", {{"algorithm", "sha256"}, {"value", Sha256Hex(envelope.dump())}}},
          {"payloadHash", {{"algorithm", "sha256"}, {"value", Sha256Hex(o.payload)}}},
          {"signatures",
           {{{"signature", Base64Encode(sig)}, {"verifier", Base64Encode(Pem(leaf.get()))}}}}}}};
    std::string body_text = body.dump();
    const std::int64_t log_index = 4242;
    std::string set_text = "{\"body\":\"" + Base64Encode(body_text) +
                           "\",\"integratedTime\":" + std::to_string(now) + ",\"logID\":\"" +
                           HexEncode(log_id) + "\",\"logIndex\":" + std::to_string(log_index) + "}";
    std::string leaf_hash = Sha256Bytes(std::string(1, '\0') + body_text);
    std::string sibling = Sha256Bytes("another entry");
    std::string root = Sha256Bytes(std::string(1, '\x01') + sibling + leaf_hash);
    std::string note = "rekor.test - 1\n2\n" + Base64Encode(root) + "\n";
    std::string note_sig = log_id.substr(0, 4) + EcSign(log_key.get(), note);
    note += "\n\xE2\x80\x94 rekor.test " + Base64Encode(note_sig) + "\n";
    nlohmann::json bundle = {
        {"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
        {"verificationMaterial",
         {{"certificate", {{"rawBytes", Base64Encode(Der(leaf.get()))}}},
          {"tlogEntries",
           {{{"logIndex", std::to_string(log_index)},
             {"logId", {{"keyId", Base64Encode(log_id)}}},
             {"kindVersion", {{"kind", "dsse"}, {"version", "0.0.1"}}},
             {"integratedTime", std::to_string(now)},
             {"inclusionPromise",
              {{"signedEntryTimestamp", Base64Encode(EcSign(log_key.get(), set_text))}}},
             {"inclusionProof",
              {{"logIndex", "1"},
               {"rootHash", Base64Encode(root)},
               {"treeSize", "2"},
               {"hashes", {Base64Encode(sibling)}},
               {"checkpoint", {{"envelope", note}}}}},
             {"canonicalizedBody", Base64Encode(body_text)}}}}}},
        {"dsseEnvelope", envelope}};
    return bundle.dump();
  }
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_SIGSTORE_FIXTURES_H_
