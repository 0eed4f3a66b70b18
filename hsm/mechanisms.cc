#include "hsm/mechanisms.h"

#include <p11-kit/pkcs11.h>

#include "hsm/pkcs11_error.h"

namespace sr::hsm {
namespace {

struct Needs {
  Algorithm algorithm;
  CK_MECHANISM_TYPE generate;
  CK_MECHANISM_TYPE sign;
  CK_ULONG bits;  // key size strongroom uses (0: not checked)
};

// EC sizes are bits of the field (PKCS#11 2.40 2.3); an Edwards curve's
// size is reported inconsistently by modules (255, 256, or 0), so it is not
// checked.
constexpr Needs kNeeds[] = {
    {Algorithm::kEcdsaP256, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, 256},
    {Algorithm::kEcdsaP384, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, 384},
    {Algorithm::kEd25519, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, 0},
    {Algorithm::kRsaPss3072, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS_PSS, 3072},
};

bool Fits(const CK_MECHANISM_INFO& info, CK_FLAGS flag, CK_ULONG bits) {
  if ((info.flags & flag) == 0) return false;
  // A module that states no sizes (both 0) is taken at its word.
  if (bits == 0 || (info.ulMinKeySize == 0 && info.ulMaxKeySize == 0)) return true;
  return info.ulMinKeySize <= bits && bits <= info.ulMaxKeySize;
}

}  // namespace

Result<std::vector<Algorithm>> OfferedAlgorithms(const Module& module, unsigned long slot) {
  CK_FUNCTION_LIST* fn = module.functions();
  CK_ULONG n = 0;
  CK_RV rv = fn->C_GetMechanismList(slot, nullptr, &n);
  if (rv != CKR_OK) return CkrError(rv, "C_GetMechanismList", module.Describe());
  if (n > 4096) return InvalidArgument(module.Describe() + " lists more than 4096 mechanisms");
  std::vector<CK_MECHANISM_TYPE> types(n);
  rv = fn->C_GetMechanismList(slot, types.data(), &n);
  if (rv != CKR_OK) return CkrError(rv, "C_GetMechanismList", module.Describe());
  types.resize(n);
  auto info_of = [&](CK_MECHANISM_TYPE t, CK_MECHANISM_INFO* info) {
    for (CK_MECHANISM_TYPE have : types)
      if (have == t) return fn->C_GetMechanismInfo(slot, t, info) == CKR_OK;
    return false;
  };
  std::vector<Algorithm> out;
  for (const Needs& need : kNeeds) {
    CK_MECHANISM_INFO gen{}, sign{};
    if (info_of(need.generate, &gen) && info_of(need.sign, &sign) &&
        Fits(gen, CKF_GENERATE_KEY_PAIR, need.bits) && Fits(sign, CKF_SIGN, need.bits)) {
      out.push_back(need.algorithm);
    }
  }
  return out;
}

bool Offers(const std::vector<Algorithm>& offered, Algorithm a) {
  for (Algorithm o : offered)
    if (o == a) return true;
  return false;
}

std::string AlgorithmList(const std::vector<Algorithm>& algorithms) {
  if (algorithms.empty()) return "none";
  std::string s;
  for (Algorithm a : algorithms) {
    if (!s.empty()) s += ", ";
    s += AlgorithmName(a);
  }
  return s;
}

Status RequireOffered(const std::vector<Algorithm>& offered, Algorithm a, std::string_view where) {
  if (Offers(offered, a)) return Status::Ok();
  return FailedPrecondition(std::string(where) + " does not offer " +
                            std::string(AlgorithmName(a)) + " (key-pair generation and signing); " +
                            "it offers " + AlgorithmList(offered) + ": choose one of those");
}

}  // namespace sr::hsm
