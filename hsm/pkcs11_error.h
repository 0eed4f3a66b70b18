// The one place where PKCS#11 return values (CK_RV) become sr::Status.
// Every failing PKCS#11 call in hsm/ goes through CkrError, so an operator
// always sees the return code in words (CKR_PIN_INCORRECT) together with the
// raw value, the operation and where it happened (module, token, key URI).
#ifndef STRONGROOM_HSM_PKCS11_ERROR_H_
#define STRONGROOM_HSM_PKCS11_ERROR_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::hsm {

// "CKR_PIN_INCORRECT" for 0xa0: every code PKCS#11 v2.40 and v3.0 define is
// named; "CKR_VENDOR_DEFINED+0x..." for vendor codes, "unknown CK_RV 0x..."
// for any other value.
std::string CkrName(unsigned long rv);

// Status(kHsm, "<operation> failed (<where>): CKR_NAME (0x..)<hint>").
// A short hint is appended for the codes an operator can act on (wrong PIN,
// token full, unknown token, key of the wrong type). Never contains secrets.
Status CkrError(unsigned long rv, std::string_view operation, std::string_view where);

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_PKCS11_ERROR_H_
