// Participant authentication. At the start of a run (and of each
// resumption) the station makes a challenge: the ceremony id, the station
// id, the definition's SHA-256 and a fresh 32-byte nonce from the station's
// CSPRNG. Each participant present signs it with their own key, a PEM key
// file (release/key_file.h) or a key on their own PKCS#11 token (by RFC 7512
// URI with module-path, the token's PIN from a pin source); the signature
// must verify under the public key the approved definition lists for them.
// A signature that does not verify refuses the participant, and the run.
// Not thread-safe (PKCS#11 modules are loaded per call).
#ifndef STRONGROOM_CEREMONIES_CHALLENGE_H_
#define STRONGROOM_CEREMONIES_CHALLENGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ceremonies/definition.h"
#include "proto/event.pb.h"

namespace sr::ceremonies {

struct Challenge {
  std::string ceremony_id, station_id, definition_sha256, nonce_hex;
  // "strongroom ceremony challenge v1\nceremony: ID\nstation: SID\n
  //  definition: SHA256\nnonce: HEX\n": what each participant signs.
  std::string Bytes() const;
};

// 32 bytes from RAND_priv_bytes, as lower-case hex.
Result<std::string> NewNonce();

// How one participant signs: exactly one of key_file and pkcs11_uri.
struct Credential {
  std::string key_file;    // PEM private key (unencrypted PKCS#8 or traditional)
  std::string pkcs11_uri;  // pkcs11:token=...;object=...?module-path=/abs/module.so
  std::string pin_source;  // the token's user PIN (file:, fd:, prompt), for pkcs11_uri
};

// Signs challenge with the participant's own key. Errors name the key file
// or the token and never a PIN.
Result<std::string> SignChallenge(const Credential& credential, std::string_view challenge);

// The participant at index `participant` of def, authenticated: the
// signature verifies over challenge under their listed key. kRefused
// ("NAME (role) could not sign the challenge ...") otherwise.
Result<strongroom::v1::Participant> VerifyParticipant(const Definition& def, int participant,
                                                      std::string_view challenge,
                                                      std::string_view signature);

// Every role has at least min_present authenticated members present and at
// least custodian_threshold custodians are present; kRefused naming each
// role that is short otherwise.
Status CheckQuorum(const Definition& def, const std::vector<strongroom::v1::Participant>& present);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_CHALLENGE_H_
