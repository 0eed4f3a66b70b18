// A loaded PKCS#11 module (dlopen + C_GetFunctionList + C_Initialize) and its
// tokens. strongroom talks to the module's own function list directly; see
// docs/hsm.md for why libp11 is not on this path.
//
// Ownership: Module::Load returns a shared_ptr; Sessions keep it alive. A
// module is initialized once per process (PKCS#11 initialization is
// process-wide), so Load returns the already-loaded instance for the same
// path while one is alive; C_Finalize and dlclose run when the last owner
// releases it. Thread-safety: the module is initialized with
// CKF_OS_LOCKING_OK; Module methods may be called from any thread, but
// strongroom serializes HSM use per station anyway (station.lock).
#ifndef STRONGROOM_HSM_MODULE_H_
#define STRONGROOM_HSM_MODULE_H_

#include <p11-kit/pkcs11.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace sr::hsm {

// The Debian path of SoftHSMv2, strongroom's embedded default module.
inline constexpr std::string_view kSoftHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

// Bounds on labels we write into tokens (CKA_LABEL and token labels).
inline constexpr std::size_t kMaxTokenLabelBytes = 32;

struct TokenInfo {
  unsigned long slot = 0;  // CK_SLOT_ID; may change across processes
  std::string label;       // blank-padding removed
  std::string serial;      // blank-padding removed
  std::string manufacturer;
  std::string model;
  bool initialized = false;  // CKF_TOKEN_INITIALIZED
  bool user_pin_initialized = false;
};

class Module {
 public:
  // Loads and initializes the module at path (absolute). Errors: kNotFound
  // when the file does not exist; kHsm naming the path and dlerror() when it
  // cannot be loaded, or with the CKR_ name when C_Initialize fails.
  static Result<std::shared_ptr<Module>> Load(const std::string& path);

  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module();  // C_Finalize; the module stays mapped

  const std::string& path() const { return path_; }
  CK_FUNCTION_LIST* functions() const { return fn_; }

  // Every slot with a token present, initialized or not.
  // With `stop`, reading slots ends after the first token it accepts (that
  // token is last in the list).
  Result<std::vector<TokenInfo>> ListTokens(
      const std::function<bool(const TokenInfo&)>& stop = nullptr) const;

  // The initialized token with this label (and this serial if non-empty).
  // kNotFound naming the module and the labels that do exist. With `seen`,
  // every token read on the way (the one found last) is also stored there,
  // so that a caller looking for several tokens need not read them again.
  Result<TokenInfo> FindToken(std::string_view label, std::string_view serial = "",
                              std::vector<TokenInfo>* seen = nullptr) const;

  // Initializes a fresh token: C_InitToken on a slot with an uninitialized
  // token, then sets the user PIN (SO login + C_InitPIN). Refuses
  // (kAlreadyExists) when a token with this label already exists. Returns the
  // token as found again after initialization.
  Result<TokenInfo> InitToken(std::string_view label, const SecretBytes& so_pin,
                              const SecretBytes& user_pin);

  // "module /usr/lib/softhsm/libsofthsm2.so" for error messages.
  std::string Describe() const;

 private:
  Module(std::string path, void* handle, CK_FUNCTION_LIST* fn)
      : path_(std::move(path)), handle_(handle), fn_(fn) {}
  Status SetUserPin(unsigned long slot, const SecretBytes& so_pin, const SecretBytes& user_pin);

  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST* fn_;
};

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_MODULE_H_
