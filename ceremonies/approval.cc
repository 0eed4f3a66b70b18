#include "ceremonies/approval.h"

#include "base/hash.h"

namespace sr::ceremonies {

Status AddApproval(policy::Envelope* env, const Definition& def, policy::Signer& signer) {
  if (env->payload_type.empty() && env->payload.empty()) {
    env->payload_type = std::string(kCeremonyPayloadType);
    env->payload = def.bytes;
  }
  if (env->payload_type != kCeremonyPayloadType)
    return InvalidArgument("the envelope is not a ceremony approval (payloadType \"" +
                           env->payload_type + "\")");
  if (env->payload != def.bytes)
    return InvalidArgument("the envelope approves another definition (sha256 " +
                           Sha256Hex(env->payload) + ") than " + def.source + " (sha256 " +
                           def.sha256 + "); start a new approval with a fresh --out file");
  return policy::AddSignature(env, signer);
}

Result<ApprovalCheck> CheckApproval(const Definition& def, std::string_view envelope_text,
                                    const policy::LoadedPolicy& governance,
                                    std::string* reason_code) {
  std::string ignored;
  std::string& code = reason_code ? *reason_code : ignored;
  code = "CEREMONY_APPROVAL_INVALID";
  auto env = policy::ParseEnvelope(envelope_text, "ceremony approval");
  if (!env.ok()) return policy::FailureToStatus(env.failure()).Annotate("ceremony approval");
  if (env->payload_type != kCeremonyPayloadType)
    return Status(Code::kRefused, "the approval is not a ceremony approval (payloadType \"" +
                                      env->payload_type + "\", expected " +
                                      std::string(kCeremonyPayloadType) + ")");
  code = "CEREMONY_DEFINITION_ALTERED";
  if (env->payload != def.bytes)
    return Status(Code::kRefused,
                  "ceremony definition " + def.source + " was altered after approval: its sha256 " +
                      def.sha256 + " is not the approved " + Sha256Hex(env->payload) +
                      "; run the definition governance approved, or have this one approved");
  ApprovalCheck out;
  out.envelope_sha256 = Sha256Hex(envelope_text);
  out.threshold = governance.policy.governance().threshold();
  out.approvers = policy::VerifySignatures(env.value(), governance.governance).accepted;
  code = "CEREMONY_NOT_APPROVED";
  if (out.approvers.size() < out.threshold)
    return Status(Code::kRefused,
                  "ceremony definition " + def.source +
                      " is not approved: " + std::to_string(out.approvers.size()) +
                      " valid governance signature(s) of the " + std::to_string(out.threshold) +
                      " the policy (version " + std::to_string(governance.policy.version()) +
                      ") requires; more governance members must sign it with `ceremony approve`");
  code.clear();
  return out;
}

}  // namespace sr::ceremonies
