// RFC 7512 PKCS#11 URIs: "pkcs11:token=Release;object=fw-2026;id=%01%02;type=private".
// Parsing percent-decodes every value, refuses duplicate and unknown
// attributes, and refuses PINs (pin-value, pin-source) with kPermissionDenied:
// a PIN never travels inside a URI. Values are plain std::string because a URI
// never holds a secret. Thread-compatible value type.
#ifndef STRONGROOM_HSM_URI_H_
#define STRONGROOM_HSM_URI_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace sr::hsm {

inline constexpr std::size_t kMaxUriBytes = 4096;

struct Pkcs11Uri {
  // Path attributes (all optional; empty means "not given").
  std::string token;         // token label
  std::string manufacturer;  // token manufacturer
  std::string model;         // token model
  std::string serial;        // token serial number
  std::string object;        // object label (CKA_LABEL)
  std::string id;            // object CKA_ID, raw bytes
  std::string type;          // "private", "public", "cert", "secret-key", "data"
  std::string slot_id;       // decimal slot id
  // Query attribute module-path (absolute path of the PKCS#11 module).
  std::string module_path;

  // Parses text. Errors (kInvalidArgument) name the offending attribute or
  // the byte offset of a bad percent escape.
  static Result<Pkcs11Uri> Parse(std::string_view text);

  // Canonical form: token, manufacturer, model, serial, slot-id, object, id,
  // type; then ?module-path=... when set. Every byte outside RFC 3986
  // "unreserved" is percent-encoded; id is always fully percent-encoded.
  std::string ToString() const;

  bool operator==(const Pkcs11Uri&) const = default;
};

// Percent-encodes bytes outside [A-Za-z0-9-._~]; always_encode encodes all.
std::string PercentEncode(std::string_view bytes, bool always_encode = false);

}  // namespace sr::hsm

#endif  // STRONGROOM_HSM_URI_H_
