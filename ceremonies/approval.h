// Governance approval of a ceremony definition: a DSSE envelope of payloadType
// application/vnd.strongroom.ceremony+textproto whose payload is the
// definition file's exact bytes, signed by the governance threshold of a
// trust policy (policy/dsse.h and policy/trust_policy.h do the DSSE and
// threshold work, as for `policy install`).
//
// Which policy's governance: the station's installed policy. A station with
// no installed policy (one being initialized, or whose first policy is not
// installed yet) has none, so the run names one with `--governance FILE`:
// a signed policy envelope that meets its own governance threshold (the
// policy the station is to be given). Pure and thread-safe.
#ifndef STRONGROOM_CEREMONIES_APPROVAL_H_
#define STRONGROOM_CEREMONIES_APPROVAL_H_

#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ceremonies/definition.h"
#include "policy/dsse.h"
#include "policy/signer.h"
#include "policy/trust_policy.h"

namespace sr::ceremonies {

inline constexpr std::string_view kCeremonyPayloadType =
    "application/vnd.strongroom.ceremony+textproto";
inline constexpr std::uint64_t kMaxApprovalBytes = 1u << 20;

// Adds signer's signature over def to *env. An empty env (no payload yet)
// becomes an envelope over def; an existing one must be over def's exact
// bytes (kInvalidArgument otherwise: it approves another definition).
// Signing twice with one key replaces that key's signature.
Status AddApproval(policy::Envelope* env, const Definition& def, policy::Signer& signer);

struct ApprovalCheck {
  std::string envelope_sha256;      // SHA-256 hex of the envelope file's bytes
  std::set<std::string> approvers;  // governance key fingerprints that signed
  unsigned threshold = 0;
};

// Checks that envelope_text approves def under governance's key set:
// kRefused when the payload type is wrong, the payload is not def's bytes
// ("altered after approval", naming both digests), or fewer than the
// threshold of distinct governance keys signed it (naming how many).
// kInvalidArgument when the envelope does not parse.
// reason_code (if given) is set on refusal: CEREMONY_APPROVAL_INVALID,
// CEREMONY_DEFINITION_ALTERED or CEREMONY_NOT_APPROVED.
Result<ApprovalCheck> CheckApproval(const Definition& def, std::string_view envelope_text,
                                    const policy::LoadedPolicy& governance,
                                    std::string* reason_code = nullptr);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_APPROVAL_H_
