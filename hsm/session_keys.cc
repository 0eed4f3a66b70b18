// Session: key generation and lookup (split from session.cc for size).
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include <cstring>
#include <vector>

#include "hsm/pkcs11_error.h"
#include "hsm/pubkey.h"
#include "hsm/session.h"
#include "hsm/uri.h"

namespace sr::hsm {
namespace {

CK_BBOOL kTrue = CK_TRUE;
CK_BBOOL kFalse = CK_FALSE;

CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE t, const void* p, std::size_t n) {
  return CK_ATTRIBUTE{t, const_cast<void*>(p), static_cast<CK_ULONG>(n)};
}
CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE t, std::string_view s) { return Attr(t, s.data(), s.size()); }
CK_ATTRIBUTE Flag(CK_ATTRIBUTE_TYPE t, bool v) { return Attr(t, v ? &kTrue : &kFalse, 1); }

// What a module answers to a key template it will not make (tpm2-pkcs11
// says CKR_GENERAL_ERROR).
bool IsTemplateRefusal(CK_RV rv) {
  return rv == CKR_GENERAL_ERROR || rv == CKR_TEMPLATE_INCONSISTENT ||
         rv == CKR_ATTRIBUTE_VALUE_INVALID;
}

// One C_GenerateKeyPair with strongroom's template for algorithm; with
// deny_encryption false, without CKA_ENCRYPT/CKA_DECRYPT false.
CK_RV CallGenerateKeyPair(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE session, std::string_view label,
                          std::string_view id, Algorithm algorithm, bool deny_encryption,
                          CK_OBJECT_HANDLE* pub_h) {
  static const CK_ULONG kRsaBits = 3072;
  static const unsigned char kExponent[] = {0x01, 0x00, 0x01};
  std::vector<CK_ATTRIBUTE> pub = {Flag(CKA_TOKEN, true),  Flag(CKA_PRIVATE, false),
                                   Flag(CKA_VERIFY, true), Flag(CKA_ENCRYPT, false),
                                   Flag(CKA_WRAP, false),  Attr(CKA_LABEL, label),
                                   Attr(CKA_ID, id)};
  std::vector<CK_ATTRIBUTE> priv = {Flag(CKA_TOKEN, true),     Flag(CKA_PRIVATE, true),
                                    Flag(CKA_SENSITIVE, true), Flag(CKA_EXTRACTABLE, false),
                                    Flag(CKA_SIGN, true),      Flag(CKA_DECRYPT, false),
                                    Flag(CKA_UNWRAP, false),   Flag(CKA_DERIVE, false),
                                    Attr(CKA_LABEL, label),    Attr(CKA_ID, id)};
  if (!deny_encryption) {
    std::erase_if(pub, [](const CK_ATTRIBUTE& a) { return a.type == CKA_ENCRYPT; });
    std::erase_if(priv, [](const CK_ATTRIBUTE& a) { return a.type == CKA_DECRYPT; });
  }
  CK_MECHANISM_TYPE allowed;
  CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  std::string_view params = EcParamsFor(algorithm);
  switch (algorithm) {
    case Algorithm::kEcdsaP256:
    case Algorithm::kEcdsaP384:
      allowed = CKM_ECDSA;
      pub.push_back(Attr(CKA_EC_PARAMS, params));
      break;
    case Algorithm::kEd25519:
      allowed = CKM_EDDSA;
      mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
      pub.push_back(Attr(CKA_EC_PARAMS, params));
      break;
    case Algorithm::kRsaPss3072:
      allowed = CKM_RSA_PKCS_PSS;
      mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
      pub.push_back(Attr(CKA_MODULUS_BITS, &kRsaBits, sizeof kRsaBits));
      pub.push_back(Attr(CKA_PUBLIC_EXPONENT, kExponent, sizeof kExponent));
      break;
  }
  priv.push_back(Attr(CKA_ALLOWED_MECHANISMS, &allowed, sizeof allowed));
  CK_OBJECT_HANDLE priv_h = 0;
  return fn->C_GenerateKeyPair(session, &mech, pub.data(), pub.size(), priv.data(), priv.size(),
                               pub_h, &priv_h);
}

}  // namespace

Result<unsigned long> Session::GenerateKeyPair(std::string_view label, std::string_view id,
                                               Algorithm algorithm) {
  CK_OBJECT_HANDLE pub_h = 0;
  CK_RV rv = CallGenerateKeyPair(module_->functions(), handle_, label, id, algorithm,
                                 /*deny_encryption=*/true, &pub_h);
  if (IsTemplateRefusal(rv)) {
    // A TPM (tpm2-pkcs11) has one object attribute for signing and for
    // encryption, and refuses a key that may sign but not decrypt; it then
    // makes nothing. The key is made without CKA_ENCRYPT/CKA_DECRYPT false,
    // still bound to its one signing mechanism by CKA_ALLOWED_MECHANISMS.
    SR_ASSIGN_OR_RETURN(std::vector<unsigned long> made, FindObjects(kAnyClass, label, id));
    if (made.empty()) {
      rv = CallGenerateKeyPair(module_->functions(), handle_, label, id, algorithm,
                               /*deny_encryption=*/false, &pub_h);
    }
  }
  if (rv != CKR_OK) {
    return CkrError(rv, "C_GenerateKeyPair (" + std::string(AlgorithmName(algorithm)) + ")",
                    Describe() + ", key '" + std::string(label) + "'");
  }
  return pub_h;
}

Result<KeyInfo> Session::GenerateKey(std::string_view label, Algorithm algorithm) {
  SR_RETURN_IF_ERROR(ValidateKeyLabel(label));
  std::lock_guard<std::mutex> lock(mu_);
  if (!user_access_) return FailedPrecondition("generating a key needs a login to " + Describe());
  for (unsigned long cls : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    SR_ASSIGN_OR_RETURN(std::vector<unsigned long> same, FindObjects(cls, label, ""));
    if (!same.empty()) {
      return Status(Code::kAlreadyExists,
                    "a key labelled '" + std::string(label) + "' already exists in " + Describe());
    }
  }
  std::string id(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), id.size()) != 1) {
    return Internal("the random generator failed to produce a key id");
  }
  SR_ASSIGN_OR_RETURN(unsigned long pub, GenerateKeyPair(label, id, algorithm));
  return DescribePublicKey(pub);
}

Status Session::DestroyKey(const KeyInfo& key) {
  if (key.label.empty() || key.id.empty())
    return InvalidArgument("a key to destroy needs its label and CKA_ID");
  std::lock_guard<std::mutex> lock(mu_);
  if (!user_access_) return FailedPrecondition("destroying a key needs a login to " + Describe());
  SR_ASSIGN_OR_RETURN(std::vector<unsigned long> found, FindObjects(kAnyClass, key.label, key.id));
  for (unsigned long h : found) {
    CK_RV rv = module_->functions()->C_DestroyObject(handle_, h);
    if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
      return CkrError(rv, "C_DestroyObject", Describe() + ", key '" + key.label + "'");
  }
  return Status::Ok();
}

Result<KeyHandle> Session::FindKey(std::string_view label_or_uri) {
  std::string label(label_or_uri), id;
  if (label_or_uri.starts_with("pkcs11:")) {
    SR_ASSIGN_OR_RETURN(Pkcs11Uri uri, Pkcs11Uri::Parse(label_or_uri));
    if ((!uri.token.empty() && uri.token != token_.label) ||
        (!uri.serial.empty() && uri.serial != token_.serial)) {
      return NotFound("key " + std::string(label_or_uri) + " names another token than " +
                      Describe());
    }
    if (uri.object.empty() && uri.id.empty()) {
      return InvalidArgument("key URI " + std::string(label_or_uri) + " has neither object nor id");
    }
    label = uri.object;
    id = uri.id;
  }
  std::lock_guard<std::mutex> lock(mu_);
  // One search for both halves (SoftHSMv2 reads every object of the token
  // for each search), then each match's class and id.
  SR_ASSIGN_OR_RETURN(std::vector<unsigned long> found, FindObjects(kAnyClass, label, id));
  std::vector<unsigned long> pubs;
  std::vector<std::pair<unsigned long, std::string>> privs;  // handle, CKA_ID
  for (unsigned long h : found) {
    SR_ASSIGN_OR_RETURN(auto a, GetAttributes(h, {CKA_CLASS, CKA_ID}));
    CK_OBJECT_CLASS cls = 0;
    if (!a[0] || a[0]->size() != sizeof cls) continue;
    std::memcpy(&cls, a[0]->data(), sizeof cls);
    if (cls == CKO_PUBLIC_KEY) pubs.push_back(h);
    if (cls == CKO_PRIVATE_KEY && a[1]) privs.emplace_back(h, std::move(*a[1]));
  }
  if (pubs.empty()) {
    return NotFound("no key '" + std::string(label_or_uri) + "' in " + Describe());
  }
  if (pubs.size() > 1) {
    return InvalidArgument("key '" + std::string(label_or_uri) + "' is ambiguous in " + Describe() +
                           " (" + std::to_string(pubs.size()) + " matches)");
  }
  KeyHandle k;
  SR_ASSIGN_OR_RETURN(k.info, DescribePublicKey(pubs[0]));
  k.public_handle = pubs[0];
  if (!user_access_) return k;
  // The private half is the match of the public half's id (and label, when
  // the search named one).
  std::vector<unsigned long> same;
  for (const auto& [h, priv_id] : privs)
    if (priv_id == k.info.id) same.push_back(h);
  if (same.size() != 1) {
    return NotFound("key " + k.info.uri + " has no private key in " + Describe());
  }
  k.private_handle = same[0];
  return k;
}

Result<std::string> Session::ReadPrivateAttribute(const KeyHandle& key, unsigned long type) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key.private_handle == 0)
    return FailedPrecondition("key " + key.info.uri + " was found without a login");
  return GetAttribute(key.private_handle, type);
}

Result<bool> Session::PrivateFlag(const KeyHandle& key, unsigned long type) {
  SR_ASSIGN_OR_RETURN(std::string v, ReadPrivateAttribute(key, type));
  if (v.size() != 1) return InvalidArgument("attribute is not a CK_BBOOL");
  return v[0] != 0;
}

}  // namespace sr::hsm
