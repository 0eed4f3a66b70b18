// The SubjectPublicKeyInfo shapes strongroom meets every day (ECDSA P-256 and
// P-384 with an uncompressed point, Ed25519), written and recognized byte for
// byte as OpenSSL's i2d_PUBKEY writes them, and the PEM armor OpenSSL's PEM
// writer puts around them. OpenSSL 3's encoders and decoders cost 50-100 us
// a key and take a process-wide lock, which serializes a signing session's
// threads (docs/performance.md); these are plain byte operations, and keys
// are built from their raw parts. Anything else (RSA, compressed points,
// unusual DER) is left to OpenSSL.
#ifndef STRONGROOM_BASE_SPKI_H_
#define STRONGROOM_BASE_SPKI_H_

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace sr {

enum class SpkiKind { kOther, kP256, kP384, kEd25519 };

// The key inside a SubjectPublicKeyInfo of kind: the 65- or 97-byte
// uncompressed point (0x04 || X || Y), or the raw 32-byte Ed25519 key.
std::size_t SpkiKeyBytes(SpkiKind kind);

// The DER of kind with key (SpkiKeyBytes(kind) bytes; "" otherwise or for
// kOther).
std::string SpkiOf(SpkiKind kind, std::string_view key);

// The kind of der when it is exactly SpkiOf(kind, key) for some key (then
// key = der.substr(der.size() - SpkiKeyBytes(kind))), kOther otherwise.
SpkiKind SpkiKindOf(std::string_view der);

// The public key of kind with key (as SpkiOf takes it), built from the curve's
// name and point or the raw Ed25519 bytes without OpenSSL's decoders; OpenSSL
// checks that an EC point is on its curve. The caller owns the key; nullptr
// for kOther, a key of the wrong size or form, or a point not on the curve.
EVP_PKEY* PkeyOf(SpkiKind kind, std::string_view key);

// "-----BEGIN PUBLIC KEY-----\n", base64 in 64-column lines, "-----END
// PUBLIC KEY-----\n": what PEM_write_bio_PUBKEY writes for der.
std::string SpkiPem(std::string_view der);

}  // namespace sr

#endif  // STRONGROOM_BASE_SPKI_H_
