#include "hsm/module.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>

#include "hsm/pkcs11_error.h"

namespace sr::hsm {
namespace {

// PKCS#11 initialization is process-wide, so one Module per library path may
// be alive at a time; this registry hands out the live one. It holds only
// weak references, so it never keeps a module loaded.
std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<Module>>& Registry() {
  static std::map<std::string, std::weak_ptr<Module>> r;
  return r;
}

std::string Trim(const unsigned char* p, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  std::size_t end = s.find_last_not_of(" \0", std::string::npos, 2);
  return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

TokenInfo ToTokenInfo(CK_SLOT_ID slot, const CK_TOKEN_INFO& ti) {
  TokenInfo t;
  t.slot = slot;
  t.label = Trim(ti.label, sizeof ti.label);
  t.serial = Trim(ti.serialNumber, sizeof ti.serialNumber);
  t.manufacturer = Trim(ti.manufacturerID, sizeof ti.manufacturerID);
  t.model = Trim(ti.model, sizeof ti.model);
  t.initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
  t.user_pin_initialized = (ti.flags & CKF_USER_PIN_INITIALIZED) != 0;
  return t;
}

CK_UTF8CHAR_PTR PinPtr(const SecretBytes& pin) { return const_cast<CK_UTF8CHAR_PTR>(pin.data()); }

}  // namespace

Result<std::shared_ptr<Module>> Module::Load(const std::string& path) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  if (auto live = Registry()[path].lock()) return live;
  if (path.empty() || path[0] != '/') {
    return InvalidArgument("PKCS#11 module path must be absolute, got '" + path + "'");
  }
  if (::access(path.c_str(), F_OK) != 0) {
    return NotFound("PKCS#11 module " + path + " does not exist");
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Status(Code::kHsm, "cannot load PKCS#11 module " + path + ": " +
                                  (err ? err : "unknown dlopen error"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    ::dlclose(handle);
    return Status(Code::kHsm,
                  "PKCS#11 module " + path + " has no C_GetFunctionList; is it a PKCS#11 module?");
  }
  CK_FUNCTION_LIST_PTR fn = nullptr;
  CK_RV rv = get_list(&fn);
  if (rv != CKR_OK || fn == nullptr) {
    ::dlclose(handle);
    return CkrError(rv, "C_GetFunctionList", "module " + path);
  }
  CK_C_INITIALIZE_ARGS args;
  std::memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  rv = fn->C_Initialize(&args);
  if (rv != CKR_OK) {
    ::dlclose(handle);
    return CkrError(rv, "C_Initialize", "module " + path);
  }
  std::shared_ptr<Module> m(new Module(path, handle, fn));
  Registry()[path] = m;
  return m;
}

Module::~Module() {
  fn_->C_Finalize(nullptr);
  // The module's code stays mapped (no dlclose): a module may have left
  // exit handlers or threads behind that would run into unmapped code, and
  // unmapping one costs a short command ~0.05 ms for nothing (the process
  // is about to end, or loads the same module again, which then reuses the
  // mapping). It also lets LeakSanitizer name the module in stacks
  // (SoftHSMv2 2.6.1 leaks in its Ed25519 code; tests/testing/lsan.supp
  // suppresses that by library name).
  (void)handle_;
}

std::string Module::Describe() const { return "module " + path_; }

Result<std::vector<TokenInfo>> Module::ListTokens(
    const std::function<bool(const TokenInfo&)>& stop) const {
  CK_ULONG n = 0;
  CK_RV rv = fn_->C_GetSlotList(CK_TRUE, nullptr, &n);
  if (rv != CKR_OK) return CkrError(rv, "C_GetSlotList", Describe());
  std::vector<CK_SLOT_ID> slots(n);
  rv = fn_->C_GetSlotList(CK_TRUE, slots.data(), &n);
  if (rv != CKR_OK) return CkrError(rv, "C_GetSlotList", Describe());
  slots.resize(n);
  std::vector<TokenInfo> out;
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO ti;
    rv = fn_->C_GetTokenInfo(s, &ti);
    if (rv == CKR_TOKEN_NOT_PRESENT) continue;
    if (rv != CKR_OK)
      return CkrError(rv, "C_GetTokenInfo", Describe() + ", slot " + std::to_string(s));
    out.push_back(ToTokenInfo(s, ti));
    if (stop && stop(out.back())) break;
  }
  return out;
}

Result<TokenInfo> Module::FindToken(std::string_view label, std::string_view serial,
                                    std::vector<TokenInfo>* seen) const {
  auto match = [&](const TokenInfo& t) {
    return t.initialized && t.label == label && (serial.empty() || t.serial == serial);
  };
  // Slots are read until the token turns up (SoftHSMv2 re-reads a token's
  // files for each C_GetTokenInfo); all of them only to say what is there.
  SR_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ListTokens(match));
  if (seen != nullptr) *seen = tokens;
  if (!tokens.empty() && match(tokens.back())) return tokens.back();
  std::string known;
  for (const TokenInfo& t : tokens) {
    if (!t.initialized) continue;
    known += (known.empty() ? "'" : ", '") + t.label + "' (serial " + t.serial + ")";
  }
  return NotFound("no token labelled '" + std::string(label) + "'" +
                  (serial.empty() ? "" : " with serial " + std::string(serial)) + " in " +
                  Describe() + "; tokens present: " + (known.empty() ? "none" : known));
}

Result<TokenInfo> Module::InitToken(std::string_view label, const SecretBytes& so_pin,
                                    const SecretBytes& user_pin) {
  if (label.empty() || label.size() > kMaxTokenLabelBytes) {
    return InvalidArgument("token label must be 1 to 32 bytes, got '" + std::string(label) + "'");
  }
  if (FindToken(label).ok()) {
    return Status(Code::kAlreadyExists,
                  "a token labelled '" + std::string(label) + "' already exists in " + Describe());
  }
  SR_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ListTokens());
  const TokenInfo* free_slot = nullptr;
  for (const TokenInfo& t : tokens) {
    if (!t.initialized) {
      free_slot = &t;
      break;
    }
  }
  if (free_slot == nullptr) {
    return FailedPrecondition(Describe() + " has no slot with an uninitialized token");
  }
  unsigned char padded[32];
  std::memset(padded, ' ', sizeof padded);
  std::memcpy(padded, label.data(), label.size());
  CK_RV rv = fn_->C_InitToken(free_slot->slot, PinPtr(so_pin), so_pin.size(), padded);
  if (rv != CKR_OK) {
    return CkrError(rv, "C_InitToken", Describe() + ", token '" + std::string(label) + "'");
  }
  // SoftHSMv2 moves an initialized token to a new slot id; find it again.
  SR_ASSIGN_OR_RETURN(TokenInfo t, FindToken(label));
  SR_RETURN_IF_ERROR(SetUserPin(t.slot, so_pin, user_pin)
                         .Annotate("setting the user PIN of token '" + t.label + "'"));
  return FindToken(label);
}

Status Module::SetUserPin(unsigned long slot, const SecretBytes& so_pin,
                          const SecretBytes& user_pin) {
  CK_SESSION_HANDLE h = 0;
  std::string where = Describe() + ", slot " + std::to_string(slot);
  CK_RV rv = fn_->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return CkrError(rv, "C_OpenSession", where);
  rv = fn_->C_Login(h, CKU_SO, PinPtr(so_pin), so_pin.size());
  if (rv != CKR_OK) {
    fn_->C_CloseSession(h);
    return CkrError(rv, "C_Login as security officer", where);
  }
  rv = fn_->C_InitPIN(h, PinPtr(user_pin), user_pin.size());
  fn_->C_Logout(h);
  fn_->C_CloseSession(h);
  if (rv != CKR_OK) return CkrError(rv, "C_InitPIN", where);
  return Status::Ok();
}

}  // namespace sr::hsm
