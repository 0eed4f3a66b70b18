#include "station/policy_store.h"

#include "base/file.h"
#include "base/hash.h"
#include "policy/gate.h"
#include "policy/json.h"
#include "policy/sigstore.h"
#include "station/layout.h"
#include "station/station_log.h"
#include "station/trusted_root_store.h"

namespace sr {
namespace {

namespace v1 = strongroom::v1;

// The trusted root presented with the policy, when one was.
struct PresentedRoot {
  std::string_view name;
  std::optional<std::string> bytes;
};

v1::Event InstallRefusal(std::string_view name, const std::string& text,
                         const std::vector<policy::Failure>& fs, const PresentedRoot& root = {}) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  auto* r = e.mutable_refusal();
  for (const auto& f : fs) *r->add_reasons() = policy::RefusalReasonOf(f);
  if (text.empty()) return e;  // the file could not be read: nothing to digest
  auto* in = r->add_inputs();
  in->set_role("policy");
  in->set_name(std::string(name));
  in->set_sha256(Sha256Hex(text));
  if (root.bytes) {
    auto* t = r->add_inputs();
    t->set_role("trusted_root");
    t->set_name(std::string(root.name));
    t->set_sha256(Sha256Hex(*root.bytes));
  }
  return e;
}

v1::Event Installed(const policy::LoadedPolicy& cand,
                    const std::optional<policy::LoadedPolicy>& current, const std::string& text) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_POLICY_INSTALLED);
  auto* p = e.mutable_policy_installed();
  p->set_policy_version(cand.policy.version());
  p->set_policy_sha256(cand.digest);
  p->set_envelope_sha256(Sha256Hex(text));
  if (current) {
    p->set_previous_version(current->policy.version());
    p->set_previous_sha256(current->digest);
  }
  for (const std::string& fp : policy::VerifySignatures(cand.envelope, cand.governance).accepted)
    p->add_signer_fingerprints(fp);
  return e;
}

}  // namespace

Result<std::optional<policy::LoadedPolicy>> InstalledPolicy(std::string_view station_dir,
                                                            const LogState& state) {
  std::string current_path = layout::CurrentPolicy(station_dir);
  if (state.installed_policy_digest.empty()) {
    if (PathExists(current_path))
      return DataLoss(current_path +
                      " exists but the station's log records no policy installation: it was "
                      "not installed by strongroom; remove it and install the policy");
    return std::optional<policy::LoadedPolicy>();
  }
  std::string path = layout::InstalledPolicy(station_dir, state.installed_policy_digest);
  auto text = ReadFile(path, policy::kMaxDocumentBytes);
  if (!text.ok())
    return DataLoss("the policy the log records as installed (version " +
                    std::to_string(state.installed_policy_version) +
                    ") is missing: " + text.status().message());
  auto cur = policy::ParsePolicy(text.value(), path);
  if (!cur.ok() || cur->digest != state.installed_policy_digest)
    return DataLoss(path + " is not the policy the log records as installed (altered)");
  return std::optional<policy::LoadedPolicy>(std::move(cur).value());
}

Result<PolicyInstallResult> InstallPolicy(Station& station, const SecretBytes& log_pin,
                                          std::string_view envelope_path,
                                          std::string_view trusted_root_path,
                                          const std::vector<std::string>& operators,
                                          policy::Clock::time_point now) {
  LogState state;
  SR_ASSIGN_OR_RETURN(auto log, OpenLogWithState(station, log_pin, &state));
  log->set_operators(operators);
  SR_RETURN_IF_ERROR(log->RefuseIfClockBehind("policy install"));
  SR_RETURN_IF_ERROR(MakeDirs(layout::PolicyDir(station.dir()), 0755));
  PolicyInstallResult out;
  out.current_path = layout::CurrentPolicy(station.dir());
  auto read = ReadFile(envelope_path, policy::kMaxDocumentBytes);
  if (!read.ok()) {
    policy::Failure f{policy::Reason::kInputMissing, "policy", read.status().message()};
    SR_RETURN_IF_ERROR(log->AppendAndCommit(InstallRefusal(envelope_path, "", {f})).status());
    return read.status();
  }
  const std::string& text = *read;
  PresentedRoot root{trusted_root_path, std::nullopt};
  if (!trusted_root_path.empty()) {
    auto r = ReadFile(trusted_root_path, policy::kMaxTrustedRootBytes);
    if (!r.ok()) {
      policy::Failure f{policy::Reason::kInputMissing, "trusted_root", r.status().message()};
      SR_RETURN_IF_ERROR(log->AppendAndCommit(InstallRefusal(envelope_path, text, {f})).status());
      return r.status().Annotate("--trusted-root");
    }
    root.bytes = std::move(*r);
  }
  auto candidate = policy::ParsePolicy(text, envelope_path);
  if (!candidate.ok()) {
    SR_RETURN_IF_ERROR(
        log->AppendAndCommit(InstallRefusal(envelope_path, text, {candidate.failure()})).status());
    return policy::FailureToStatus(candidate.failure());
  }
  SR_ASSIGN_OR_RETURN(auto current, InstalledPolicy(station.dir(), state));
  out.version = candidate->policy.version();
  out.digest = candidate->digest;
  if (current) out.previous_version = current->policy.version();
  if (current && current->digest == candidate->digest) {
    SR_RETURN_IF_ERROR(WriteFileAtomic(out.current_path, text, 0644));
    out.already_installed = true;
    return out;
  }
  out.failures = policy::VerifyPolicyInstall(current ? &*current : nullptr, candidate.value(), now);
  const std::string& root_digest = candidate->policy.sigstore_trusted_root_sha256();
  if (auto f = CheckTrustedRootForPolicy(
          *candidate, root.bytes, trusted_root_path,
          !root_digest.empty() && HasTrustedRoot(station.dir(), root_digest)))
    out.failures.push_back(std::move(*f));
  if (!out.failures.empty()) {
    SR_ASSIGN_OR_RETURN(out.event_index, log->AppendAndCommit(InstallRefusal(envelope_path, text,
                                                                             out.failures, root)));
    out.refused = true;
    return out;
  }
  // The root first: a crash after it leaves a harmless extra evidence object.
  if (root.bytes) SR_RETURN_IF_ERROR(StoreTrustedRoot(station.dir(), *root.bytes).status());
  out.trusted_root_sha256 = root_digest;
  SR_RETURN_IF_ERROR(
      WriteFileAtomic(layout::InstalledPolicy(station.dir(), candidate->digest), text, 0644));
  SR_ASSIGN_OR_RETURN(out.event_index,
                      log->AppendAndCommit(Installed(candidate.value(), current, text)));
  SR_RETURN_IF_ERROR(WriteFileAtomic(out.current_path, text, 0644));
  return out;
}

}  // namespace sr
