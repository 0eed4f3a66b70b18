// `strongroom policy init|sign|install|show`: the trust policy's life cycle.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>

#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "policy/json.h"
#include "policy/lifecycle_record.h"
#include "policy/sigstore.h"
#include "policy/trust_policy.h"
#include "cli/common.h"
#include "cli/json.h"
#include "release/key_file.h"

namespace sr::cli {
namespace {

namespace v1 = strongroom::v1;
namespace pb = google::protobuf;
using policy::Clock;

struct InitOptions {
  std::string out, builder_id, builder_key, signing_key, min_version = "0.0.1", max_version,
      log_vkey, trusted_root;
  std::vector<std::string> products, builders, keyless_builders, lab_keys, governance_keys,
      approver_keys, source_repos, build_types, required_tests, configurations, record_signers,
      product_security_keys, required_documents;
  unsigned governance_threshold = 0, approval_threshold = 0, valid_days = 365, slsa_level = 0,
           freshness_days = 0;
  bool require_vex = false;
  std::uint64_t version = 1;
  bool force = false;
};

Result<v1::TrustedKey> KeyFromFile(const std::string& path) {
  SR_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, 16384));
  SR_ASSIGN_OR_RETURN(policy::PublicKey k, policy::PublicKey::FromPem(pem, path));
  v1::TrustedKey t;
  std::string name = BaseName(path);
  t.set_name(name.substr(0, name.rfind('.')));
  t.set_public_key_pem(k.pem());
  return t;
}

constexpr const char* kPlaceholderPem =
    "-----BEGIN PUBLIC KEY-----\nREPLACE WITH A PEM PUBLIC KEY\n-----END PUBLIC KEY-----\n";

Status AddKeys(const std::vector<std::string>& files, v1::KeySet* set, unsigned threshold) {
  for (const auto& f : files) {
    SR_ASSIGN_OR_RETURN(*set->add_keys(), KeyFromFile(f));
  }
  if (files.empty()) {
    auto* k = set->add_keys();
    k->set_name("REPLACE: key holder");
    k->set_public_key_pem(kPlaceholderPem);
  }
  // Default: a majority of the keys (2 of 3, 3 of 4), not all of them.
  set->set_threshold(threshold ? threshold : static_cast<unsigned>(files.size() / 2 + 1));
  return Status::Ok();
}

// Each --keyless-builder ID=ISSUER,WORKFLOW,REF[,REF...]: a builder trusted by
// the identity its Fulcio certificate names (docs/policy.md, "Keyless builders").
Status AddKeylessBuilders(const InitOptions& o, v1::ProductPolicy* prod) {
  for (const auto& spec : o.keyless_builders) {
    auto eq = spec.find('=');
    std::vector<std::string> parts;
    std::string_view rest = eq == std::string::npos ? "" : std::string_view(spec).substr(eq + 1);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      parts.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    bool empty_part = false;
    for (const auto& p : parts) empty_part |= p.empty();
    if (eq == std::string::npos || eq == 0 || parts.size() < 3 || empty_part)
      return InvalidArgument(
          "--keyless-builder \"" + spec +
          "\" must be ID=ISSUER,WORKFLOW,REF[,REF...], e.g. "
          "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
          "builder_go_slsa3.yml@refs/tags/v1.2.1=https://token.actions.githubusercontent.com,"
          "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
          "builder_go_slsa3.yml,refs/tags/v1.*");
    auto* b = prod->add_builders();
    b->set_id(spec.substr(0, eq));
    auto* id = b->mutable_identity();
    id->set_issuer(parts[0]);
    id->set_workflow(parts[1]);
    for (std::size_t i = 2; i < parts.size(); ++i) id->add_allowed_refs(parts[i]);
    for (const auto& r : o.source_repos) b->add_allowed_source_repositories(r);
    for (const auto& t : o.build_types) b->add_allowed_build_types(t);
    b->set_slsa_build_level(o.slsa_level);
  }
  return Status::Ok();
}

// The builders: each --builder ID=KEYFILE, then --builder-id/--builder-key
// (one builder), else one placeholder builder.
Status AddBuilders(const InitOptions& o, v1::ProductPolicy* prod) {
  std::vector<std::pair<std::string, std::string>> specs;
  for (const auto& spec : o.builders) {
    auto eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return InvalidArgument("--builder \"" + spec + "\" must be ID=KEYFILE");
    specs.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  if (!o.builder_id.empty() || !o.builder_key.empty() ||
      (specs.empty() && o.keyless_builders.empty()))
    specs.emplace_back(o.builder_id, o.builder_key);
  for (const auto& [id, key] : specs) {
    auto* b = prod->add_builders();
    b->set_id(id.empty() ? "REPLACE: exact builder.id" : id);
    if (!key.empty()) {
      SR_ASSIGN_OR_RETURN(*b->mutable_key(), KeyFromFile(key));
    } else {
      b->mutable_key()->set_name("REPLACE: builder");
      b->mutable_key()->set_public_key_pem(kPlaceholderPem);
    }
    for (const auto& r : o.source_repos) b->add_allowed_source_repositories(r);
    for (const auto& t : o.build_types) b->add_allowed_build_types(t);
    b->set_slsa_build_level(o.slsa_level);
  }
  return AddKeylessBuilders(o, prod);
}

// Each --record-signer TYPES=KEYFILE: a key trusted for the comma-separated
// lifecycle record types (policy/lifecycle_record.h).
Status AddRecordSigners(const std::vector<std::string>& specs, v1::ProductPolicy* prod) {
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return InvalidArgument("--record-signer \"" + spec + "\" must be TYPES=PUBKEYFILE, e.g. " +
                             "deployment-result,rollback=update-service.pub.pem");
    v1::RecordSigner* r = prod->add_record_signers();
    SR_ASSIGN_OR_RETURN(*r->mutable_key(), KeyFromFile(spec.substr(eq + 1)));
    for (std::string_view rest(spec.data(), eq); !rest.empty();) {
      auto comma = rest.find(',');
      r->add_record_types(std::string(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    if (std::string m = policy::RecordSignerProblem(*r); !m.empty())
      return InvalidArgument("--record-signer " + spec + ": " + m);
  }
  return Status::Ok();
}

Result<v1::TrustPolicy> BuildPolicy(const InitOptions& o) {
  v1::TrustPolicy p;
  p.set_version(o.version);
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  p.mutable_issued()->set_seconds(now);
  p.mutable_expires()->set_seconds(now + 86400LL * o.valid_days);
  SR_RETURN_IF_ERROR(AddKeys(o.governance_keys, p.mutable_governance(), o.governance_threshold));
  // Every product gets the same approvers, builders, test labs, tests and
  // configurations, and its own key authorization; edit the JSON to differ.
  std::vector<std::string> products = o.products;
  if (products.empty()) products.push_back("PRODUCT");
  std::string fingerprint = "REPLACE: SHA-256 hex of the signing key's SubjectPublicKeyInfo";
  if (!o.signing_key.empty()) {
    SR_ASSIGN_OR_RETURN(v1::TrustedKey k, KeyFromFile(o.signing_key));
    SR_ASSIGN_OR_RETURN(policy::PublicKey pk, policy::PublicKey::FromPem(k.public_key_pem()));
    fingerprint = pk.fingerprint();
  }
  for (const auto& name : products) {
    auto* prod = p.add_products();
    prod->set_name(name);
    SR_RETURN_IF_ERROR(
        AddKeys(o.approver_keys, prod->mutable_approvers(), o.approval_threshold));
    SR_RETURN_IF_ERROR(AddBuilders(o, prod));
    for (const auto& lab : o.lab_keys) {
      SR_ASSIGN_OR_RETURN(*prod->add_test_labs(), KeyFromFile(lab));
    }
    for (const auto& t : o.required_tests) prod->add_required_tests(t);
    for (const auto& c : o.configurations) prod->add_configurations(c);
    SR_RETURN_IF_ERROR(AddRecordSigners(o.record_signers, prod));
    for (const auto& k : o.product_security_keys) {
      SR_ASSIGN_OR_RETURN(*prod->add_product_security(), KeyFromFile(k));
    }
    prod->set_require_vex(o.require_vex);
    for (const auto& d : o.required_documents) prod->add_required_documents(d);
    prod->set_evidence_freshness_days(o.freshness_days);
    auto* a = p.add_key_authorizations();
    a->set_id("auth-" + name + "-1");
    a->set_key_fingerprint(fingerprint);
    a->set_product(name);
    a->set_min_version(o.min_version);
    a->set_max_version(o.max_version);
    *a->mutable_not_before() = p.issued();
    *a->mutable_not_after() = p.expires();
    a->set_purpose("release-signing");
  }
  if (!o.trusted_root.empty()) {
    SR_ASSIGN_OR_RETURN(std::string root, ReadFile(o.trusted_root, policy::kMaxTrustedRootBytes));
    auto parsed = policy::TrustedRoot::Parse(root, o.trusted_root);
    if (!parsed.ok()) return policy::FailureToStatus(parsed.failure()).Annotate("--trusted-root");
    p.set_sigstore_trusted_root_sha256(Sha256Hex(root));
  } else if (!o.keyless_builders.empty()) {
    p.set_sigstore_trusted_root_sha256("REPLACE: SHA-256 hex of the Sigstore trusted_root.json");
  }
  if (!o.log_vkey.empty()) {
    SR_ASSIGN_OR_RETURN(std::string vkey, VerifierKeyText(o.log_vkey));
    SR_RETURN_IF_ERROR(log::NoteVerifier::Parse(vkey).status().Annotate("--log-vkey"));
    p.set_log_verifier_key(vkey);
  }
  return p;
}

int RunInit(Context& ctx, const InitOptions& o) {
  auto p = BuildPolicy(o);
  if (!p.ok()) return ReportError(ctx, p.status());
  std::string json;
  pb::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  (void)pb::util::MessageToJsonString(p.value(), &json, opts);
  auto valid = policy::ParsePolicyJson(json);
  Status st = WriteFileAtomic(o.out, json, 0644, !o.force);
  if (!st.ok()) return ReportError(ctx, st);
  std::string note =
      valid.ok() ? "complete" : "a template: " + policy::FormatFailure(valid.failure());
  if (ctx.json) {
    PrintJson({{"ok", true}, {"out", o.out}, {"complete", valid.ok()}});
  } else {
    std::cout << "wrote policy version " << o.version << " to " << o.out << " (" << note << ")\n";
  }
  return kExitOk;
}

void RegisterInit(CLI::App& policy, Context& ctx) {
  auto o = std::make_shared<InitOptions>();
  auto* c = policy.add_subcommand(
      "init",
      "Write a trust-policy JSON document to fill in and review. Every key given as a flag is "
      "read\n"
      "from a PEM public-key file; anything not given is left as a REPLACE placeholder, which\n"
      "`policy sign` refuses until it is filled in.");
  c->add_option("--out", o->out, "Policy JSON file to write")->required();
  c->add_option("--product", o->products,
                "Product name, e.g. IC-22 (repeat: each product gets the same approvers,\n"
                "builders, test labs, tests and configurations, and its own key authorization)");
  c->add_option("--version", o->version, "Policy version (strictly increasing; default 1)");
  c->add_option("--valid-days", o->valid_days, "Days until the policy expires (default 365)");
  c->add_option("--governance-key", o->governance_keys,
                "PEM public key of a governance member (repeat)");
  c->add_option("--governance-threshold", o->governance_threshold,
                "Governance signatures required (default: a majority, floor(N/2)+1 of the N\n"
                "governance keys: 2 of 3, 3 of 4)");
  c->add_option("--approver-key", o->approver_keys,
                "PEM public key of a release approver (repeat)");
  c->add_option("--approval-threshold", o->approval_threshold, "Distinct approvers required (default: a majority, floor(N/2)+1 of the N approvers)");
  c->add_option("--builder", o->builders,
                "A trusted build system: ID=KEYFILE, its exact builder.id and the PEM public key\n"
                "that signs its provenance (repeat; --source-repo, --build-type and\n"
                "--slsa-build-level apply to every builder)");
  c->add_option("--keyless-builder", o->keyless_builders,
                "A build system trusted by identity (Sigstore keyless):\n"
                "ID=ISSUER,WORKFLOW,REF[,REF...]: its exact builder.id, the certificate's OIDC\n"
                "issuer, its workflow (SAN URI up to the '@') and the allowed refs (exact, or a\n"
                "prefix ending in '*'). Needs --trusted-root (repeat)");
  c->add_option("--trusted-root", o->trusted_root,
                "The Sigstore trusted_root.json keyless builders are verified against: its\n"
                "SHA-256 goes into sigstore_trusted_root_sha256 (install it with the policy)");
  c->add_option("--builder-id", o->builder_id,
                "Exact builder.id of one trusted build system (or use --builder)");
  c->add_option("--builder-key", o->builder_key,
                "PEM public key that signs --builder-id's provenance");
  c->add_option("--source-repo", o->source_repos, "Allowed source repository URL (repeat)");
  c->add_option("--build-type", o->build_types, "Allowed buildType URI (repeat)");
  c->add_option("--test-lab-key,--test-lab", o->lab_keys,
                "PEM public key of a trusted test lab (repeat)");
  c->add_option("--required-test", o->required_tests,
                "Test required per configuration, e.g. rollback (repeat)");
  c->add_option("--configuration", o->configurations, "A configuration of the product (repeat)");
  c->add_option("--record-signer", o->record_signers,
                "TYPES=PUBKEYFILE: a key trusted to sign the lifecycle records of the comma-\n"
                "separated types (`strongroom record`), e.g.\n"
                "deployment-result,rollback,recovery=update-service.pub.pem (repeat)");
  c->add_option("--product-security-key", o->product_security_keys,
                "PEM public key of the product-security team, trusted to sign OpenVEX (repeat)");
  c->add_flag("--require-vex", o->require_vex,
              "A release whose approval names vulnerabilities needs an OpenVEX statement\n"
              "covering each of them (sign --vex)");
  c->add_option("--required-document", o->required_documents,
                "A document kind every approval must bind, e.g. rollback-conditions (repeat)");
  c->add_option("--evidence-freshness-days", o->freshness_days,
                "Test evidence older than this is reported stale by `audit report` (0: none)");
  c->add_option("--signing-key", o->signing_key,
                "PEM public key of the release-signing key to authorize");
  c->add_option("--min-version", o->min_version, "Lowest release version the key may sign");
  c->add_option("--max-version", o->max_version,
                "Highest release version the key may sign (default: none)");
  c->add_option("--slsa-build-level", o->slsa_level,
                "SLSA Build level governance asserts for the builder (1-3; reported in VSAs)");
  c->add_option("--log-vkey", o->log_vkey,
                "The station log's verifier key (string or file, `strongroom log vkey`), so\n"
                "verifiers can take it from the policy");
  c->add_flag("--force", o->force, "Overwrite --out if it exists");
  c->callback([&ctx, o] { ctx.exit_code = RunInit(ctx, *o); });
}

}  // namespace

void RegisterPolicyInstallShow(CLI::App& policy, Context& ctx);
void RegisterPolicySign(CLI::App& policy, Context& ctx);

void RegisterPolicyCommands(CLI::App& app, Context& ctx) {
  auto* policy = app.add_subcommand(
      "policy",
      "Create, sign, install and show the station's trust policy: who approves releases, which\n"
      "builders and test labs are trusted, and which keys may sign which product versions.");
  policy->require_subcommand(1);
  RegisterInit(*policy, ctx);
  RegisterPolicySign(*policy, ctx);
  RegisterPolicyInstallShow(*policy, ctx);
}

}  // namespace sr::cli
