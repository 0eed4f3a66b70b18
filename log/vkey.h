// The shared layout of a C2SP verifier key, "<name>+<hex key id>+<base64(type
// || key)>": split and decoded once for both kinds this project reads, a
// log's note verifier key (log/note.cc) and a witness's cosignature key
// (log/cosignature.cc). What the type byte and key must be is each caller's.
#ifndef STRONGROOM_LOG_VKEY_H_
#define STRONGROOM_LOG_VKEY_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::log {

struct VerifierKeyParts {
  std::string name;
  std::string hex_id;  // as written, 8 hex digits
  std::string id;      // its 4 bytes
  std::string typed;   // type byte || public key
};

// Trailing CR/LF is ignored. what names the key in errors ("verifier",
// "witness"): "<what> key is not '<name>+<hex key id>+<base64 key>'", "<what>
// key name '...' is invalid", "<what> key id must be 8 hex digits", and the
// decoders' messages for "<what> key id" and "<what> public key".
Result<VerifierKeyParts> SplitVerifierKey(std::string_view vkey, std::string_view what);

}  // namespace sr::log

#endif  // STRONGROOM_LOG_VKEY_H_
