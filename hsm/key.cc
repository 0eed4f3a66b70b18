#include "hsm/key.h"

namespace sr::hsm {

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kEcdsaP256:
      return "ecdsa-p256";
    case Algorithm::kEcdsaP384:
      return "ecdsa-p384";
    case Algorithm::kEd25519:
      return "ed25519";
    case Algorithm::kRsaPss3072:
      return "rsa-pss-3072";
  }
  return "unknown";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm a : {Algorithm::kEcdsaP256, Algorithm::kEcdsaP384, Algorithm::kEd25519,
                      Algorithm::kRsaPss3072}) {
    if (AlgorithmName(a) == name) return a;
  }
  return InvalidArgument("unknown key algorithm '" + std::string(name) +
                         "'; expected ecdsa-p256, ecdsa-p384, ed25519 or rsa-pss-3072");
}

}  // namespace sr::hsm
