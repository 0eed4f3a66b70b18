// The gate's OpenVEX and bound-document checks, in process: how a statement
// names a version of ours (pkg:generic purls), which statuses cover a
// vulnerability, OpenVEX's older string forms and aliases, and what the
// bindings record. The command-line refusals are in
// tests/signer/sign_vex_test.cc.
#include <doctest/doctest.h>

#include "policy/gate.h"
#include "policy/vex.h"
#include "tests/testing/gate_table.h"

namespace sr::testing {
namespace {

Signer& Psirt() {
  static std::unique_ptr<KeyFileSigner> k = NewKey("ed25519");
  return *k;
}

World VexWorld(bool require = true) {
  World w;
  auto* p = w.policy.mutable_products(0);
  *p->add_product_security() = Trusted("IC-22 PSIRT", Psirt());
  p->set_require_vex(require);
  return w;
}

// A Statement with an OpenVEX predicate holding `statements` (JSON array text).
std::string Vex(const std::string& statements,
                const std::string& type = "https://openvex.dev/ns/v0.2.0") {
  return SignEnvelope(
      std::string(policy::kInTotoPayloadType),
      "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"fw\","
      "\"digest\":{\"sha256\":\"" +
          std::string(64, 'a') + "\"}}],\"predicateType\":\"" + type +
          "\",\"predicate\":{\"@context\":\"https://openvex.dev/ns/v0.2.0\","
          "\"@id\":\"https://psirt.example.com/vex/1\",\"author\":\"PSIRT\","
          "\"statements\":" +
          statements + "}}",
      {&Psirt()});
}

std::string St(const std::string& vuln, const std::string& product, const std::string& status,
               const std::string& extra = "") {
  return "{\"vulnerability\":{\"name\":\"" + vuln + "\"},\"products\":[{\"@id\":\"" + product +
         "\"}],\"status\":\"" + status + "\"" + extra + "}";
}

policy::Decision Eval(const World& w, const std::string& vex,
                      std::vector<policy::Artifact> documents = {}) {
  GateInputs in = w.Build();
  in.vex = vex;
  in.documents = std::move(documents);
  return policy::Evaluate(w.request, in, w.facts, w.now);
}

TEST_CASE("gate vex: a VEX stating the vulnerability fixed in this version allows, and is bound") {
  World w = VexWorld();
  std::string vex = Vex("[" +
                        St("VULN-2026-014", "pkg:generic/IC-22@5.4.2", "affected",
                           ",\"action_statement\":\"update to 5.4.3\"") +
                        "," + St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "fixed") + "]");
  policy::Decision d = Eval(w, vex);
  INFO(Describe(d));
  REQUIRE(d.allowed());
  CHECK(d.bindings.vex_digest() == Sha256Hex(vex));
  CHECK(d.bindings.vex_signer_fingerprint() == Psirt().KeyId());
  REQUIRE(d.bindings.vex_statements_size() == 1);
  const auto& r = d.bindings.vex_statements(0);
  CHECK(r.status() == "fixed");
  CHECK(r.affected_versions(0) == "5.4.2");
  CHECK(r.fixed_versions(0) == "5.4.3");
}

TEST_CASE("gate vex: which statements cover a vulnerability for this version") {
  World w = VexWorld();
  auto allowed = [&](const std::string& statements,
                     const std::string& type = "https://openvex.dev/ns/v0.2.0") {
    policy::Decision d = Eval(w, Vex(statements, type));
    INFO(Describe(d));
    return d.allowed();
  };
  SUBCASE("not_affected with a justification covers") {
    CHECK(allowed("[" +
                  St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "not_affected",
                     ",\"justification\":\"vulnerable_code_not_in_execute_path\"") +
                  "]"));
  }
  SUBCASE("qualifiers and a subpath of the purl are ignored") {
    CHECK(allowed("[" + St("VULN-2026-014", "pkg:generic/IC-22@5.4.3?arch=arm#fw", "fixed") + "]"));
  }
  SUBCASE("the vulnerability may be named by an alias") {
    CHECK(
        allowed("[{\"vulnerability\":{\"name\":\"CVE-2026-1234\",\"aliases\":[\"VULN-2026-014\"]},"
                "\"products\":[{\"@id\":\"pkg:generic/IC-22@5.4.3\"}],\"status\":\"fixed\"}]"));
  }
  SUBCASE("OpenVEX v0.0.x strings for vulnerability and products, predicate type ns") {
    CHECK(
        allowed("[{\"vulnerability\":\"VULN-2026-014\",\"products\":[\"pkg:generic/"
                "IC-22@5.4.3\"],\"status\":\"fixed\"}]",
                "https://openvex.dev/ns"));
  }
  SUBCASE("identifiers.purl names the product when there is no @id") {
    CHECK(
        allowed("[{\"vulnerability\":{\"name\":\"VULN-2026-014\"},\"products\":[{"
                "\"identifiers\":{\"purl\":\"pkg:generic/IC-22@5.4.3\"}}],\"status\":"
                "\"fixed\"}]"));
  }
  SUBCASE("a later statement supersedes an earlier one") {
    policy::Decision d =
        Eval(w, Vex("[" + St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "fixed") + "," +
                    St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "under_investigation") + "]"));
    CHECK(Names(d) == std::set<std::string>{"VEX_DOES_NOT_COVER"});
  }
  SUBCASE("a purl with a namespace names none of our products") {
    policy::Decision d =
        Eval(w, Vex("[" + St("VULN-2026-014", "pkg:generic/acme/IC-22@5.4.3", "fixed") + "]"));
    CHECK(Names(d) == std::set<std::string>{"VEX_PRODUCT_MISMATCH"});
  }
  SUBCASE("affected without an action statement is malformed") {
    policy::Decision d =
        Eval(w, Vex("[" + St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "affected") + "]"));
    CHECK(Names(d) == std::set<std::string>{"VEX_MALFORMED"});
  }
  SUBCASE("an empty statement list is malformed") {
    CHECK(Names(Eval(w, Vex("[]"))) == std::set<std::string>{"VEX_MALFORMED"});
  }
}

TEST_CASE("gate vex: when a VEX is required") {
  SUBCASE("required, and the approval names a vulnerability: missing refuses") {
    CHECK(Names(VexWorld().Evaluate()) == std::set<std::string>{"VEX_MISSING"});
  }
  SUBCASE("required, but the approval names none: allowed without") {
    World w = VexWorld();
    w.approval.clear_vulnerabilities();
    CHECK(w.Evaluate().allowed());
  }
  SUBCASE("not required: allowed without, and a VEX presented is still judged") {
    World w = VexWorld(false);
    CHECK(w.Evaluate().allowed());
    policy::Decision d = Eval(w, Vex("[" +
                                     St("VULN-2026-014", "pkg:generic/IC-22@5.4.3", "affected",
                                        ",\"action_statement\":\"wait for 5.4.4\"") +
                                     "]"));
    CHECK(Names(d) == std::set<std::string>{"VEX_DOES_NOT_COVER"});
  }
}

TEST_CASE("gate vex: pkg:generic purls name a product and a version") {
  std::string n, v;
  CHECK(policy::ParseGenericPurl("pkg:generic/IC-22@5.4.3", &n, &v));
  CHECK(n == "IC-22");
  CHECK(v == "5.4.3");
  CHECK(policy::ParseGenericPurl("pkg:generic/IC%2022@5.4.3-rc%2B1?x=y", &n, &v));
  CHECK(n == "IC 22");
  CHECK(v == "5.4.3-rc+1");
  CHECK_FALSE(policy::ParseGenericPurl("pkg:deb/debian/IC-22@5.4.3", &n, &v));
  CHECK_FALSE(policy::ParseGenericPurl("pkg:generic/IC-22", &n, &v));
  CHECK_FALSE(policy::ParseGenericPurl("pkg:generic/IC-22@", &n, &v));
  CHECK_FALSE(policy::ParseGenericPurl("pkg:generic/IC-22@5.4.%2", &n, &v));
}

TEST_CASE("gate documents: bound documents presented are recorded; the policy's kinds required") {
  World w;
  w.policy.mutable_products(0)->add_required_documents("rollback-conditions");
  auto* d = w.approval.add_documents();
  d->set_kind("rollback-conditions");
  d->set_name("rollback.md");
  d->set_sha256(Sha256Hex("rollback"));
  SUBCASE("presented under another name: allowed, the name presented is recorded") {
    policy::Decision dec = Eval(w, "", {{"rollback-v2.md", Sha256Hex("rollback")}});
    INFO(Describe(dec));
    REQUIRE(dec.allowed());
    REQUIRE(dec.bindings.documents_size() == 1);
    CHECK(dec.bindings.documents(0).kind() == "rollback-conditions");
    CHECK(dec.bindings.documents(0).name() == "rollback-v2.md");
  }
  SUBCASE("not presented") {
    CHECK(Names(Eval(w, "")) == std::set<std::string>{"DOCUMENT_MISSING"});
  }
  SUBCASE("an approval that binds none of the required kind") {
    w.approval.clear_documents();
    CHECK(Names(Eval(w, "")) == std::set<std::string>{"DOCUMENT_REQUIRED_NOT_BOUND"});
  }
  SUBCASE("a bound document without a sha256 makes the approval malformed") {
    w.approval.mutable_documents(0)->set_sha256("");
    CHECK(Names(Eval(w, "")) == std::set<std::string>{"INPUT_BAD_FIELD"});
  }
}

}  // namespace
}  // namespace sr::testing
