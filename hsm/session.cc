#include "hsm/session.h"

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstring>

#include "base/hash.h"
#include "hsm/pkcs11_error.h"
#include "hsm/pubkey.h"
#include "hsm/uri.h"

namespace sr::hsm {
namespace {

constexpr CK_ULONG kMaxAttributeBytes = 64 * 1024;
// Room for a label, an id, EC parameters and a point (97 bytes for P-384)
// in GetAttributes' first try; an RSA modulus is 384 bytes.
constexpr CK_ULONG kGuessAttributeBytes = 512;
CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE t, const void* p, std::size_t n) {
  return CK_ATTRIBUTE{t, const_cast<void*>(p), static_cast<CK_ULONG>(n)};
}
CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE t, std::string_view s) { return Attr(t, s.data(), s.size()); }

// The one mechanism each key may be used with (CKA_ALLOWED_MECHANISMS).
CK_MECHANISM_TYPE SignMechanism(Algorithm a) {
  switch (a) {
    case Algorithm::kEcdsaP256:
    case Algorithm::kEcdsaP384:
      return CKM_ECDSA;
    case Algorithm::kEd25519:
      return CKM_EDDSA;
    case Algorithm::kRsaPss3072:
      return CKM_RSA_PKCS_PSS;
  }
  return CKM_VENDOR_DEFINED;
}

Result<std::string> Digest(const EVP_MD* md, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(message.data(), message.size(), out, &n, md, nullptr)) {
    return Internal("hashing the message failed");
  }
  return std::string(reinterpret_cast<char*>(out), n);
}

Result<Algorithm> AlgorithmFromEcParams(std::string_view params, bool edwards) {
  for (Algorithm a : {Algorithm::kEcdsaP256, Algorithm::kEcdsaP384, Algorithm::kEd25519}) {
    if (params == EcParamsFor(a) && edwards == (a == Algorithm::kEd25519)) return a;
  }
  // SoftHSMv2 also accepts the PrintableString form for Ed25519.
  if (edwards && params == std::string_view("\x13\x0c"
                                            "edwards25519",
                                            14)) {
    return Algorithm::kEd25519;
  }
  return InvalidArgument("unsupported curve parameters");
}

}  // namespace

Status ValidateKeyLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxKeyLabelBytes) {
    return InvalidArgument("key label must be 1 to 64 characters, got " +
                           std::to_string(label.size()));
  }
  if (label[0] == '.' || label[0] == '-') {
    return InvalidArgument("key label '" + std::string(label) + "' must not start with '.' or '-'");
  }
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument("key label '" + std::string(label) +
                             "' may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Session>> Session::Open(std::shared_ptr<Module> module,
                                               const TokenInfo& token, const SecretBytes* pin) {
  CK_FUNCTION_LIST_PTR fn = module->functions();
  std::string where =
      module->Describe() + ", token '" + token.label + "' (serial " + token.serial + ")";
  CK_SESSION_HANDLE h = 0;
  CK_RV rv =
      fn->C_OpenSession(token.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return CkrError(rv, "C_OpenSession", where);
  std::unique_ptr<Session> s(new Session(std::move(module), token, h));
  if (pin != nullptr) {
    // Exactly one attempt: a wrong PIN is reported, never retried, so
    // strongroom can never lock a token by itself.
    rv = fn->C_Login(h, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin->data()), pin->size());
    if (rv != CKR_OK) return CkrError(rv, "C_Login as user", where);
    s->logged_in_ = true;
    s->user_access_ = true;
  } else {
    // Without a PIN the session still has user access when this process is
    // already logged in to the token through another session (PKCS#11 login
    // state is per token and application).
    CK_SESSION_INFO info;
    if (fn->C_GetSessionInfo(h, &info) == CKR_OK)
      s->user_access_ = info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS;
  }
  return s;
}

Status Session::ChangePin(std::shared_ptr<Module> module, const TokenInfo& token, bool so,
                          const SecretBytes& old_pin, const SecretBytes& new_pin) {
  CK_FUNCTION_LIST_PTR fn = module->functions();
  std::string where =
      module->Describe() + ", token '" + token.label + "' (serial " + token.serial + ")";
  CK_SESSION_HANDLE h = 0;
  CK_RV rv =
      fn->C_OpenSession(token.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return CkrError(rv, "C_OpenSession", where);
  rv = fn->C_Login(h, so ? CKU_SO : CKU_USER, const_cast<CK_UTF8CHAR_PTR>(old_pin.data()),
                   old_pin.size());
  if (rv != CKR_OK) {
    fn->C_CloseSession(h);
    return CkrError(rv, so ? "C_Login as SO" : "C_Login as user", where);
  }
  rv = fn->C_SetPIN(h, const_cast<CK_UTF8CHAR_PTR>(old_pin.data()), old_pin.size(),
                    const_cast<CK_UTF8CHAR_PTR>(new_pin.data()), new_pin.size());
  fn->C_Logout(h);
  fn->C_CloseSession(h);
  if (rv != CKR_OK)
    return CkrError(rv, so ? "C_SetPIN of the SO PIN" : "C_SetPIN of the user PIN", where);
  return Status::Ok();
}

Session::~Session() {
  CK_FUNCTION_LIST_PTR fn = module_->functions();
  if (logged_in_) fn->C_Logout(handle_);
  fn->C_CloseSession(handle_);
}

std::string Session::Describe() const {
  return module_->Describe() + ", token '" + token_.label + "' (serial " + token_.serial + ")";
}

std::string Session::KeyUri(std::string_view label, std::string_view id) const {
  Pkcs11Uri u;
  u.token = token_.label;
  u.serial = token_.serial;
  u.object = std::string(label);
  u.id = std::string(id);
  u.type = "private";
  return u.ToString();
}

Result<std::string> Session::GetAttribute(unsigned long object, unsigned long type) {
  CK_FUNCTION_LIST_PTR fn = module_->functions();
  CK_ATTRIBUTE a = Attr(type, nullptr, 0);
  CK_RV rv = fn->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv != CKR_OK) return CkrError(rv, "C_GetAttributeValue", Describe());
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > kMaxAttributeBytes) {
    return InvalidArgument("attribute 0x" + std::to_string(type) + " has no usable value in " +
                           Describe());
  }
  std::string v(a.ulValueLen, '\0');
  a.pValue = v.data();
  rv = fn->C_GetAttributeValue(handle_, object, &a, 1);
  if (rv != CKR_OK) return CkrError(rv, "C_GetAttributeValue", Describe());
  v.resize(a.ulValueLen);
  return v;
}

Result<std::vector<std::optional<std::string>>> Session::GetAttributes(
    unsigned long object, std::initializer_list<unsigned long> types) {
  CK_FUNCTION_LIST_PTR fn = module_->functions();
  std::vector<std::optional<std::string>> out(types.size());
  // First with room for what a key's attributes usually take: one call.
  std::vector<CK_ATTRIBUTE> guess;
  for (unsigned long type : types) {
    out[guess.size()].emplace(kGuessAttributeBytes, '\0');
    guess.push_back(Attr(type, out[guess.size()]->data(), kGuessAttributeBytes));
  }
  CK_RV rv = fn->C_GetAttributeValue(handle_, object, guess.data(), guess.size());
  if (rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) {
    for (std::size_t i = 0; i < guess.size(); ++i) {
      if (guess[i].ulValueLen == CK_UNAVAILABLE_INFORMATION || guess[i].ulValueLen > kGuessAttributeBytes)
        out[i].reset();
      else
        out[i]->resize(guess[i].ulValueLen);
    }
    return out;
  }
  if (rv != CKR_BUFFER_TOO_SMALL) return CkrError(rv, "C_GetAttributeValue", Describe());
  // One did not fit: their sizes, then their values.
  std::vector<CK_ATTRIBUTE> sizes;
  for (unsigned long type : types) sizes.push_back(Attr(type, nullptr, 0));
  rv = fn->C_GetAttributeValue(handle_, object, sizes.data(), sizes.size());
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE)
    return CkrError(rv, "C_GetAttributeValue", Describe());
  std::vector<CK_ATTRIBUTE> values;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    out[i].reset();
    if (sizes[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) continue;
    if (sizes[i].ulValueLen > kMaxAttributeBytes) {
      return InvalidArgument("attribute 0x" + std::to_string(sizes[i].type) + " of " +
                             std::to_string(sizes[i].ulValueLen) + " bytes in " + Describe() +
                             " is larger than any key attribute strongroom reads");
    }
    out[i].emplace(sizes[i].ulValueLen, '\0');
    values.push_back(Attr(sizes[i].type, out[i]->data(), out[i]->size()));
    where.push_back(i);
  }
  if (values.empty()) return out;
  rv = fn->C_GetAttributeValue(handle_, object, values.data(), values.size());
  if (rv != CKR_OK) return CkrError(rv, "C_GetAttributeValue", Describe());
  for (std::size_t j = 0; j < values.size(); ++j) out[where[j]]->resize(values[j].ulValueLen);
  return out;
}

Result<std::vector<unsigned long>> Session::FindObjects(unsigned long cls, std::string_view label,
                                                        std::string_view id) {
  CK_FUNCTION_LIST_PTR fn = module_->functions();
  CK_OBJECT_CLASS klass = cls;
  std::vector<CK_ATTRIBUTE> tmpl;
  if (cls != kAnyClass) tmpl.push_back(Attr(CKA_CLASS, &klass, sizeof klass));
  if (!label.empty()) tmpl.push_back(Attr(CKA_LABEL, label));
  if (!id.empty()) tmpl.push_back(Attr(CKA_ID, id));
  CK_RV rv = fn->C_FindObjectsInit(handle_, tmpl.data(), tmpl.size());
  if (rv != CKR_OK) return CkrError(rv, "C_FindObjectsInit", Describe());
  std::vector<unsigned long> out;
  CK_OBJECT_HANDLE batch[64];
  for (;;) {
    CK_ULONG n = 0;
    rv = fn->C_FindObjects(handle_, batch, 64, &n);
    if (rv != CKR_OK || n == 0) break;
    out.insert(out.end(), batch, batch + n);
  }
  fn->C_FindObjectsFinal(handle_);
  if (rv != CKR_OK) return CkrError(rv, "C_FindObjects", Describe());
  return out;
}

Result<KeyInfo> Session::DescribePublicKey(unsigned long object) {
  // One read for every attribute an EC or Edwards key has; an RSA key's two
  // come in a second one.
  SR_ASSIGN_OR_RETURN(auto attrs, GetAttributes(object, {CKA_KEY_TYPE, CKA_LABEL, CKA_ID,
                                                         CKA_EC_PARAMS, CKA_EC_POINT}));
  auto required = [&](std::optional<std::string>& v, const char* name) -> Result<std::string> {
    if (!v) return InvalidArgument(std::string(name) + " has no usable value in " + Describe());
    return std::move(*v);
  };
  SR_ASSIGN_OR_RETURN(std::string type_bytes, required(attrs[0], "CKA_KEY_TYPE"));
  CK_KEY_TYPE type = 0;
  if (type_bytes.size() != sizeof type) return InvalidArgument("bad CKA_KEY_TYPE");
  std::memcpy(&type, type_bytes.data(), sizeof type);
  KeyInfo k;
  SR_ASSIGN_OR_RETURN(k.label, required(attrs[1], "CKA_LABEL"));
  SR_ASSIGN_OR_RETURN(k.id, required(attrs[2], "CKA_ID"));
  if (type == CKK_EC || type == CKK_EC_EDWARDS) {
    SR_ASSIGN_OR_RETURN(std::string params, required(attrs[3], "CKA_EC_PARAMS"));
    SR_ASSIGN_OR_RETURN(k.algorithm, AlgorithmFromEcParams(params, type == CKK_EC_EDWARDS));
    SR_ASSIGN_OR_RETURN(std::string point, required(attrs[4], "CKA_EC_POINT"));
    SR_ASSIGN_OR_RETURN(k.spki_der, SpkiFromEcPoint(k.algorithm, point));
  } else if (type == CKK_RSA) {
    SR_ASSIGN_OR_RETURN(auto rsa, GetAttributes(object, {CKA_MODULUS, CKA_PUBLIC_EXPONENT}));
    SR_ASSIGN_OR_RETURN(std::string n, required(rsa[0], "CKA_MODULUS"));
    SR_ASSIGN_OR_RETURN(std::string e, required(rsa[1], "CKA_PUBLIC_EXPONENT"));
    if (n.size() != 384) return InvalidArgument("RSA key is not 3072 bits");
    k.algorithm = Algorithm::kRsaPss3072;
    SR_ASSIGN_OR_RETURN(k.spki_der, SpkiFromRsa(n, e));
  } else {
    return InvalidArgument("unsupported key type");
  }
  k.fingerprint_hex = Sha256Hex(k.spki_der);
  k.uri = KeyUri(k.label, k.id);
  return k;
}

Result<std::vector<KeyInfo>> Session::ListKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  SR_ASSIGN_OR_RETURN(std::vector<unsigned long> objs, FindObjects(CKO_PUBLIC_KEY, "", ""));
  std::vector<KeyInfo> keys;
  for (unsigned long o : objs) {
    Result<KeyInfo> k = DescribePublicKey(o);
    if (k.status().code() == Code::kHsm) return k.status();
    if (k.ok()) keys.push_back(std::move(k).value());  // other key types are not ours: skip
  }
  std::sort(keys.begin(), keys.end(),
            [](const KeyInfo& a, const KeyInfo& b) { return a.label < b.label; });
  return keys;
}

Result<std::string> Session::SignRaw(const KeyHandle& key, std::string_view data) {
  CK_FUNCTION_LIST_PTR fn = module_->functions();
  CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM mech = {SignMechanism(key.info.algorithm), nullptr, 0};
  if (key.info.algorithm == Algorithm::kRsaPss3072) {
    mech.pParameter = &pss;
    mech.ulParameterLen = sizeof pss;
  }
  CK_RV rv = fn->C_SignInit(handle_, &mech, key.private_handle);
  if (rv != CKR_OK) return CkrError(rv, "C_SignInit", key.info.uri + " in " + Describe());
  unsigned char sig[512];
  CK_ULONG n = sizeof sig;
  rv = fn->C_Sign(handle_, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(data.data())),
                  data.size(), sig, &n);
  if (rv != CKR_OK) return CkrError(rv, "C_Sign", key.info.uri + " in " + Describe());
  return std::string(reinterpret_cast<char*>(sig), n);
}

Result<std::string> Session::Sign(const KeyHandle& key, std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key.private_handle == 0) {
    return FailedPrecondition("signing with " + key.info.uri + " needs a login to " + Describe());
  }
  switch (key.info.algorithm) {
    case Algorithm::kEd25519:
      return SignRaw(key, message);
    case Algorithm::kEcdsaP256:
    case Algorithm::kEcdsaP384: {
      const EVP_MD* md = key.info.algorithm == Algorithm::kEcdsaP256 ? Sha256Md() : Sha384Md();
      SR_ASSIGN_OR_RETURN(std::string digest, Digest(md, message));
      SR_ASSIGN_OR_RETURN(std::string raw, SignRaw(key, digest));
      return EcdsaRawToDer(raw);
    }
    case Algorithm::kRsaPss3072: {
      SR_ASSIGN_OR_RETURN(std::string digest, Digest(Sha256Md(), message));
      return SignRaw(key, digest);
    }
  }
  return Internal("unknown algorithm");
}

Result<std::string> Session::SignDigest(const KeyHandle& key, std::string_view digest) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key.private_handle == 0) {
    return FailedPrecondition("signing with " + key.info.uri + " needs a login to " + Describe());
  }
  std::size_t want = key.info.algorithm == Algorithm::kEcdsaP384 ? 48 : 32;
  if (key.info.algorithm == Algorithm::kEd25519) {
    return FailedPrecondition("key " + key.info.uri +
                              " is Ed25519, which signs whole messages, not digests");
  }
  if (digest.size() != want) {
    return InvalidArgument("a " + std::string(AlgorithmName(key.info.algorithm)) +
                           " signature needs a " + std::to_string(want) + "-byte digest, not " +
                           std::to_string(digest.size()) + " bytes");
  }
  SR_ASSIGN_OR_RETURN(std::string raw, SignRaw(key, digest));
  if (key.info.algorithm == Algorithm::kRsaPss3072) return raw;
  return EcdsaRawToDer(raw);
}

}  // namespace sr::hsm
