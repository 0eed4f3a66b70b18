// Which of strongroom's key algorithms (hsm/key.h) a token's module offers,
// read from C_GetMechanismList and C_GetMechanismInfo. A station chooses its
// own keys from this (Ed25519 where the module has it: a TPM has not) and
// `key generate` refuses an algorithm the module lacks, naming what it has.
//
// Thread-safety: plain functions over a Module (which may be shared).
// Failure: kHsm with the CKR_ name when the module cannot list its
// mechanisms.
#ifndef STRONGROOM_HSM_MECHANISMS_H_
#define STRONGROOM_HSM_MECHANISMS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "hsm/key.h"
#include "hsm/module.h"

namespace sr::hsm {

// The algorithms the token in slot can both generate (the key-pair
// generation mechanism with CKF_GENERATE_KEY_PAIR and, where the module
// states key sizes, the size strongroom uses) and sign with (its signing
// mechanism with CKF_SIGN), in the order of hsm::Algorithm.
Result<std::vector<Algorithm>> OfferedAlgorithms(const Module& module, unsigned long slot);

bool Offers(const std::vector<Algorithm>& offered, Algorithm a);
// "ecdsa-p256, ecdsa-p384, rsa-pss-3072" ("none" when empty).
std::string AlgorithmList(const std::vector<Algorithm>& algorithms);

// kFailedPrecondition when offered lacks a: "<where> does not offer <a>; it
// offers <list>", with what to do.
Status RequireOffered(const std::vector<Algorithm>& offered, Algorithm a, std::string_view where);

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_MECHANISMS_H_
