// Offline verification of Sigstore keyless bundles (policy/sigstore.h): the
// real bundles of tests/testdata/realworld against the public-good trusted
// root, and each one-field change refused with its own reason.
#include "policy/sigstore.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/sigstore_fixtures.h"

namespace sr::testing {
namespace {

using nlohmann::json;
using policy::KeylessIdentityRule;
using policy::Reason;
using policy::ReasonName;
using policy::TrustedRoot;
using policy::VerifyKeylessBundle;

// The refusal of a Checked, or "" (safe in a doctest message, which is built
// even when the check passes).
template <typename T>
std::string Why(const policy::Checked<T>& c) {
  return c.ok() ? std::string() : policy::FormatFailure(c.failure());
}

const TrustedRoot& PublicGood() {
  static const TrustedRoot root = [] {
    auto r = TrustedRoot::Parse(ReadData("sigstore/trusted_root.json"), "trusted root");
    REQUIRE_MESSAGE(r.ok(), Why(r));
    return std::move(r).value();
  }();
  return root;
}

std::vector<KeylessIdentityRule> RulesFor(const RealBundle& b) {
  return {{kGithubIssuer, b.workflow, {b.ref}}};
}

// The reason name of a refusal, or "OK".
std::string Outcome(const std::string& bundle, const TrustedRoot& root,
                    const std::vector<KeylessIdentityRule>& rules) {
  auto v = VerifyKeylessBundle(bundle, root, rules, "provenance");
  if (v.ok()) return "OK";
  MESSAGE(policy::FormatFailure(v.failure()));
  return std::string(ReasonName(v.failure().reason));
}

json Tlog(json& b) { return b["verificationMaterial"]["tlogEntries"][0]; }

TEST_CASE("sigstore: the public-good trusted root parses: two Fulcio CAs, Rekor logs, its digest") {
  const TrustedRoot& r = PublicGood();
  CHECK(r.certificate_authorities().size() == 2);
  CHECK(r.certificate_authorities()[1].chain_der.size() == 2);
  CHECK(r.tlogs().size() >= 1);
  CHECK(r.tlogs()[0].base_url == "https://rekor.sigstore.dev");
  CHECK(r.Sha256Hex() == Sha256Hex(ReadData("sigstore/trusted_root.json")));
  CHECK(r.Sha256Hex().size() == 64);

  auto bad = TrustedRoot::Parse(R"({"mediaType":"application/json"})", "trusted root");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().reason == Reason::kInputBadField);
  auto notjson = TrustedRoot::Parse("{", "trusted root");
  REQUIRE_FALSE(notjson.ok());
  CHECK(notjson.failure().reason == Reason::kInputBadJson);
}

TEST_CASE("sigstore: the three real bundles verify offline under rules naming their builders") {
  for (const RealBundle& b : RealBundles()) {
    SUBCASE(b.file) {
      auto v = VerifyKeylessBundle(ReadData(b.file), PublicGood(), RulesFor(b), b.file);
      REQUIRE_MESSAGE(v.ok(), Why(v));
      CHECK(v->issuer == kGithubIssuer);
      CHECK(v->identity == std::string(b.workflow) + "@" + b.ref);
      CHECK(v->source_repository == b.source_repository);
      CHECK(v->certificate_sha256.size() == 64);
      CHECK(v->log_index > 0);
      CHECK(v->log_id_hex == "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d");
      CHECK(v->integrated_time > 1700000000);
      CHECK(v->envelope.payload_type == "application/vnd.in-toto+json");
      // A prefix pattern and a second rule: the matching rule's index.
      std::vector<KeylessIdentityRule> two = {{kGithubIssuer, "https://example.com/x.yml", {"*"}},
                                              {kGithubIssuer, b.workflow, {"refs/tags/v*"}}};
      auto w = VerifyKeylessBundle(ReadData(b.file), PublicGood(), two, b.file);
      REQUIRE(w.ok());
      CHECK(w->rule_index == 1);
    }
  }
}

TEST_CASE("sigstore: a plain DSSE envelope with a certificate is TLOG_ENTRY_MISSING") {
  auto v = VerifyKeylessBundle(
      ReadData("realworld/gha-go-v1.2.1-binary-linux-amd64-push-v14.intoto.jsonl"), PublicGood(),
      {{{kGithubIssuer,
         "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
         "builder_go_slsa3.yml",
         {"refs/tags/v1.2.1"}}}},
      "provenance");
  REQUIRE_FALSE(v.ok());
  CHECK(v.failure().reason == Reason::kTlogEntryMissing);
  CHECK(v.failure().message.find(".sigstore.json") != std::string::npos);

  json b = json::parse(ReadData(RealBundles()[0].file));
  b["verificationMaterial"]["tlogEntries"] = json::array();
  CHECK(Outcome(b.dump(), PublicGood(), RulesFor(RealBundles()[0])) == "TLOG_ENTRY_MISSING");
}

TEST_CASE("sigstore: identity changes are CERT_IDENTITY_MISMATCH, naming both sides") {
  const RealBundle& b = RealBundles()[0];
  const std::string text = ReadData(b.file);
  CHECK(Outcome(text, PublicGood(),
                {{kGithubIssuer,
                  "https://github.com/bazel-contrib/.github/.github/workflows/other.yaml",
                  {b.ref}}}) == "CERT_IDENTITY_MISMATCH");
  CHECK(Outcome(text, PublicGood(), {{kGithubIssuer, b.workflow, {"refs/tags/v7.1.1"}}}) ==
        "CERT_IDENTITY_MISMATCH");
  CHECK(Outcome(text, PublicGood(), {{kGithubIssuer, b.workflow, {"refs/heads/*"}}}) ==
        "CERT_IDENTITY_MISMATCH");
  CHECK(Outcome(text, PublicGood(), {{"https://accounts.google.com", b.workflow, {b.ref}}}) ==
        "CERT_IDENTITY_MISMATCH");
  // The workflow is a whole path, not a prefix of one.
  CHECK(Outcome(text, PublicGood(),
                {{kGithubIssuer,
                  "https://github.com/bazel-contrib/.github/.github/workflows/release",
                  {"*"}}}) == "CERT_IDENTITY_MISMATCH");
  auto v = VerifyKeylessBundle(text, PublicGood(),
                               {{{kGithubIssuer, b.workflow, {"refs/tags/v9"}}}}, "provenance");
  REQUIRE_FALSE(v.ok());
  CHECK(v.failure().message.find(std::string(b.workflow) + "@" + b.ref) != std::string::npos);
  CHECK(v.failure().message.find("refs/tags/v9") != std::string::npos);
}

TEST_CASE("sigstore: a certificate from another CA is CERT_CHAIN_INVALID") {
  const RealBundle& b = RealBundles()[1];
  json bundle = json::parse(ReadData(b.file));
  std::int64_t t = std::stoll(Tlog(bundle)["integratedTime"].get<std::string>());
  PkeyPtr ca_key = NewEcKey();
  X509Ptr ca = MakeCert(ca_key.get(), ca_key.get(), nullptr, "sigstore-intermediate", true,
                        t - 86400, t + 86400);
  PkeyPtr leaf_key = NewEcKey();
  LeafIdentity id;
  id.san = std::string(b.workflow) + "@" + b.ref;
  id.source_repository = b.source_repository;
  X509Ptr leaf =
      MakeCert(leaf_key.get(), ca_key.get(), ca.get(), nullptr, false, t - 60, t + 540, &id);
  bundle["verificationMaterial"]["certificate"]["rawBytes"] = Base64Encode(Der(leaf.get()));
  auto& env = bundle["dsseEnvelope"];
  auto payload = Base64Decode(env["payload"].get<std::string>());
  REQUIRE(payload.ok());
  env["signatures"][0]["sig"] = Base64Encode(
      EcSign(leaf_key.get(),
             policy::PreAuthEncoding(env["payloadType"].get<std::string>(), payload.value())));
  CHECK(Outcome(bundle.dump(), PublicGood(), RulesFor(b)) == "CERT_CHAIN_INVALID");
}

TEST_CASE("sigstore: an altered inclusion proof, checkpoint or SET is TLOG_PROOF_INVALID") {
  for (const RealBundle& b : RealBundles()) {
    SUBCASE(b.file) {
      const json orig = json::parse(ReadData(b.file));
      auto rules = RulesFor(b);
      auto with = [&](auto edit) {
        json j = orig;
        edit(j["verificationMaterial"]["tlogEntries"][0]);
        return Outcome(j.dump(), PublicGood(), rules);
      };
      CHECK(with([](json&) {}) == "OK");
      // One proof hash altered (the SET is still valid: it must not hide it).
      CHECK(with([](json& e) {
              auto h = Base64Decode(e["inclusionProof"]["hashes"][0].get<std::string>()).value();
              h[0] = static_cast<char>(h[0] ^ 1);
              e["inclusionProof"]["hashes"][0] = Base64Encode(h);
            }) == "TLOG_PROOF_INVALID");
      // The checkpoint's tree size altered: its signature no longer verifies.
      CHECK(with([](json& e) {
              std::string cp = e["inclusionProof"]["checkpoint"]["envelope"];
              std::size_t nl = cp.find('\n');
              cp.insert(nl + 1, "1");
              e["inclusionProof"]["checkpoint"]["envelope"] = cp;
            }) == "TLOG_PROOF_INVALID");
      // The checkpoint's signature altered.
      CHECK(with([](json& e) {
              std::string cp = e["inclusionProof"]["checkpoint"]["envelope"];
              std::size_t sp = cp.rfind(' ');
              cp[sp + 10] = cp[sp + 10] == 'A' ? 'B' : 'A';
              e["inclusionProof"]["checkpoint"]["envelope"] = cp;
            }) == "TLOG_PROOF_INVALID");
      // Root hash and checkpoint both claim another tree.
      CHECK(with([](json& e) { e["inclusionProof"]["treeSize"] = "12345"; }) ==
            "TLOG_PROOF_INVALID");
      // The SET altered (the proof is still valid: it must not hide it).
      CHECK(with([](json& e) {
              auto s =
                  Base64Decode(e["inclusionPromise"]["signedEntryTimestamp"].get<std::string>())
                      .value();
              s[10] = static_cast<char>(s[10] ^ 1);
              e["inclusionPromise"]["signedEntryTimestamp"] = Base64Encode(s);
            }) == "TLOG_PROOF_INVALID");
      // integratedTime changed: the SET signs it.
      CHECK(with([](json& e) {
              e["integratedTime"] =
                  std::to_string(std::stoll(e["integratedTime"].get<std::string>()) + 1);
            }) == "TLOG_PROOF_INVALID");
      // Either proof alone suffices when it verifies; neither is refused.
      CHECK(with([](json& e) { e.erase("inclusionPromise"); }) == "OK");
      CHECK(with([](json& e) { e.erase("inclusionProof"); }) == "OK");
      CHECK(with([](json& e) {
              e.erase("inclusionProof");
              e.erase("inclusionPromise");
            }) == "TLOG_PROOF_INVALID");
    }
  }
}

TEST_CASE("sigstore: an altered payload is PROVENANCE_SIGNATURE_INVALID") {
  for (const RealBundle& b : RealBundles()) {
    SUBCASE(b.file) {
      json j = json::parse(ReadData(b.file));
      std::string payload = Base64Decode(j["dsseEnvelope"]["payload"].get<std::string>()).value();
      payload.replace(payload.find("\"subject\""), 9, "\"subjecT\"");
      j["dsseEnvelope"]["payload"] = Base64Encode(payload);
      CHECK(Outcome(j.dump(), PublicGood(), RulesFor(b)) == "PROVENANCE_SIGNATURE_INVALID");
    }
  }
}

TEST_CASE(
    "sigstore: another entry's body, or a log the root does not know, is TLOG_ENTRY_MISMATCH") {
  const RealBundle& a = RealBundles()[0];
  const RealBundle& b = RealBundles()[1];
  json ja = json::parse(ReadData(a.file));
  json jb = json::parse(ReadData(b.file));
  json swapped = jb;
  swapped["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"] =
      ja["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"];
  CHECK(Outcome(swapped.dump(), PublicGood(), RulesFor(b)) == "TLOG_ENTRY_MISMATCH");
  // The whole entry of another bundle (its proof and SET valid for its own body).
  // (b's entry in a: b's integratedTime lies inside a's certificate validity.)
  json whole = ja;
  whole["verificationMaterial"]["tlogEntries"] = jb["verificationMaterial"]["tlogEntries"];
  CHECK(Outcome(whole.dump(), PublicGood(), RulesFor(a)) == "TLOG_ENTRY_MISMATCH");
  json other_log = jb;
  other_log["verificationMaterial"]["tlogEntries"][0]["logId"]["keyId"] =
      Base64Encode(Sha256Bytes("another log"));
  CHECK(Outcome(other_log.dump(), PublicGood(), RulesFor(b)) == "TLOG_ENTRY_MISMATCH");
}

TEST_CASE(
    "sigstore: each field of the entry body that binds the envelope is checked (dsse 0.0.1 "
    "and intoto 0.0.2)") {
  for (const RealBundle& b : RealBundles()) {
    SUBCASE(b.file) {
      const json orig = json::parse(ReadData(b.file));
      const json body = json::parse(
          Base64Decode(orig["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
                           .get<std::string>())
              .value());
      const bool dsse = body["kind"] == "dsse";
      auto with_body = [&](auto edit) {
        json bd = body;
        edit(bd);
        json j = orig;
        j["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"] = Base64Encode(bd.dump());
        return Outcome(j.dump(), PublicGood(), RulesFor(b));
      };
      json::json_pointer hash(dsse ? "/spec/payloadHash/value" : "/spec/content/payloadHash/value");
      json::json_pointer sig(dsse ? "/spec/signatures/0/signature"
                                  : "/spec/content/envelope/signatures/0/sig");
      json::json_pointer verifier(dsse ? "/spec/signatures/0/verifier"
                                       : "/spec/content/envelope/signatures/0/publicKey");
      CHECK(with_body([&](json& bd) { bd[hash] = Sha256Hex("other payload"); }) ==
            "TLOG_ENTRY_MISMATCH");
      CHECK(with_body([&](json& bd) { bd[sig] = Base64Encode("another signature"); }) ==
            "TLOG_ENTRY_MISMATCH");
      CHECK(with_body([&](json& bd) { bd[verifier] = Base64Encode("not a certificate"); }) ==
            "TLOG_ENTRY_MISMATCH");
      CHECK(with_body([&](json& bd) { bd["kind"] = dsse ? "intoto" : "dsse"; }) ==
            "TLOG_ENTRY_MISMATCH");
    }
  }
}

TEST_CASE("sigstore: a bundle from a test Sigstore verifies; one-field changes are refused") {
  MiniSigstore ms;
  auto root = TrustedRoot::Parse(ms.TrustedRootJson(), "trusted root");
  REQUIRE_MESSAGE(root.ok(), Why(root));
  const std::string wf = "https://github.com/acme/widget/.github/workflows/release.yml";
  std::vector<KeylessIdentityRule> rules = {{kGithubIssuer, wf, {"refs/tags/*"}}};
  MiniSigstore::Options o;
  o.id.san = wf + "@refs/tags/v1.0.0";
  o.id.source_repository = "https://github.com/acme/widget";
  o.id.source_ref = "refs/tags/v1.0.0";
  o.id.source_digest = std::string(40, 'a');

  auto v = VerifyKeylessBundle(ms.Bundle(o), root.value(), rules, "provenance");
  REQUIRE_MESSAGE(v.ok(), Why(v));
  CHECK(v->source_repository == "https://github.com/acme/widget");
  CHECK(v->source_ref == "refs/tags/v1.0.0");
  CHECK(v->source_digest == std::string(40, 'a'));
  CHECK(v->integrated_time == ms.now);
  CHECK(v->log_index == 4242);

  SUBCASE("signed after the certificate expired") {
    o.not_before_offset = -1200;
    o.not_after_offset = -600;
    CHECK(Outcome(ms.Bundle(o), root.value(), rules) == "SIGNED_OUTSIDE_CERT_VALIDITY");
  }
  SUBCASE("signed before the certificate was valid") {
    o.not_before_offset = 60;
    o.not_after_offset = 600;
    CHECK(Outcome(ms.Bundle(o), root.value(), rules) == "SIGNED_OUTSIDE_CERT_VALIDITY");
  }
  SUBCASE("the real trusted root does not know the test CA") {
    CHECK(Outcome(ms.Bundle(o), PublicGood(), rules) == "CERT_CHAIN_INVALID");
  }
  SUBCASE("a leaf of another CA with the same identity") {
    PkeyPtr k = NewEcKey();
    X509Ptr other =
        MakeCert(k.get(), k.get(), nullptr, "mini-fulcio", true, ms.now - 86400, ms.now + 86400);
    o.issuer_key = k.get();
    o.issuer = other.get();
    CHECK(Outcome(ms.Bundle(o), root.value(), rules) == "CERT_CHAIN_INVALID");
  }
  SUBCASE("another issuer in the certificate") {
    o.id.issuer = "https://accounts.google.com";
    CHECK(Outcome(ms.Bundle(o), root.value(), rules) == "CERT_IDENTITY_MISMATCH");
  }
  SUBCASE("the CA is not valid at the signing time in the trusted root") {
    json tr = json::parse(ms.TrustedRootJson());
    tr["certificateAuthorities"][0]["validFor"]["end"] = RfcTime(ms.now - 10);
    auto r2 = TrustedRoot::Parse(tr.dump(), "trusted root");
    REQUIRE(r2.ok());
    CHECK(Outcome(ms.Bundle(o), r2.value(), rules) == "CERT_CHAIN_INVALID");
  }
}

}  // namespace
}  // namespace sr::testing
