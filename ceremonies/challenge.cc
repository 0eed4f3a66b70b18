#include "ceremonies/challenge.h"

#include <openssl/rand.h>

#include <map>

#include "base/encoding.h"
#include "base/hash.h"
#include "hsm/module.h"
#include "hsm/session.h"
#include "hsm/uri.h"
#include "release/key_file.h"
#include "station/pin_source.h"

namespace sr::ceremonies {

namespace v1 = strongroom::v1;

std::string Challenge::Bytes() const {
  return "strongroom ceremony challenge v1\nceremony: " + ceremony_id + "\nstation: " + station_id +
         "\ndefinition: " + definition_sha256 + "\nnonce: " + nonce_hex + "\n";
}

Result<std::string> NewNonce() {
  unsigned char b[32];
  if (RAND_priv_bytes(b, sizeof b) != 1) return Internal("the CSPRNG failed to make a nonce");
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

namespace {

Result<std::string> SignWithToken(const Credential& c, std::string_view challenge) {
  SR_ASSIGN_OR_RETURN(hsm::Pkcs11Uri uri, hsm::Pkcs11Uri::Parse(c.pkcs11_uri));
  if (uri.module_path.empty())
    return InvalidArgument("participant token URI " + c.pkcs11_uri +
                           " has no module-path: add ?module-path=/absolute/path/of/module.so");
  if (uri.token.empty()) return InvalidArgument("participant token URI has no token=LABEL");
  SR_ASSIGN_OR_RETURN(auto source, ParsePinSource(c.pin_source, "PIN of token " + uri.token));
  SR_ASSIGN_OR_RETURN(auto module, hsm::Module::Load(uri.module_path));
  SR_ASSIGN_OR_RETURN(hsm::TokenInfo token, module->FindToken(uri.token, uri.serial));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  SR_ASSIGN_OR_RETURN(auto session, hsm::Session::Open(module, token, &pin));
  SR_ASSIGN_OR_RETURN(hsm::KeyHandle key, session->FindKey(c.pkcs11_uri));
  return session->Sign(key, challenge);
}

}  // namespace

Result<std::string> SignChallenge(const Credential& c, std::string_view challenge) {
  if (c.key_file.empty() == c.pkcs11_uri.empty())
    return InvalidArgument("a participant signs with a key file or a PKCS#11 URI (exactly one)");
  if (!c.pkcs11_uri.empty()) return SignWithToken(c, challenge);
  SR_ASSIGN_OR_RETURN(auto signer, release::KeyFileSigner::FromFile(c.key_file));
  return signer->Sign(challenge);
}

Result<v1::Participant> VerifyParticipant(const Definition& def, int i, std::string_view challenge,
                                          std::string_view signature) {
  const auto& p = def.ceremony.participants(i);
  const policy::PublicKey& key = def.keys[static_cast<std::size_t>(i)];
  if (!key.Verify(challenge, signature))
    return Status(Code::kRefused, p.name() + " (" + p.role() +
                                      ") could not sign the challenge: the signature does not "
                                      "verify under their key " +
                                      key.fingerprint() +
                                      " in the approved definition; they are refused");
  v1::Participant out;
  out.set_name(p.name());
  out.set_role(p.role());
  out.set_key_fingerprint(key.fingerprint());
  out.set_challenge_sha256(Sha256Hex(challenge));
  return out;
}

Status CheckQuorum(const Definition& def, const std::vector<v1::Participant>& present) {
  std::map<std::string, unsigned> count;
  for (const auto& p : present) ++count[p.role()];
  std::string short_of;
  for (const auto& r : def.ceremony.roles())
    if (count[r.name()] < r.min_present())
      short_of += "; role " + r.name() + ": " + std::to_string(count[r.name()]) +
                  " present of the " + std::to_string(r.min_present()) + " required";
  if (count["custodian"] < def.ceremony.custodian_threshold())
    short_of += "; custodians: " + std::to_string(count["custodian"]) + " present of the " +
                std::to_string(def.ceremony.custodian_threshold()) + " required";
  if (!short_of.empty())
    return Status(Code::kRefused,
                  "the ceremony cannot start, too few participants authenticated" + short_of);
  return Status::Ok();
}

}  // namespace sr::ceremonies
