// `strongroom policy init|sign|install|show`: the trust policy's life cycle.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>

#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "policy/json.h"
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
  std::string out, product = "PRODUCT", builder_id, builder_key, lab_key, signing_key,
                   min_version = "0.0.1", max_version, log_vkey;
  std::vector<std::string> governance_keys, approver_keys, source_repos, build_types,
      required_tests, configurations;
  unsigned governance_threshold = 0, approval_threshold = 0, valid_days = 365, slsa_level = 0;
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
  set->set_threshold(threshold ? threshold
                               : static_cast<unsigned>(std::max<std::size_t>(1, files.size())));
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
  auto* prod = p.add_products();
  prod->set_name(o.product);
  SR_RETURN_IF_ERROR(AddKeys(o.approver_keys, prod->mutable_approvers(), o.approval_threshold));
  auto* b = prod->add_builders();
  b->set_id(o.builder_id.empty() ? "REPLACE: exact builder.id" : o.builder_id);
  if (!o.builder_key.empty()) {
    SR_ASSIGN_OR_RETURN(*b->mutable_key(), KeyFromFile(o.builder_key));
  } else {
    b->mutable_key()->set_name("REPLACE: builder");
    b->mutable_key()->set_public_key_pem(kPlaceholderPem);
  }
  for (const auto& r : o.source_repos) b->add_allowed_source_repositories(r);
  for (const auto& t : o.build_types) b->add_allowed_build_types(t);
  b->set_slsa_build_level(o.slsa_level);
  if (!o.lab_key.empty()) {
    SR_ASSIGN_OR_RETURN(*prod->add_test_labs(), KeyFromFile(o.lab_key));
  }
  for (const auto& t : o.required_tests) prod->add_required_tests(t);
  for (const auto& c : o.configurations) prod->add_configurations(c);
  auto* a = p.add_key_authorizations();
  a->set_id("auth-" + o.product + "-1");
  if (!o.signing_key.empty()) {
    SR_ASSIGN_OR_RETURN(v1::TrustedKey k, KeyFromFile(o.signing_key));
    SR_ASSIGN_OR_RETURN(policy::PublicKey pk, policy::PublicKey::FromPem(k.public_key_pem()));
    a->set_key_fingerprint(pk.fingerprint());
  } else {
    a->set_key_fingerprint("REPLACE: SHA-256 hex of the signing key's SubjectPublicKeyInfo");
  }
  a->set_product(o.product);
  a->set_min_version(o.min_version);
  a->set_max_version(o.max_version);
  *a->mutable_not_before() = p.issued();
  *a->mutable_not_after() = p.expires();
  a->set_purpose("release-signing");
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
  c->add_option("--product", o->product, "Product name, e.g. IC-22");
  c->add_option("--version", o->version, "Policy version (strictly increasing; default 1)");
  c->add_option("--valid-days", o->valid_days, "Days until the policy expires (default 365)");
  c->add_option("--governance-key", o->governance_keys,
                "PEM public key of a governance member (repeat)");
  c->add_option("--governance-threshold", o->governance_threshold,
                "Governance signatures required");
  c->add_option("--approver-key", o->approver_keys,
                "PEM public key of a release approver (repeat)");
  c->add_option("--approval-threshold", o->approval_threshold, "Distinct approvers required");
  c->add_option("--builder-id", o->builder_id, "Exact builder.id of the trusted build system");
  c->add_option("--builder-key", o->builder_key,
                "PEM public key that signs the builder's provenance");
  c->add_option("--source-repo", o->source_repos, "Allowed source repository URL (repeat)");
  c->add_option("--build-type", o->build_types, "Allowed buildType URI (repeat)");
  c->add_option("--test-lab-key", o->lab_key, "PEM public key of the trusted test lab");
  c->add_option("--required-test", o->required_tests,
                "Test required per configuration, e.g. rollback (repeat)");
  c->add_option("--configuration", o->configurations, "A configuration of the product (repeat)");
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
