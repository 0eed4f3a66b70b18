// `strongroom verify`: the consumer's offline check of a signed release.
#include <iostream>

#include "base/file.h"
#include "policy/json.h"
#include "cli/common.h"
#include "cli/json.h"
#include "release/verify.h"

namespace sr::cli {
namespace {

struct VerifyArgs {
  std::string release, key, policy, vkey, attestation_key;
  std::vector<std::string> artifacts, witnesses;
  unsigned witness_threshold = 0;
  bool name = false;
  std::string product, configuration, cohort, installed_version;
  std::string compromised_since;
};

int RunVerify(Context& ctx, const VerifyArgs& a) {
  release::ReleaseVerifyOptions o;
  o.release_dir = a.release;
  o.artifacts = a.artifacts;
  o.match_names = a.name;
  o.product = a.product;
  o.configuration = a.configuration;
  o.cohort = a.cohort;
  o.installed_version = a.installed_version;
  o.compromised_since = a.compromised_since;
  for (auto [path, dest] : {std::pair{&a.key, &o.key_pem}, std::pair{&a.policy, &o.policy_envelope},
                            std::pair{&a.attestation_key, &o.attestation_key_pem}}) {
    if (path->empty()) continue;
    auto text = ReadFile(*path, policy::kMaxDocumentBytes);
    if (!text.ok()) return ReportError(ctx, text.status());
    *dest = std::move(text).value();
  }
  for (const std::string& w : a.witnesses) {
    auto text = VerifierKeyText(w);
    if (!text.ok()) return ReportError(ctx, text.status().Annotate("--witness"));
    o.witnesses.push_back(*text);
  }
  o.witness_threshold = a.witness_threshold;
  if (o.witness_threshold == 0 && !o.witnesses.empty()) o.witness_threshold = 1;
  auto vk = VerifierKeyText(a.vkey);
  if (!vk.ok()) return ReportError(ctx, vk.status().Annotate("--vkey"));
  o.vkey = *vk;
  auto rep = release::VerifyRelease(o);
  if (!rep.ok()) return ReportError(ctx, rep.status().Annotate("verify"));
  if (ctx.json) {
    Json checks = Json::array();
    for (const auto& c : rep->checks)
      checks.push_back(
          {{"check", c.check},
           {"subject", c.subject},
           {"file", c.file},
           {"ok", c.ok},
           {"message", c.message}});
    PrintJson({{"ok", rep->ok},
               {"product", rep->product},
               {"version", rep->version},
               {"log_index", rep->log_index},
               {"key_fingerprint", rep->key_fingerprint},
               {"checks", std::move(checks)}});
  } else {
    for (const auto& c : rep->checks) {
      (c.ok ? std::cout : std::cerr)
          << (c.ok ? "  ok      " : "  FAILED  ") << c.check
          << (c.subject.empty() ? (c.file.empty() ? "" : " [" + c.file + "]") : " [" + c.subject + "]")
          << ": " << c.message << "\n";
    }
    if (rep->ok)
      std::cout << "verified: " << rep->product << " " << rep->version
                << " is signed by an authorized key and logged as event " << rep->log_index << "\n";
    else
      std::cerr << "strongroom: verification FAILED for " << a.release << "\n";
  }
  return rep->ok ? kExitOk : kExitRefused;
}

}  // namespace

void RegisterVerifyCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<VerifyArgs>();
  CLI::App* c = app.add_subcommand(
      "verify",
      "Verify a signed release offline, as a device or deployment service does before\n"
      "installing it: the manifest's signature by a key you trust (or one your trusted\n"
      "policy authorizes for this product and version), each artifact's digest and detached\n"
      "signature, the tlog-proof of the signing event under the log's verifier key, that the\n"
      "logged event binds exactly this manifest, key and signatures, and the VSA.\n"
      "Artifacts are matched to the manifest by digest, whatever their file names. What the\n"
      "device knows of itself is checked too: --product, --configuration, --cohort and\n"
      "--installed-version (a release for another product, an excluded or unapproved\n"
      "configuration, an unapproved cohort, or a version not above the installed one fails).\n"
      "Exit 0 = verified, 1 = a check failed (each failure is named). No network, ever.");
  c->add_option("--release", a->release, "The release's output directory (from `sign`)")
      ->required();
  c->add_option("--artifact", a->artifacts, "An artifact file to check (repeat)")->required();
  c->add_option("--key", a->key, "The signing public key (PEM) you trust");
  c->add_option("--policy", a->policy,
                "Or: a trust policy envelope you trust; the key must be authorized by it");
  c->add_option("--vkey", a->vkey,
                "The log's verifier key (string or file); default: the policy's logVerifierKey");
  c->add_option("--attestation-key", a->attestation_key,
                "The station attestation key (PEM) for the VSA (default: the release's copy,\n"
                "accepted only if the logged signing event names its fingerprint)");
  c->add_flag("--name", a->name,
              "Also require each artifact's file name to be its subject name in the manifest");
  c->add_option("--product", a->product,
                "The product this device is; required when the trusted policy covers several");
  c->add_option("--configuration", a->configuration,
                "The device's configuration: refused when excluded or outside the approved scope");
  c->add_option("--cohort", a->cohort, "The device's deployment cohort: refused when not approved");
  c->add_option("--installed-version", a->installed_version,
                "The version the device runs now: refused unless the release's is above it");
  c->add_option("--compromised-since", a->compromised_since,
                "RFC 3339 time from which the signing key is known compromised: refused unless\n"
                "the release's tlog-proof shows its SIGNING event logged before it (as the\n"
                "policy's compromisedSince)");
  c->add_option("--witness", a->witnesses,
                "A witness's verifier key (tlog-cosignature/v1, type 0x04; string or file),\n"
                "repeatable: the tlog-proof's checkpoint must carry their cosignatures");
  c->add_option("--witness-threshold", a->witness_threshold,
                "How many of the --witness keys must have cosigned (default 1 with --witness)");
  c->callback([&ctx, a] { ctx.exit_code = RunVerify(ctx, *a); });
}

}  // namespace sr::cli
