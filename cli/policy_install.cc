// `strongroom policy sign|install|show`. install keeps every installed
// version by digest in STATION/policy/<sha256>.json and points
// STATION/policy/current.json at the newest (atomic replace).
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <optional>

#include "base/file.h"
#include "policy/json.h"
#include "policy/trust_policy.h"
#include "cli/common.h"
#include "cli/json.h"
#include "cli/key_set.h"
#include "release/key_file.h"
#include "station/pin_source.h"
#include "station/policy_store.h"
#include "station/station.h"
#include "station/layout.h"

extern char** environ;

namespace sr::cli {
namespace {

namespace v1 = strongroom::v1;
namespace pb = google::protobuf;
using policy::Clock;

bool LooksLikeEnvelope(std::string_view text) {
  auto obj = policy::ParseJsonObject(text, "input");
  return obj.ok() && policy::FindField(obj.value(), "payloadType") != nullptr;
}

struct SignOptions {
  std::string key, in, out;
};

int RunSign(Context& ctx, const SignOptions& o) {
  auto text = ReadFile(o.in, policy::kMaxDocumentBytes);
  if (!text.ok()) return ReportError(ctx, text.status());
  policy::Envelope env{std::string(policy::kPolicyPayloadType), text.value(), {}, false};
  if (LooksLikeEnvelope(text.value())) {
    auto parsed = policy::ParsePolicy(text.value(), o.in);
    if (!parsed.ok()) return ReportError(ctx, policy::FailureToStatus(parsed.failure()));
    env = parsed->envelope;
  } else {
    auto p = policy::ParsePolicyJson(text.value(), o.in);
    if (!p.ok()) return ReportError(ctx, policy::FailureToStatus(p.failure()));
  }
  auto signer = release::KeyFileSigner::FromFile(o.key);
  if (!signer.ok()) return ReportError(ctx, signer.status());
  Status st = policy::AddSignature(&env, *signer.value());
  if (!st.ok()) return ReportError(ctx, st);
  st = WriteFileAtomic(o.out.empty() ? o.in : o.out, policy::SerializeEnvelope(env));
  if (!st.ok()) return ReportError(ctx, st);
  // Who has signed among the policy's governance keys, and who is still needed.
  std::optional<policy::KeySetStatus> gov;
  auto lp = policy::ParsePolicy(policy::SerializeEnvelope(env), o.in);
  if (lp.ok()) gov = policy::CheckKeySet(env, lp.value(), lp->policy.governance());
  if (ctx.json) {
    Json j = {{"ok", true}, {"keyid", signer.value()->KeyId()}, {"signatures", env.signatures.size()}};
    if (gov) j["governance"] = KeySetJson(*gov);
    PrintJson(j);
  } else {
    std::cout << "signed by " << signer.value()->KeyId() << "; the envelope holds "
              << env.signatures.size() << " signature(s)\n";
    if (gov) std::cout << "governance: " << ThresholdLine(*gov, "governance") << "\n";
  }
  return kExitOk;
}

void PrintFailures(const Context& ctx, const std::vector<policy::Failure>& fs,
                   const std::string& what) {
  if (ctx.json) {
    Json refused = Json::array();
    for (const auto& f : fs)
      refused.push_back({{"reason", policy::ReasonName(f.reason)}, {"message", f.message}});
    PrintJson({{"ok", false}, {"refused", std::move(refused)}});
  }
  std::cerr << "strongroom: " << what << " refused:\n";
  for (const auto& f : fs) std::cerr << "  " << policy::FormatFailure(f) << "\n";
}

struct InstallOptions {
  std::string station, in, trusted_root, log_pin_source = "prompt";
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

// Opens the station, reads the log PIN and installs (station/policy_store.h).
Result<PolicyInstallResult> Install(const InstallOptions& o) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(auto source, ParsePinSource(o.log_pin_source, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(auto station,
                      Station::Open(o.station, StationLockOptions::Take("policy install", o.wait)));
  SR_ASSIGN_OR_RETURN(SecretBytes pin, source->ReadPin());
  return InstallPolicy(*station, pin, o.in, o.trusted_root, o.operators, Clock::now());
}

int RunInstall(Context& ctx, const InstallOptions& o) {
  auto r = Install(o);
  if (!r.ok()) return ReportError(ctx, r.status().Annotate("policy install"));
  if (r->refused) {
    PrintFailures(ctx, r->failures,
                  "policy installation (logged as event " + std::to_string(r->event_index) + ")");
    return kExitRefused;
  }
  if (r->already_installed) {
    if (ctx.json)
      PrintJson({{"ok", true},
                 {"version", r->version},
                 {"digest", r->digest},
                 {"already_installed", true}});
    else
      std::cout << "policy version " << r->version
                << " is already installed (the log records it); " << r->current_path
                << " is up to date\n";
    return kExitOk;
  }
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"version", r->version},
               {"digest", r->digest},
               {"previous_version", r->previous_version},
               {"event_index", r->event_index},
               {"trusted_root_sha256", r->trusted_root_sha256}});
  } else {
    std::cout << "installed policy version " << r->version << " (sha256 " << r->digest << ")";
    if (r->previous_version != 0) std::cout << " over version " << r->previous_version;
    std::cout << "; logged as event " << r->event_index << "\n";
    if (!r->trusted_root_sha256.empty())
      std::cout << "Sigstore trusted root " << r->trusted_root_sha256
                << " kept in the station's evidence store\n";
  }
  return kExitOk;
}

// Every key of the policy with its role, name and fingerprint: what a witness
// compares against the key holders' own fingerprints.
struct RoleKey {
  std::string role, product, id, name, fingerprint;
};

std::vector<RoleKey> RoleKeys(const policy::LoadedPolicy& lp) {
  std::vector<RoleKey> out;
  auto fp = [&](const v1::TrustedKey& k) {
    const policy::PublicKey* pk = lp.Key(k);
    return pk ? pk->fingerprint() : std::string("(unparsed)");
  };
  for (const auto& k : lp.policy.governance().keys())
    out.push_back({"governance", "", "", k.name(), fp(k)});
  for (const auto& prod : lp.policy.products()) {
    for (const auto& k : prod.approvers().keys())
      out.push_back({"approver", prod.name(), "", k.name(), fp(k)});
    for (const auto& b : prod.builders()) {
      if (!b.has_identity()) {
        out.push_back({"builder", prod.name(), b.id(), b.key().name(), fp(b.key())});
        continue;
      }
      // A keyless builder has no key: what the witness compares is its identity.
      std::string refs;
      for (const auto& r : b.identity().allowed_refs()) refs += (refs.empty() ? "" : ",") + r;
      out.push_back({"keyless builder", prod.name(), b.id(),
                     b.identity().issuer() + " " + b.identity().workflow() + "@" + refs, ""});
    }
    for (const auto& k : prod.test_labs())
      out.push_back({"test lab", prod.name(), "", k.name(), fp(k)});
    for (const auto& r : prod.record_signers()) {
      std::string types;
      for (const auto& t : r.record_types()) types += (types.empty() ? "" : ",") + t;
      out.push_back({"record signer", prod.name(), types, r.key().name(), fp(r.key())});
    }
    for (const auto& k : prod.product_security())
      out.push_back({"product security", prod.name(), "", k.name(), fp(k)});
  }
  for (const auto& a : lp.policy.key_authorizations())
    out.push_back({"key authorization", a.product(), a.id(), "", a.key_fingerprint()});
  return out;
}

std::string RoleText(const RoleKey& k) {
  if (k.role == "governance") return "governance";
  if (k.role == "builder") return "builder " + k.id + " for " + k.product;
  if (k.role == "keyless builder") return "keyless builder " + k.id + " for " + k.product;
  if (k.role == "key authorization") return "key authorization " + k.id + " for " + k.product;
  if (k.role == "record signer") return "record signer (" + k.id + ") for " + k.product;
  return k.role + " for " + k.product;
}

void ShowHuman(const policy::LoadedPolicy& lp, const std::vector<policy::Failure>& fs,
               const policy::KeySetStatus& gov) {
  const auto& p = lp.policy;
  std::cout << "policy version " << p.version() << "  sha256 " << lp.digest << "\n"
            << "  issued " << policy::FormatTime(p.issued()) << ", expires "
            << policy::FormatTime(p.expires()) << "\n"
            << "  signatures: " << lp.envelope.signatures.size() << " ("
            << (fs.empty() ? "governance threshold met" : "NOT valid now") << ")\n"
            << "  governance: " << p.governance().threshold() << " of "
            << p.governance().keys_size() << "; " << ThresholdLine(gov, "governance") << "\n";
  for (const auto& k : gov.keys)
    std::cout << "    " << (k.signed_ ? "signed     " : "not signed ") << KeyLabel(k.name, k.fingerprint)
              << "\n";
  for (const auto& s : gov.signatures)
    if (s.kind != policy::KeySetSignature::Kind::kValid)
      std::cout << "    signature " << KindName(s.kind) << ": keyid "
                << (s.keyid.empty() ? "(none)" : s.keyid) << "\n";
  std::cout << "  keys:\n";
  for (const auto& k : RoleKeys(lp))
    std::cout << "    " << RoleText(k) << ": " << k.name
              << (k.name.empty() || k.fingerprint.empty() ? "" : " ") << k.fingerprint << "\n";
  for (const auto& prod : p.products()) {
    std::cout << "  product " << prod.name() << ": approvers " << prod.approvers().threshold()
              << " of " << prod.approvers().keys_size() << "; builders " << prod.builders_size()
              << "; test labs " << prod.test_labs_size() << "\n";
    std::string tests, configs;
    for (const auto& t : prod.required_tests()) tests += " " + t;
    for (const auto& c : prod.configurations()) configs += " " + c;
    std::cout << "    required tests:" << tests << "\n    configurations:" << configs << "\n";
    std::string docs;
    for (const auto& d : prod.required_documents()) docs += " " + d;
    std::cout << "    OpenVEX: " << (prod.require_vex() ? "required" : "not required")
              << " when the approval names vulnerabilities; product-security keys "
              << prod.product_security_size()
              << "\n    required documents:" << (docs.empty() ? " none" : docs)
              << "\n    evidence freshness: "
              << (prod.evidence_freshness_days()
                      ? std::to_string(prod.evidence_freshness_days()) + " days"
                      : std::string("no window"))
              << "\n";
  }
  for (const auto& a : p.key_authorizations())
    std::cout << "  key authorization " << a.id() << ": " << a.key_fingerprint() << " "
              << a.product() << " " << a.min_version() << ".."
              << (a.max_version().empty() ? "*" : a.max_version()) << " " << a.purpose()
              << " until " << policy::FormatTime(a.not_after()) << "\n";
  for (const auto& r : p.revoked_keys()) {
    std::cout << "  revoked " << r.key_fingerprint() << " (" << r.reason() << ")";
    if (r.revoked_at_log_index() != 0) std::cout << " at log index " << r.revoked_at_log_index();
    if (r.has_revoked_at()) std::cout << " at " << policy::FormatTime(r.revoked_at());
    if (r.has_compromised_since())
      std::cout << ", compromised since " << policy::FormatTime(r.compromised_since());
    std::cout << "\n";
  }
  if (!p.sigstore_trusted_root_sha256().empty())
    std::cout << "  Sigstore trusted root: sha256 " << p.sigstore_trusted_root_sha256() << "\n";
  for (const auto& f : fs) std::cout << "  ! " << policy::FormatFailure(f) << "\n";
}

struct ShowOptions {
  std::string station, in;
};

int RunShow(Context& ctx, const ShowOptions& o) {
  std::string path = o.in.empty() ? layout::CurrentPolicy(o.station) : o.in;
  if (o.in.empty() && o.station.empty())
    return ReportError(ctx, InvalidArgument("give --station DIR or --in FILE"));
  auto text = ReadFile(path, policy::kMaxDocumentBytes);
  if (!text.ok()) return ReportError(ctx, text.status());
  auto lp = policy::ParsePolicy(text.value(), path);
  if (!lp.ok()) return ReportError(ctx, policy::FailureToStatus(lp.failure()));
  auto fs = policy::VerifyPolicySelf(lp.value(), Clock::now());
  auto gov = policy::CheckKeySet(lp->envelope, lp.value(), lp->policy.governance());
  if (ctx.json) {
    Json keys = Json::array();
    for (const auto& k : RoleKeys(lp.value())) {
      Json j = {{"role", k.role}};
      if (!k.product.empty()) j["product"] = k.product;
      if (!k.id.empty()) j["id"] = k.id;
      j["name"] = k.name;
      j["fingerprint"] = k.fingerprint;
      keys.push_back(std::move(j));
    }
    PrintJson({{"ok", true},
               {"digest", lp->digest},
               {"valid", fs.empty()},
               {"signatures", lp->envelope.signatures.size()},
               {"governance", KeySetJson(gov)},
               {"keys", std::move(keys)},
               {"policy", MessageJson(lp->policy, /*proto_names=*/false)}});
  } else {
    ShowHuman(lp.value(), fs, gov);
  }
  return kExitOk;
}

}  // namespace

void RegisterPolicySign(CLI::App& policy, Context& ctx) {
  auto o = std::make_shared<SignOptions>();
  auto* c = policy.add_subcommand(
      "sign",
      "Sign a policy as a governance member. Given the policy JSON, wraps it in a DSSE envelope;\n"
      "given an envelope, adds your signature to it. Pass the file from member to member until\n"
      "the governance threshold is met.");
  c->add_option("--key", o->key, "Your PEM private-key file")->required();
  c->add_option("--in", o->in, "Policy JSON or policy envelope to sign")->required();
  c->add_option("--out", o->out, "Envelope to write (default: replace --in)");
  c->callback([&ctx, o] { ctx.exit_code = RunSign(ctx, *o); });
}

void RegisterPolicyInstallShow(CLI::App& policy, Context& ctx) {
  auto io = std::make_shared<InstallOptions>();
  auto* i = policy.add_subcommand(
      "install",
      "Verify a signed policy and make it the station's policy. The first policy must meet its\n"
      "own governance threshold; a later one must have a higher version and be signed by a\n"
      "threshold of the CURRENT governance keys and a threshold of its own. The installation\n"
      "(or the refusal) is written to the station's log, which `sign` trusts over any file:\n"
      "a policy file that is not the one the log records installed is refused. Earlier\n"
      "versions are kept by digest in STATION/policy/. A policy that trusts keyless builders\n"
      "names a Sigstore trusted root by its SHA-256: give that file with --trusted-root (kept\n"
      "by digest in STATION/evidence/, so every policy version's root stays available).");
  AddStationOption(i, io->station)->required();
  i->add_option("--in", io->in, "Signed policy envelope")->required();
  i->add_option("--trusted-root", io->trusted_root,
                "The Sigstore trusted_root.json the policy names (sigstore_trusted_root_sha256);\n"
                "refused unless its SHA-256 is that digest and it parses");
  AddLogPinSourceOption(i, io->log_pin_source);
  AddOperatorOption(i, io->operators);
  AddWaitOption(i, io->wait);
  i->callback([&ctx, io] { ctx.exit_code = RunInstall(ctx, *io); });
  auto so = std::make_shared<ShowOptions>();
  auto* s = policy.add_subcommand(
      "show", "Print the station's current policy (or --in FILE) and whether it is valid now.");
  AddStationOption(s, so->station);
  s->add_option("--in", so->in, "A policy envelope file instead of the station's");
  s->callback([&ctx, so] { ctx.exit_code = RunShow(ctx, *so); });
}

}  // namespace sr::cli
