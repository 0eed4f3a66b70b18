// OpenVEX affected-version analysis and documents bound by digest, end to end
// with the real binary on a SoftHSMv2 station: `policy init` and `policy
// show` of the new policy fields, `approve create --document`, `sign --vex
// --document` accepted and recorded in the SIGNING event (the VEX made by an
// independent DSSE signer, scripts/dsse-sign-openssl), each refusal code
// (logged, naming the input), and `audit replay` of a station that used them,
// failing at the SIGNING event when the stored VEX is altered.
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;

// The product-security team's key, and its private PEM for dsse-sign-openssl.
struct ProductSecurity {
  std::string pem;
  std::unique_ptr<KeyFileSigner> signer;
  ProductSecurity() {
    SecretBytes p = NewKeyPem("ec256");
    pem.assign(p.begin(), p.end());
    signer = std::move(KeyFileSigner::FromPem(std::move(p))).value();
  }
};

ProductSecurity& Psirt() {
  static ProductSecurity ps;
  return ps;
}

struct VexLine {
  std::string vuln, status, product;
  std::string justification, action;
};

// The reference analysis: VULN-2026-014 affects 5.4.2 and is fixed in 5.4.3.
std::vector<VexLine> Reference() {
  return {{"VULN-2026-014", "affected", "pkg:generic/IC-22@5.4.2", "",
           "Update to firmware 5.4.3; regional devices: isolate the maintenance port"},
          {"VULN-2026-014", "fixed", "pkg:generic/IC-22@5.4.3", "", ""}};
}

std::string VexJson(const std::vector<VexLine>& lines, const std::vector<Artifact>& subjects,
                    const std::string& predicate_type = "https://openvex.dev/ns/v0.2.0") {
  Json statements = Json::array();
  for (const VexLine& l : lines) {
    Json s = {{"vulnerability", {{"name", l.vuln}}},
              {"products", Json::array({{{"@id", l.product}}})},
              {"status", l.status}};
    if (!l.justification.empty()) s["justification"] = l.justification;
    if (!l.action.empty()) s["action_statement"] = l.action;
    statements.push_back(s);
  }
  Json subj = Json::array();
  for (const Artifact& a : subjects)
    subj.push_back({{"name", a.name}, {"digest", {{"sha256", a.sha256}}}});
  Json doc = {{"_type", "https://in-toto.io/Statement/v1"},
              {"subject", subj},
              {"predicateType", predicate_type},
              {"predicate",
               {{"@context", "https://openvex.dev/ns/v0.2.0"},
                {"@id", "https://psirt.example.com/vex/ic22-5.4.3"},
                {"author", "IC-22 product security"},
                {"timestamp", "2026-12-01T10:00:00Z"},
                {"version", 1},
                {"statements", statements}}}};
  return doc.dump();
}

std::string SignedVex(const std::string& payload, Signer& s) {
  return SignEnvelope(std::string(policy::kInTotoPayloadType), payload, {&s});
}

const std::string kRollback = "Roll back to 5.4.2 if the watchdog trips twice within an hour.\n";
const std::string kNotice = "Dear operator: firmware 5.4.3 fixes VULN-2026-014.\n";

// The reference scenario with a product-security key, an OpenVEX requirement
// and a required rollback-conditions document; the approval binds the
// rollback conditions and the customer notification.
World VexWorld(const SignStation& st) {
  World w = st.Scenario();
  auto* p = w.policy.mutable_products(0);
  *p->add_product_security() = Trusted("IC-22 PSIRT", *Psirt().signer);
  p->set_require_vex(true);
  p->add_required_documents("rollback-conditions");
  auto* d = w.approval.add_documents();
  d->set_kind("rollback-conditions");
  d->set_name("rollback.md");
  d->set_sha256(Sha256Hex(kRollback));
  d = w.approval.add_documents();
  d->set_kind("customer-notification");
  d->set_name("notice.md");
  d->set_sha256(Sha256Hex(kNotice));
  return w;
}

// Writes the inputs of w into root/dir, with the documents and a VEX of
// `lines` signed by the product-security key.
Inputs WriteAll3(const SignStation& st, const World& w, const std::string& dir,
                 const std::vector<VexLine>& lines = Reference()) {
  Inputs in = st.Write(w, dir);
  std::string d = st.root + "/" + dir;
  WriteAll(d + "/rollback.md", kRollback, 0644);
  WriteAll(d + "/notice.md", kNotice, 0644);
  in.documents = {d + "/rollback.md", d + "/notice.md"};
  in.vex = d + "/vex.dsse.json";
  WriteAll(in.vex, SignedVex(VexJson(lines, w.artifacts), *Psirt().signer), 0644);
  return in;
}

struct Station {
  SignStation st;
  World w;
  Station() : w(VexWorld(st)) {
    CmdResult inst = st.InstallPolicy(w);
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  }
};

Station& Shared() {
  static Station s;
  return s;
}

TEST_CASE(
    "vex: a VEX from product security (signed with dsse-sign-openssl) and the bound documents "
    "are accepted, recorded in the SIGNING event, kept as evidence, and replayed") {
  Station s;
  SignStation& st = s.st;
  Inputs in = WriteAll3(st, s.w, "media");
  // The VEX envelope made by an independent DSSE implementation.
  std::string payload = st.root + "/media/vex.json";
  WriteAll(payload, VexJson(Reference(), s.w.artifacts), 0644);
  WriteAll(st.root + "/psirt.pem", Psirt().pem, 0600);
  CmdResult made = Run(std::string("'") + STRONGROOM_SOURCE_DIR +
                       "/scripts/dsse-sign-openssl' application/vnd.in-toto+json '" + payload +
                       "' '" + st.root + "/psirt.pem' '" + in.vex + "'");
  REQUIRE_MESSAGE(made.rc == 0, made.all());

  CmdResult r = st.Sign(in, "out");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  auto evs = st.Events();
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_SIGNING);
  const v1::SigningEvent& e = evs.back().signing();
  std::string vex_sha = FileSha(in.vex);
  CHECK(e.vex_sha256() == vex_sha);
  CHECK(e.vex_signer_fingerprint() == Psirt().signer->KeyId());
  REQUIRE(e.vex_statements_size() == 1);
  const v1::VexStatementRecord& v = e.vex_statements(0);
  CHECK(v.vulnerability() == "VULN-2026-014");
  CHECK(v.status() == "fixed");
  CHECK(std::vector<std::string>(v.fixed_versions().begin(), v.fixed_versions().end()) ==
        std::vector<std::string>{"5.4.3"});
  CHECK(std::vector<std::string>(v.affected_versions().begin(), v.affected_versions().end()) ==
        std::vector<std::string>{"5.4.2"});
  REQUIRE(e.documents_size() == 2);
  CHECK(e.documents(0).kind() == "rollback-conditions");
  CHECK(e.documents(0).name() == "rollback.md");
  CHECK(e.documents(0).sha256() == Sha256Hex(kRollback));
  CHECK(e.documents(1).kind() == "customer-notification");
  CHECK(e.documents(1).sha256() == Sha256Hex(kNotice));
  // Kept in the evidence store, by digest.
  CHECK(ReadAll(st.station + "/evidence/" + vex_sha) == ReadAll(in.vex));
  CHECK(ReadAll(st.station + "/evidence/" + Sha256Hex(kRollback)) == kRollback);
  CHECK(ReadAll(st.station + "/evidence/" + Sha256Hex(kNotice)) == kNotice);
  std::uint64_t signing = evs.size() - 1;

  // audit replay re-runs the gate with the stored VEX and documents.
  std::string replay = "--json audit replay --log " + st.station + "/log --vkey " + st.root +
                       "/log.vkey --evidence ";
  CmdResult ok = st.Sr(replay + st.station + "/evidence");
  CHECK_MESSAGE(ok.rc == 0, ok.all());

  // An altered stored VEX fails, naming the SIGNING event and the VEX digest.
  std::string ev = st.root + "/evidence-altered";
  CopyDir(st.station + "/evidence", ev);
  std::string obj = ev + "/" + vex_sha;
  REQUIRE(::chmod(obj.c_str(), 0644) == 0);
  std::string text = ReadAll(obj);
  text[text.size() / 2] ^= 1;
  WriteAll(obj, text, 0644);
  CmdResult bad = st.Sr(replay + ev);
  INFO(bad.all());
  CHECK(bad.rc == 1);
  Json j = Json::parse(bad.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  bool named = false;
  for (const auto& f : j["failures"])
    if (f["index"] == signing && f["digest"] == vex_sha) named = true;
  CHECK(named);
}

// One refusal: what the row changes, and the exact reasons.
struct Row {
  const char* name;
  std::function<void(World&)> change;                        // before writing (may be empty)
  std::function<void(Inputs&, const std::string&)> present;  // after (dir given; may be empty)
  std::set<CodeAndInput> reasons;
};

std::vector<Row> Rows() {
  auto vex = [](std::vector<VexLine> lines) {
    return [lines](Inputs& in, const std::string&) {
      World w = Shared().w;
      WriteAll(in.vex, SignedVex(VexJson(lines, w.artifacts), *Psirt().signer), 0644);
    };
  };
  return {
      {"no VEX for a release whose approval names a vulnerability",
       {},
       [](Inputs& in, const std::string&) { in.vex.clear(); },
       {{"VEX_MISSING", "vex"}}},
      {"a VEX signed by a key the policy does not trust",
       {},
       [](Inputs& in, const std::string&) {
         WriteAll(in.vex, SignedVex(VexJson(Reference(), Shared().w.artifacts), *Keys().outsider),
                  0644);
       },
       {{"VEX_UNTRUSTED_SIGNER", "vex"}}},
      {"a VEX altered after product security signed it",
       {},
       [](Inputs& in, const std::string&) {
         auto good = policy::ParseEnvelope(
             SignedVex(VexJson(Reference(), Shared().w.artifacts), *Psirt().signer), "vex");
         REQUIRE(good.ok());
         auto lines = Reference();
         lines[1].status = "not_affected";
         lines[1].justification = "vulnerable_code_not_present";
         policy::Envelope env = good.value();
         env.payload = VexJson(lines, Shared().w.artifacts);
         WriteAll(in.vex, policy::SerializeEnvelope(env), 0644);
       },
       {{"VEX_SIGNATURE_INVALID", "vex"}}},
      {"a VEX that states the vulnerability still affects this version",
       {},
       vex({{"VULN-2026-014", "affected", "pkg:generic/IC-22@5.4.3", "", "Do not deploy"}}),
       {{"VEX_DOES_NOT_COVER", "vex"}}},
      {"a VEX about another vulnerability only",
       {},
       vex({{"VULN-2026-999", "fixed", "pkg:generic/IC-22@5.4.3", "", ""}}),
       {{"VEX_DOES_NOT_COVER", "vex"}}},
      {"a VEX for another version of the product",
       {},
       vex({{"VULN-2026-014", "fixed", "pkg:generic/IC-22@5.4.4", "", ""}}),
       {{"VEX_PRODUCT_MISMATCH", "vex"}}},
      {"a VEX for another product",
       {},
       vex({{"VULN-2026-014", "fixed", "pkg:generic/IC-23@5.4.3", "", ""}}),
       {{"VEX_PRODUCT_MISMATCH", "vex"}}},
      {"a VEX with a status OpenVEX does not define",
       {},
       vex({{"VULN-2026-014", "patched", "pkg:generic/IC-22@5.4.3", "", ""}}),
       {{"VEX_MALFORMED", "vex"}}},
      {"a VEX saying not_affected without a justification",
       {},
       vex({{"VULN-2026-014", "not_affected", "pkg:generic/IC-22@5.4.3", "", ""}}),
       {{"VEX_MALFORMED", "vex"}}},
      {"a VEX whose predicate type is not OpenVEX",
       {},
       [](Inputs& in, const std::string&) {
         WriteAll(in.vex,
                  SignedVex(VexJson(Reference(), Shared().w.artifacts, "https://example.com/vex"),
                            *Psirt().signer),
                  0644);
       },
       {{"STATEMENT_WRONG_PREDICATE_TYPE", "vex"}}},
      {"a bound document not presented",
       {},
       [](Inputs& in, const std::string&) { in.documents.pop_back(); },
       {{"DOCUMENT_MISSING", "documents"}}},
      {"a bound document presented with other bytes",
       {},
       [](Inputs& in, const std::string& dir) {
         REQUIRE(MakeDirs(dir + "/changed", 0755).ok());
         WriteAll(dir + "/changed/rollback.md", kRollback + "(edited)\n", 0644);
         in.documents[0] = dir + "/changed/rollback.md";
       },
       {{"DOCUMENT_MISMATCH", "document[0]"}}},
      {"a document the approval does not bind",
       {},
       [](Inputs& in, const std::string& dir) {
         WriteAll(dir + "/extra.md", "not approved\n", 0644);
         in.documents.push_back(dir + "/extra.md");
       },
       {{"DOCUMENT_NOT_BOUND", "document[2]"}}},
      {"an approval that does not bind a document kind the policy requires",
       [](World& w) {
         w.approval.mutable_documents()->erase(w.approval.mutable_documents()->begin());
       },
       [](Inputs& in, const std::string&) { in.documents.erase(in.documents.begin()); },
       {{"DOCUMENT_REQUIRED_NOT_BOUND", "approval"}}},
  };
}

TEST_CASE("vex: each refusal of the VEX and the documents is exact, logged and names its input") {
  Station& s = Shared();
  SignStation& st = s.st;
  int n = 0;
  for (const Row& row : Rows()) {
    INFO(row.name);
    World w = s.w;
    if (row.change) row.change(w);
    std::string dir = "row" + std::to_string(n++);
    Inputs in = WriteAll3(st, w, dir);
    if (row.present) row.present(in, st.root + "/" + dir);
    CmdResult r = st.Sign(in, "out-" + dir);
    CHECK_MESSAGE(r.rc == 1, r.all());
    CHECK(StderrReasons(r.err) == row.reasons);
    auto evs = st.Events();
    REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
    const v1::RefusalEvent& ref = evs.back().refusal();
    CHECK(EventReasons(ref) == row.reasons);
    // What was presented is recorded by digest and kept as evidence.
    std::map<std::string, std::string> roles;
    for (const auto& p : ref.inputs()) roles[p.role()] = p.sha256();
    if (!in.vex.empty()) {
      CHECK(roles["vex"] == FileSha(in.vex));
      CHECK(PathExists(st.station + "/evidence/" + FileSha(in.vex)));
    }
    for (std::size_t i = 0; i < in.documents.size(); ++i)
      CHECK(roles["document[" + std::to_string(i) + "]"] == FileSha(in.documents[i]));
    CHECK(!PathExists(st.root + "/out-" + dir + "/manifest.dsse.json"));
  }
  CHECK(st.LogVerify().rc == 0);
  // Every refusal re-runs to the same reasons.
  CmdResult replay = st.Sr("--json audit replay --log " + st.station + "/log --vkey " + st.root +
                           "/log.vkey --evidence " + st.station + "/evidence");
  CHECK_MESSAGE(replay.rc == 0, replay.all());
}

TEST_CASE("vex: a FIFO given as --vex or --document is refused at once by its kind, and logged") {
  Station& s = Shared();
  SignStation& st = s.st;
  Inputs in = WriteAll3(st, s.w, "fifo");
  std::string fifo = st.root + "/fifo/pipe";
  ::unlink(fifo.c_str());  // each subcase runs the case again
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  SUBCASE("--vex") {
    in.vex = fifo;
    CmdResult r = st.Sr("sign " + st.SignArgs(in, "out-fifo-vex"));
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err) == std::set<CodeAndInput>{{"INPUT_NOT_REGULAR_FILE", "vex"}});
  }
  SUBCASE("--document") {
    in.documents[1] = fifo;
    CmdResult r = st.Sr("sign " + st.SignArgs(in, "out-fifo-doc"));
    CHECK(r.rc == 1);
    CHECK(StderrReasons(r.err) ==
          std::set<CodeAndInput>{{"INPUT_NOT_REGULAR_FILE", "document[1]"}});
  }
  auto evs = st.Events();
  CHECK(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
}

TEST_CASE(
    "vex: policy init writes the product-security keys, the VEX requirement, required documents "
    "and the freshness window; policy show shows them; approve create binds documents") {
  Station& s = Shared();
  SignStation& st = s.st;
  WriteAll(st.root + "/psirt.pub", Psirt().signer->Public().pem(), 0644);
  CmdResult init = st.Sr("policy init --out " + st.root +
                         "/init.json --product IC-22 --product-security-key " + st.root +
                         "/psirt.pub --require-vex --required-document rollback-conditions "
                         "--required-document customer-notification --evidence-freshness-days 90");
  REQUIRE_MESSAGE(init.rc == 0, init.all());
  Json p = Json::parse(ReadAll(st.root + "/init.json"));
  const Json& prod = p["products"][0];
  CHECK(prod["productSecurity"][0]["publicKeyPem"] == Psirt().signer->Public().pem());
  CHECK(prod["requireVex"] == true);
  CHECK(prod["requiredDocuments"] == Json::array({"rollback-conditions", "customer-notification"}));
  CHECK(prod["evidenceFreshnessDays"] == 90);

  CmdResult show = st.Sr("policy show --station " + st.station);
  REQUIRE_MESSAGE(show.rc == 0, show.all());
  CHECK(show.out.find("product security for IC-22: IC-22 PSIRT " + Psirt().signer->KeyId()) !=
        std::string::npos);
  CHECK(show.out.find("OpenVEX: required") != std::string::npos);
  CHECK(show.out.find("required documents: rollback-conditions") != std::string::npos);

  std::string d = st.root + "/approve";
  REQUIRE(MakeDirs(d, 0755).ok());
  WriteAll(d + "/fw.bin", "firmware", 0644);
  WriteAll(d + "/rollback.md", kRollback, 0644);
  CmdResult create =
      st.Sr("approve create --product IC-22 --version 5.4.3 --artifact " + d + "/fw.bin --out " +
            d + "/a.json --document rollback-conditions=" + d + "/rollback.md");
  REQUIRE_MESSAGE(create.rc == 0, create.all());
  CmdResult shown = st.Sr("approve show --in " + d + "/a.json");
  REQUIRE_MESSAGE(shown.rc == 0, shown.all());
  CHECK(shown.out.find("document rollback-conditions: rollback.md sha256 " +
                       Sha256Hex(kRollback)) != std::string::npos);
  CmdResult bad = st.Sr("approve create --product IC-22 --version 5.4.3 --artifact " + d +
                        "/fw.bin --out " + d + "/b.json --document " + d + "/rollback.md");
  CHECK(bad.rc != 0);
  CHECK(bad.err.find("KIND=FILE") != std::string::npos);
}

}  // namespace
}  // namespace sr::testing
