// ceremonies/: definitions (parsing and validation errors), governance
// approval (altered, under threshold), the participants' challenge, the
// answers file and the printable script.
#include <doctest/doctest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hash.h"
#include "ceremonies/answers.h"
#include "ceremonies/approval.h"
#include "ceremonies/challenge.h"
#include "ceremonies/definition.h"
#include "ceremonies/script_document.h"
#include "tests/testing/policy_fixtures.h"

namespace sr::ceremonies {
namespace {

namespace v1 = strongroom::v1;
using testing::Keys;
using testing::World;

const std::string kPeople =
    std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/ceremonies/people";
const std::string kDefinitions = std::string(STRONGROOM_SOURCE_DIR) + "/ceremonies/definitions";

std::string Pub(const std::string& who) {
  auto pem = ReadFile(kPeople + "/" + who + ".pub");
  REQUIRE(pem.ok());
  return *pem;
}

// A small valid definition; tests replace one part of it.
std::string Minimal(const std::string& steps = "", const std::string& extra = "") {
  auto quoted = [](const std::string& pem) {
    std::string q = "\"";
    for (char c : pem) q += c == '\n' ? std::string("\\n") : std::string(1, c);
    return q + "\"";
  };
  return "name: \"t\"\nkind: CEREMONY_KIND_AUDIT\n"
         "roles { name: \"ceremony-administrator\" min_present: 1 }\n"
         "roles { name: \"auditor\" min_present: 1 }\n"
         "participants { name: \"Dana\" role: \"ceremony-administrator\" public_key_pem: " +
         quoted(Pub("dana")) +
         " }\n"
         "participants { name: \"Judy\" role: \"auditor\" public_key_pem: " +
         quoted(Pub("judy")) + " }\n" +
         "parameters { name: \"vkey\" description: \"verifier key\" }\n" + extra +
         (steps.empty() ? "steps { name: \"verify\" instruction: \"Verify.\" action: [\"log\", "
                          "\"verify\", \"--station\", \"${station}\", \"--vkey\", \"${vkey}\"] "
                          "confirm_roles: \"auditor\" }\n"
                        : steps);
}

std::string ErrorOf(const std::string& text) {
  auto d = ParseDefinition(text, "t.textproto");
  REQUIRE_FALSE(d.ok());
  return d.status().message();
}

TEST_CASE("ceremonies: every shipped definition parses and validates, one per kind") {
  std::set<std::string> kinds;
  for (const auto& e : std::filesystem::directory_iterator(kDefinitions)) {
    if (e.path().extension() != ".textproto") continue;
    auto d = LoadDefinition(e.path().string());
    REQUIRE_MESSAGE(d.ok(), e.path().string(), ": ", d.status().message());
    CHECK(e.path().stem().string() == KindName(d->ceremony.kind()));
    kinds.insert(KindName(d->ceremony.kind()));
    CHECK(d->sha256 == Sha256Hex(d->bytes));
  }
  CHECK(kinds.size() == 8);
}

TEST_CASE("ceremonies: a definition error names the line, or the field, and the file") {
  CHECK(ParseDefinition(Minimal(), "t.textproto").ok());
  SUBCASE("syntax error: line and column") {
    std::string m = ErrorOf("name: \"t\"\nroles { name: \"a\" min_present: -x }\n");
    CHECK(m.find("t.textproto") != std::string::npos);
    CHECK(m.find("line 2, column 32") != std::string::npos);
  }
  SUBCASE("unknown field") {
    CHECK(ErrorOf("name: \"t\"\nsteps_typo {}\n").find("line 2") != std::string::npos);
  }
  SUBCASE("confirm_roles names an undefined role") {
    std::string m =
        ErrorOf(Minimal("steps { name: \"a\" instruction: \"x\" action: [\"log\", \"show\"] "
                        "confirm_roles: \"nobody\" }\n"));
    CHECK(m.find("steps[0] (a).confirm_roles") != std::string::npos);
  }
  SUBCASE("a PIN in an action is refused") {
    std::string m =
        ErrorOf(Minimal("steps { name: \"a\" instruction: \"x\" action: [\"sign\", "
                        "\"--pin-source\", \"pass:1234\"] "
                        "confirm_roles: \"auditor\" }\n"));
    CHECK(m.find("may not carry a PIN") != std::string::npos);
    CHECK(m.find("1234") == std::string::npos);
  }
  SUBCASE("an undefined parameter") {
    std::string m = ErrorOf(Minimal(
        "steps { name: \"a\" instruction: \"x\" action: [\"log\", \"show\", \"${nope}\"] }\n"));
    CHECK(m.find("${nope} is not a parameter") != std::string::npos);
  }
  SUBCASE("more present than members") {
    std::string m = ErrorOf(Minimal("", "roles { name: \"internal-witness\" min_present: 1 }\n"));
    CHECK(m.find("roles[2].min_present") != std::string::npos);
  }
  SUBCASE("custodian threshold above the custodians") {
    CHECK(ErrorOf(Minimal("", "custodian_threshold: 2\n")).find("custodian_threshold") !=
          std::string::npos);
  }
  SUBCASE("a participant's key does not parse") {
    std::string t = Minimal();
    t.replace(t.find("MFkw"), 4, "XXXX");
    CHECK(ErrorOf(t).find("participants[0] (Dana).public_key_pem") != std::string::npos);
  }
  SUBCASE("the ceremony verb cannot call itself") {
    CHECK(ErrorOf(
              Minimal("steps { name: \"a\" instruction: \"x\" action: [\"ceremony\", \"run\"] }\n"))
              .find("other than ceremony") != std::string::npos);
  }
  SUBCASE("too large") {
    CHECK(ErrorOf(Minimal() + "# " + std::string(kMaxDefinitionBytes, 'x') + "\n")
              .find("larger than") != std::string::npos);
  }
}

TEST_CASE("ceremonies: Substitute replaces parameters and names a missing one") {
  std::map<std::string, std::string> v = {{"a", "1"}, {"b", "x y"}};
  CHECK(Substitute("${a}-${b}/z", v).value() == "1-x y/z");
  auto bad = Substitute("${c}", v);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("--param c=") != std::string::npos);
}

TEST_CASE("ceremonies: an optional parameter left empty drops its flag; a list repeats it") {
  strongroom::v1::Ceremony c;
  auto* vex = c.add_parameters();
  vex->set_name("vex");
  vex->set_optional(true);
  c.add_parameters()->set_name("documents");
  c.mutable_parameters(1)->set_list(true);
  c.add_parameters()->set_name("key");
  strongroom::v1::CeremonyStep step;
  for (const char* a : {"sign", "--vex", "${vex}", "--document", "${documents}", "--key", "${key}"})
    step.add_action(a);
  auto empty = ExpandAction(c, step, {{"vex", ""}, {"documents", ""}, {"key", "k"}});
  REQUIRE(empty.ok());
  CHECK(*empty == std::vector<std::string>{"sign", "--key", "k"});
  auto full = ExpandAction(c, step, {{"vex", "v.json"}, {"documents", "a.md,,b.md"}, {"key", "k"}});
  REQUIRE(full.ok());
  CHECK(*full == std::vector<std::string>{"sign", "--vex", "v.json", "--document", "a.md",
                                          "--document", "b.md", "--key", "k"});
  CHECK_FALSE(ExpandAction(c, step, {{"vex", ""}, {"documents", ""}}).ok());  // key: required
}

// The reference policy: governance keys Keys().gov[0..2], threshold 2.
policy::LoadedPolicy Governance() {
  auto lp = policy::ParsePolicy(World().Build().policy);
  REQUIRE(lp.ok());
  return std::move(lp).value();
}

std::string Approve(const Definition& d, const std::vector<policy::Signer*>& signers) {
  policy::Envelope env;
  for (auto* s : signers) REQUIRE(AddApproval(&env, d, *s).ok());
  return policy::SerializeEnvelope(env);
}

TEST_CASE(
    "ceremonies: approval by the governance threshold passes; altered or under threshold is "
    "refused") {
  auto d = ParseDefinition(Minimal(), "t.textproto");
  REQUIRE(d.ok());
  auto gov = Governance();
  std::string code;
  SUBCASE("2 of 3 governance keys") {
    auto a = CheckApproval(*d, Approve(*d, {Keys().gov[0].get(), Keys().gov[2].get()}), gov, &code);
    REQUIRE_MESSAGE(a.ok(), a.status().message());
    CHECK(a->approvers.size() == 2);
    CHECK(code.empty());
  }
  SUBCASE("signing twice with one key counts once") {
    auto a = CheckApproval(*d, Approve(*d, {Keys().gov[0].get(), Keys().gov[0].get()}), gov, &code);
    REQUIRE_FALSE(a.ok());
    CHECK(code == "CEREMONY_NOT_APPROVED");
    CHECK(a.status().message().find("1 valid governance signature(s) of the 2") !=
          std::string::npos);
  }
  SUBCASE("keys that are not governance keys do not count") {
    auto a =
        CheckApproval(*d, Approve(*d, {Keys().gov[0].get(), Keys().outsider.get()}), gov, &code);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == Code::kRefused);
    CHECK(code == "CEREMONY_NOT_APPROVED");
  }
  SUBCASE("one byte changed after approval") {
    std::string env = Approve(*d, {Keys().gov[0].get(), Keys().gov[1].get()});
    auto altered = ParseDefinition(Minimal() + "# changed\n", "t.textproto");
    REQUIRE(altered.ok());
    auto a = CheckApproval(*altered, env, gov, &code);
    REQUIRE_FALSE(a.ok());
    CHECK(code == "CEREMONY_DEFINITION_ALTERED");
    CHECK(a.status().message().find("altered after approval") != std::string::npos);
    CHECK(a.status().message().find(d->sha256) != std::string::npos);
  }
  SUBCASE("another payload type") {
    policy::Envelope env{"application/vnd.strongroom.policy+json", d->bytes, {}, false};
    REQUIRE(policy::AddSignature(&env, *Keys().gov[0]).ok());
    REQUIRE(policy::AddSignature(&env, *Keys().gov[1]).ok());
    auto a = CheckApproval(*d, policy::SerializeEnvelope(env), gov, &code);
    REQUIRE_FALSE(a.ok());
    CHECK(code == "CEREMONY_APPROVAL_INVALID");
  }
  SUBCASE("adding a signature to an approval of another definition fails") {
    auto other = ParseDefinition(Minimal() + "# other\n", "o.textproto");
    REQUIRE(other.ok());
    policy::Envelope env;
    REQUIRE(AddApproval(&env, *d, *Keys().gov[0]).ok());
    CHECK_FALSE(AddApproval(&env, *other, *Keys().gov[1]).ok());
  }
}

TEST_CASE(
    "ceremonies: a participant is authenticated only by a signature over this challenge with their "
    "key") {
  auto d = ParseDefinition(Minimal(), "t.textproto");
  REQUIRE(d.ok());
  Challenge ch{"t-1", "station-1", d->sha256, NewNonce().value()};
  std::string bytes = ch.Bytes();
  CHECK(bytes.find("nonce: " + ch.nonce_hex) != std::string::npos);
  auto sig = SignChallenge({kPeople + "/dana.key", "", ""}, bytes);
  REQUIRE(sig.ok());
  auto p = VerifyParticipant(*d, 0, bytes, *sig);
  REQUIRE(p.ok());
  CHECK(p->name() == "Dana");
  CHECK(p->role() == "ceremony-administrator");
  CHECK(p->key_fingerprint() == d->keys[0].fingerprint());
  CHECK(p->challenge_sha256() == Sha256Hex(bytes));
  SUBCASE("the wrong key") {
    auto wrong = SignChallenge({kPeople + "/mallory.key", "", ""}, bytes);
    REQUIRE(wrong.ok());
    auto r = VerifyParticipant(*d, 0, bytes, *wrong);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kRefused);
    CHECK(r.status().message().find("Dana (ceremony-administrator) could not sign") !=
          std::string::npos);
  }
  SUBCASE("a signature over another nonce (replayed)") {
    Challenge other = ch;
    other.nonce_hex = NewNonce().value();
    CHECK_NE(other.nonce_hex, ch.nonce_hex);
    CHECK_FALSE(VerifyParticipant(*d, 0, other.Bytes(), *sig).ok());
  }
  SUBCASE("quorum: each role's min_present") {
    CHECK(CheckQuorum(*d, {*p}).message().find("role auditor: 0 present of the 1") !=
          std::string::npos);
    auto j = VerifyParticipant(*d, 1, bytes,
                               SignChallenge({kPeople + "/judy.key", "", ""}, bytes).value());
    REQUIRE(j.ok());
    CHECK(CheckQuorum(*d, {*p, *j}).ok());
  }
}

TEST_CASE("ceremonies: the answers file names keys, confirmations and aborts, never PINs") {
  auto a = ParseAnswers(R"({"participants": {"Dana": {"key": "people/dana.key"},
      "Grace": {"pkcs11": "pkcs11:token=g;object=k?module-path=/m.so", "pin_source": "file:pins/g"}},
      "steps": {"verify": {"confirm": ["Judy"]}, "b": {"abort": "power cut"}}})",
                        "/base");
  REQUIRE_MESSAGE(a.ok(), a.status().message());
  REQUIRE(a->participants.size() == 2);
  CHECK(a->participants[0].second.key_file == "/base/people/dana.key");
  CHECK(a->participants[1].second.pin_source == "file:/base/pins/g");
  CHECK(a->steps.at("b").abort.value() == "power cut");
  CHECK_FALSE(ParseAnswers(
                  R"({"participants": {"G": {"pkcs11": "pkcs11:x", "pin_source": "pass:1"}}})", "/")
                  .ok());
  CHECK_FALSE(ParseAnswers(R"({"participants": {"G": {"key": "a", "pkcs11": "b"}}})", "/").ok());
  CHECK_FALSE(ParseAnswers(R"({"step": {}})", "/").ok());
  CHECK_FALSE(ParseAnswers("[1", "/").ok());
}

TEST_CASE("ceremonies: the printed script escapes what the definition says") {
  auto d = ParseDefinition(
      Minimal("", "description: \"<script>alert(1)</script> & `tick` *bold*\"\n"), "t.textproto");
  REQUIRE(d.ok());
  std::string html = RenderHtml(*d);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp;") != std::string::npos);
  CHECK(html.find(d->keys[1].fingerprint()) != std::string::npos);
  CHECK(html.find("class=\"signature\"") != std::string::npos);
  std::string md = RenderMarkdown(*d);
  CHECK(md.find("\\<script\\>") != std::string::npos);
  CHECK(md.find("\\*bold\\*") != std::string::npos);
  CHECK(md.find("```\nstrongroom log verify --station ${station} --vkey ${vkey}\n```") !=
        std::string::npos);
}

}  // namespace
}  // namespace sr::ceremonies
