// `strongroom keyless verify`: verify a Sigstore keyless bundle offline
// against a trusted root and an identity rule (policy/sigstore.h), without a
// station or a log. Parses options, calls policy::VerifyKeylessBundle, prints.
#include <iostream>

#include "base/file.h"
#include "cli/common.h"
#include "cli/json.h"
#include "policy/json.h"
#include "policy/sigstore.h"

namespace sr::cli {
namespace {

struct KeylessArgs {
  std::string bundle, trusted_root, issuer, workflow;
  std::vector<std::string> allowed_refs;
};

int RunVerify(Context& ctx, const KeylessArgs& a) {
  auto root_text = ReadFile(a.trusted_root, policy::kMaxTrustedRootBytes);
  if (!root_text.ok()) return ReportError(ctx, root_text.status().Annotate("--trusted-root"));
  auto bundle_text = ReadFile(a.bundle, policy::kMaxDocumentBytes);
  if (!bundle_text.ok()) return ReportError(ctx, bundle_text.status());
  auto root = policy::TrustedRoot::Parse(*root_text, "trusted_root");
  std::vector<policy::KeylessIdentityRule> rules = {{a.issuer, a.workflow, a.allowed_refs}};
  auto v = root.ok() ? policy::VerifyKeylessBundle(*bundle_text, root.value(), rules, "bundle")
                     : policy::Checked<policy::KeylessVerified>(root.failure());
  if (!v.ok()) {
    const policy::Failure& f = v.failure();
    int rc = ExitCodeFor(policy::FailureToStatus(f));
    if (ctx.json) {
      PrintJson({{"ok", false},
                 {"verified", false},
                 {"reason", policy::ReasonName(f.reason)},
                 {"input", f.input},
                 {"message", f.message},
                 {"exit", rc}});
    } else {
      std::cerr << "strongroom: REFUSED " << a.bundle << ":\n  " << policy::FormatFailure(f)
                << "\n";
    }
    return rc;
  }
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"verified", true},
               {"issuer", v->issuer},
               {"identity", v->identity},
               {"source_repository", v->source_repository},
               {"source_ref", v->source_ref},
               {"source_digest", v->source_digest},
               {"certificate_sha256", v->certificate_sha256},
               {"rekor_log_index", v->log_index},
               {"rekor_log_id", v->log_id_hex},
               {"integrated_time", v->integrated_time},
               {"trusted_root_sha256", root->Sha256Hex()},
               {"payload_type", v->envelope.payload_type}});
  } else {
    std::cout << "VERIFIED " << a.bundle << "\n"
              << "  issuer             " << v->issuer << "\n"
              << "  identity           " << v->identity << "\n"
              << "  source repository  " << v->source_repository << "\n"
              << "  source ref         " << v->source_ref << "\n"
              << "  source digest      " << v->source_digest << "\n"
              << "  certificate sha256 " << v->certificate_sha256 << "\n"
              << "  rekor log index    " << v->log_index << " (log " << v->log_id_hex << ")\n"
              << "  integrated time    " << v->integrated_time << "\n"
              << "  trusted root       " << root->Sha256Hex() << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterKeylessCommands(CLI::App& app, Context& ctx) {
  CLI::App* k = app.add_subcommand(
      "keyless",
      "Sigstore keyless bundles, verified offline (docs/policy.md, \"Keyless builders\").");
  k->require_subcommand(1);
  auto a = std::make_shared<KeylessArgs>();
  CLI::App* c = k->add_subcommand(
      "verify",
      "Verify a Sigstore bundle (v0.1-v0.3, DSSE) offline, as the signing gate does for a builder\n"
      "trusted by identity: the Fulcio certificate chains to a CA of the trusted root valid at "
      "the\n"
      "Rekor entry's integratedTime, which lies inside the certificate's validity; the Rekor\n"
      "entry's inclusion proof + checkpoint and signed entry timestamp verify under a log key of\n"
      "the trusted root; its body records this envelope; the DSSE signature verifies under the\n"
      "certificate's key; the certificate's issuer is --issuer and its SAN is --workflow@REF with\n"
      "REF allowed by an --allowed-ref. No station, no log, no network.\n"
      "Exit 0 and the identity, source and Rekor log index when verified; otherwise the reason\n"
      "code (CERT_CHAIN_INVALID, CERT_IDENTITY_MISMATCH, TLOG_ENTRY_MISSING, TLOG_PROOF_INVALID,\n"
      "TLOG_ENTRY_MISMATCH, SIGNED_OUTSIDE_CERT_VALIDITY, PROVENANCE_SIGNATURE_INVALID: exit 1;\n"
      "a malformed file, INPUT_*: exit 3; a missing file: exit 4) and its message.");
  c->add_option("bundle", a->bundle,
                "The Sigstore bundle (.sigstore.json, .intoto.jsonl; at most 4 MiB)")
      ->required();
  c->add_option("--trusted-root", a->trusted_root,
                "The Sigstore trusted_root.json to verify against (at most 1 MiB)")
      ->required();
  c->add_option("--issuer", a->issuer,
                "The certificate's OIDC issuer, exact, e.g. "
                "https://token.actions.githubusercontent.com")
      ->required();
  c->add_option("--workflow", a->workflow,
                "The certificate's SAN URI before the '@', exact, e.g.\n"
                "https://github.com/OWNER/REPO/.github/workflows/release.yml")
      ->required();
  c->add_option("--allowed-ref", a->allowed_refs,
                "A ref allowed after the '@' (exact, or a prefix ending in '*', e.g.\n"
                "'refs/tags/v*'); repeat for several")
      ->required();
  c->callback([&ctx, a] { ctx.exit_code = RunVerify(ctx, *a); });
}

}  // namespace sr::cli
