// Sigstore keyless verification (policy/sigstore.h), fed the bytes as a
// bundle checked against the public-good trusted root with the real
// builders' identities (the seeds are the three real bundles, which verify,
// so mutations start deep in the chain, log-entry and proof checks), and as
// a trusted root. Invariants: a verified bundle names an identity that the
// rule it reports allows, a certificate digest and a log time; a parsed
// trusted root's digest is 64 hex digits.
#include <cstdlib>
#include <string>
#include <vector>

#include "base/file.h"
#include "fuzz/fuzz.h"
#include "policy/sigstore.h"

namespace {

namespace p = sr::policy;

const char* kIssuer = "https://token.actions.githubusercontent.com";

const std::vector<p::KeylessIdentityRule>& Rules() {
  static const std::vector<p::KeylessIdentityRule> k = {
      {kIssuer, "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml",
       {"refs/tags/*"}},
      {kIssuer, "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml",
       {"refs/tags/*"}},
      {kIssuer,
       "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
       "delegator_lowperms-generic_slsa3.yml",
       {"refs/tags/*"}},
  };
  return k;
}

const p::TrustedRoot& PublicGood() {
  static const p::TrustedRoot root = [] {
    auto text = sr::ReadFile(STRONGROOM_SOURCE_DIR "/tests/testdata/sigstore/trusted_root.json",
                             p::kMaxTrustedRootBytes);
    if (!text.ok()) std::abort();
    auto r = p::TrustedRoot::Parse(text.value(), "trusted root");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  auto v = p::VerifyKeylessBundle(in, PublicGood(), Rules(), "fuzz");
  if (v.ok()) {
    SR_FUZZ_CHECK(v->rule_index < Rules().size());
    SR_FUZZ_CHECK(p::IdentityAllowed(Rules()[v->rule_index], v->issuer, v->identity));
    SR_FUZZ_CHECK(v->certificate_sha256.size() == 64 && v->integrated_time > 0);
  }
  auto root = p::TrustedRoot::Parse(in, "fuzz");
  if (root.ok()) SR_FUZZ_CHECK(root->Sha256Hex().size() == 64);
  return 0;
}
