// The raw PKCS#11 signing baseline shared by bench/hsm_sign_bench.cc and
// bench/sign_bench.cc: what a hand-written loop straight on the module's
// function list does per signature (C_SignInit + C_Sign over 32 bytes).
#ifndef STRONGROOM_BENCH_RAW_SIGN_H_
#define STRONGROOM_BENCH_RAW_SIGN_H_

#include <p11-kit/pkcs11.h>

#include <chrono>

#include "base/status.h"
#include "hsm/key.h"
#include "hsm/module.h"

namespace sr::bench {

// Signatures per second of n raw C_SignInit + C_Sign calls with key k over a
// 32-byte message (a SHA-256 digest for ECDSA). Uses its own PKCS#11 session:
// login state is per application and token, so it is logged in when the
// caller holds a logged-in Session on that token.
inline Result<double> RawSignRate(hsm::Module& m, unsigned long slot, const hsm::KeyHandle& k,
                                  int n) {
  CK_FUNCTION_LIST* fn = m.functions();
  CK_SESSION_HANDLE session = 0;
  if (fn->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session) != CKR_OK) {
    return Internal("raw C_OpenSession failed");
  }
  CK_MECHANISM mech = {k.info.algorithm == hsm::Algorithm::kEd25519 ? CKM_EDDSA : CKM_ECDSA,
                       nullptr, 0};
  unsigned char data[32] = {1};
  unsigned char sig[512];
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    data[0] = static_cast<unsigned char>(i);
    CK_ULONG len = sizeof sig;
    if (fn->C_SignInit(session, &mech, k.private_handle) != CKR_OK ||
        fn->C_Sign(session, data, sizeof data, sig, &len) != CKR_OK) {
      fn->C_CloseSession(session);
      return Internal("raw C_Sign failed");
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fn->C_CloseSession(session);
  return n / s;
}

}  // namespace sr::bench

#endif  // STRONGROOM_BENCH_RAW_SIGN_H_
