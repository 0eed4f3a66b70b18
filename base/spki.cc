#include "base/spki.h"

#include "base/encoding.h"

namespace sr {
namespace {

// The DER before the key, up to and including the BIT STRING's unused-bits
// byte (an EC point then starts with its 0x04).
constexpr std::string_view kP256Prefix(
    "\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"
    "\x03\x42\x00",
    26);
constexpr std::string_view kP384Prefix(
    "\x30\x76\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b\x81\x04\x00\x22\x03\x62\x00",
    23);
constexpr std::string_view kEd25519Prefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);

std::string_view PrefixOf(SpkiKind kind) {
  switch (kind) {
    case SpkiKind::kP256:
      return kP256Prefix;
    case SpkiKind::kP384:
      return kP384Prefix;
    case SpkiKind::kEd25519:
      return kEd25519Prefix;
    case SpkiKind::kOther:
      break;
  }
  return {};
}

}  // namespace

std::size_t SpkiKeyBytes(SpkiKind kind) {
  switch (kind) {
    case SpkiKind::kP256:
      return 65;
    case SpkiKind::kP384:
      return 97;
    case SpkiKind::kEd25519:
      return 32;
    case SpkiKind::kOther:
      break;
  }
  return 0;
}

std::string SpkiOf(SpkiKind kind, std::string_view key) {
  if (kind == SpkiKind::kOther || key.size() != SpkiKeyBytes(kind)) return "";
  if (kind != SpkiKind::kEd25519 && key[0] != '\x04') return "";  // not uncompressed
  return std::string(PrefixOf(kind)).append(key);
}

SpkiKind SpkiKindOf(std::string_view der) {
  for (SpkiKind k : {SpkiKind::kP256, SpkiKind::kP384, SpkiKind::kEd25519}) {
    std::string_view prefix = PrefixOf(k);
    if (der.size() == prefix.size() + SpkiKeyBytes(k) && der.starts_with(prefix) &&
        (k == SpkiKind::kEd25519 || der[prefix.size()] == '\x04'))
      return k;
  }
  return SpkiKind::kOther;
}

std::string SpkiPem(std::string_view der) {
  std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out.append(b64, i, 64).append("\n");
  return out + "-----END PUBLIC KEY-----\n";
}

}  // namespace sr
