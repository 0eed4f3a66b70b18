// `strongroom sign` refusals end to end: every refusal category of the gate
// (and of the station's own preflight) reached from the command line of the
// real binary on a real SoftHSMv2 station. Each row changes one thing in the
// IC-22 reference scenario and asserts what an operator and an auditor rely
// on: exit 1 (4 or 11 for a mistake in the request), the exact reason codes
// on stderr, a REFUSAL event carrying the same codes and inputs and the
// digests of everything presented, no output, and a log that still verifies.
#include <functional>
#include <memory>

#include "tests/testing/gate_table.h"
#include "tests/testing/sign_helpers.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;

// One attempt at signing, as a row presents it.
struct Attempt {
  SignStation& st;
  World& w;
  Inputs in;
  std::string product = "IC-22", version = "5.4.3", key, out;
};

enum class Where {
  kShared,        // the shared station (reference policy installed, second key "other")
  kOwn,           // a fresh station with the reference policy installed
  kAfterSigning,  // a fresh station where 5.4.3 was signed first
};

struct Row {
  const char* name;
  Where where;
  std::function<void(World&)> change;     // before the inputs are written (may be empty)
  std::function<void(Attempt&)> present;  // after: files, flags, station (may be empty)
  std::set<CodeAndInput> reasons;
  int rc = 1;  // 4 or 11 for a mistake in the request (unknown key, missing file, --out taken)
};

std::unique_ptr<SignStation> NewStation() {
  auto st = std::make_unique<SignStation>();
  CmdResult inst = st->InstallPolicy(st->Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  return st;
}

// One station for every row that leaves it as it found it (a refusal only
// appends an event), with a second release key the policy does not authorize.
SignStation& Shared() {
  static std::unique_ptr<SignStation> st;
  if (!st) {
    st = NewStation();
    CmdResult gen = st->Sr("key generate --station " + st->station +
                           " --label other --algorithm ecdsa-p256" + st->Pins());
    REQUIRE_MESSAGE(gen.rc == 0, gen.all());
  }
  return *st;
}

std::string Signed(const std::string& payload, std::vector<Signer*> signers,
                   const std::string& type = std::string(policy::kInTotoPayloadType)) {
  return SignEnvelope(type, payload, signers);
}

std::vector<Row> MalformedRows() {
  return {
      {"malformed: an approval that is not JSON",
       Where::kShared,
       [](World& w) { w.tamper = [](GateInputs& in) { in.approval = "{\"payload"; }; },
       {},
       {{"INPUT_BAD_JSON", "approval"}}},
      {"malformed: an approval payload that is not base64",
       Where::kShared,
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.approval = Replace(in.approval, "\"payload\": \"", "\"payload\": \"*");
         };
       },
       {},
       {{"INPUT_BAD_BASE64", "approval"}}},
      {"malformed: an approval signed under the payloadType application/json",
       Where::kShared,
       [](World& w) {
         w.tamper = [&w](GateInputs& in) {
           in.approval = Signed(policy::ApprovalStatementJson(w.approval_subjects, w.approval),
                                {K().appr[0].get(), K().appr[1].get()}, "application/json");
         };
       },
       {},
       {{"INPUT_UNKNOWN_PAYLOAD_TYPE", "approval"}}},
      {"malformed: the provenance presented as the approval",
       Where::kShared,
       [](World& w) { w.tamper = [](GateInputs& in) { in.approval = in.provenance; }; },
       {},
       {{"STATEMENT_WRONG_PREDICATE_TYPE", "approval"}}},
      {"malformed: an approval envelope that repeats payloadType",
       Where::kShared,
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           in.approval =
               Replace(in.approval, "{", "{\"payloadType\": \"application/vnd.in-toto+json\",");
         };
       },
       {},
       {{"INPUT_DUPLICATE_KEY", "approval"}}},
  };
}

std::vector<Row> PolicyRows() {
  return {
      {"policy: current.json replaced by another validly signed policy (approval threshold 1)",
       Where::kOwn,
       [](World& w) { w.approval_signers = {K().appr[0].get()}; },
       [](Attempt& a) {
         World other = a.st.Scenario();
         other.policy.mutable_products(0)->mutable_approvers()->set_threshold(1);
         WriteAll(a.st.station + "/policy/current.json", other.Build().policy);
       },
       {{"POLICY_NOT_INSTALLED", "policy"}}},
      {"policy: a product the installed policy does not name (--product IC-23)",
       Where::kShared,
       {},
       [](Attempt& a) { a.product = "IC-23"; },
       {{"POLICY_PRODUCT_UNKNOWN", "policy"}, {"KEY_NOT_AUTHORIZED", "request"}}},
  };
}

std::vector<Row> ApprovalRows() {
  auto approval = [](const char* name, std::function<void(World&)> change, const char* code) {
    return Row{name, Where::kShared, std::move(change), {}, {{code, "approval"}}};
  };
  using std::chrono::hours;
  return {
      approval(
          "approval: signed by one approver of a 2-of-3 threshold",
          [](World& w) { w.approval_signers = {K().appr[0].get()}; }, "APPROVAL_THRESHOLD_NOT_MET"),
      approval(
          "approval: an outsider adds a signature to a 2-of-3 approval",
          [](World& w) {
            w.approval_signers = {K().appr[0].get(), K().appr[1].get(), K().outsider.get()};
          },
          "APPROVAL_UNKNOWN_SIGNER"),
      approval(
          "approval: expired yesterday",
          [](World& w) {
            *w.approval.mutable_approved_at() = TsAt(w.now - hours(48));
            *w.approval.mutable_expires() = TsAt(w.now - hours(24));
          },
          "APPROVAL_EXPIRED"),
      approval(
          "approval: dated tomorrow",
          [](World& w) { *w.approval.mutable_approved_at() = TsAt(w.now + hours(24)); },
          "APPROVAL_NOT_YET_VALID"),
      approval(
          "approval: for another product", [](World& w) { w.approval.set_product("IC-21"); },
          "APPROVAL_PRODUCT_MISMATCH"),
      approval(
          "approval: for another version", [](World& w) { w.approval.set_version("5.4.4"); },
          "APPROVAL_VERSION_MISMATCH"),
      approval(
          "approval: lacks one of the two artifacts",
          [](World& w) { w.approval_subjects.pop_back(); }, "APPROVAL_SUBJECT_MISMATCH"),
      approval(
          "approval: an exclusion without a reason",
          [](World& w) { w.approval.mutable_exclusions(0)->clear_reason(); },
          "APPROVAL_EXCLUSION_INCOMPLETE"),
      approval(
          "approval: the regional configuration neither approved nor excluded",
          [](World& w) { w.approval.clear_exclusions(); }, "APPROVAL_SCOPE_CONFLICT"),
      {"approval: one signature with a flipped bit",
       Where::kShared,
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.approval, [](Envelope& e) { e.signatures[1].sig[5] ^= 1; });
         };
       },
       {},
       {{"APPROVAL_SIGNATURE_INVALID", "approval"}, {"APPROVAL_THRESHOLD_NOT_MET", "approval"}}},
  };
}

std::vector<Row> ProvenanceRows() {
  auto prov = [](const char* name, std::function<void(World&)> change, const char* code) {
    return Row{name, Where::kShared, std::move(change), {}, {{code, "provenance"}}};
  };
  return {
      prov(
          "provenance: signed by an untrusted builder",
          [](World& w) { w.prov_signers = {K().rogue_builder.get()}; },
          "PROVENANCE_BUILDER_UNTRUSTED"),
      prov(
          "provenance: names another builder.id",
          [](World& w) { w.prov_builder_id = "https://ci.example.com/builders/firmware@v4"; },
          "PROVENANCE_BUILDER_ID_MISMATCH"),
      prov(
          "provenance: built from a fork",
          [](World& w) { w.prov_repo = "https://git.example.com/someone/fork"; },
          "PROVENANCE_SOURCE_NOT_ALLOWED"),
      prov(
          "provenance: an ad-hoc buildType",
          [](World& w) { w.prov_build_type = "https://ci.example.com/buildtypes/adhoc/v1"; },
          "PROVENANCE_BUILD_TYPE_NOT_ALLOWED"),
      prov(
          "provenance: lacks one artifact", [](World& w) { w.prov_subjects.pop_back(); },
          "PROVENANCE_SUBJECT_MISMATCH"),
      prov(
          "provenance: built from a source revision the approval does not name",
          [](World& w) {
            w.prov_ref = "refs/heads/experimental";
            w.prov_commit = "0000000000000000000000000000000000000001";
          },
          "PROVENANCE_SOURCE_VERSION_NOT_ELIGIBLE"),
  };
}

std::vector<Row> EvidenceRows() {
  return {
      {"evidence: the recovery test missing for the reference configuration",
       Where::kShared,
       [](World& w) { w.evidence[0].passed = {"rollback"}; },
       {},
       {{"EVIDENCE_REQUIRED_MISSING", "evidence"}}},
      {"evidence: signed by an untrusted lab",
       Where::kShared,
       [](World& w) { w.evidence[0].signers = {K().rogue_lab.get()}; },
       {},
       {{"EVIDENCE_SIGNER_UNTRUSTED", "evidence[0]"}, {"EVIDENCE_REQUIRED_MISSING", "evidence"}}},
      {"evidence: altered after signing",
       Where::kShared,
       [](World& w) {
         w.tamper = [](GateInputs& in) {
           Retouch(&in.evidence[0], [](Envelope& e) { e.payload += "\n"; });
         };
       },
       {},
       {{"EVIDENCE_SIGNATURE_INVALID", "evidence[0]"}, {"EVIDENCE_REQUIRED_MISSING", "evidence"}}},
  };
}

std::vector<Row> KeyAndLogRows() {
  auto after_signing = [](const char* name, std::function<void(World&)> change,
                          std::set<CodeAndInput> reasons) {
    return Row{name, Where::kAfterSigning, std::move(change),
               [](Attempt& a) { a.version = a.w.approval.version(); }, std::move(reasons)};
  };
  return {
      {"key: a second key generated in the station, not in the policy",
       Where::kShared,
       {},
       [](Attempt& a) { a.key = "other"; },
       {{"KEY_NOT_AUTHORIZED", "request"}}},
      {"key: revoked by policy version 4 (installed by the rotation rule)",
       Where::kOwn,
       {},
       [](Attempt& a) {
         World v4 = a.st.Scenario();
         v4.policy.set_version(4);
         auto* r = v4.policy.add_revoked_keys();
         r->set_key_fingerprint(a.st.key_fingerprint);
         r->set_reason("custodian left");
         // gov[0] and gov[1]: a threshold of both the current and the new governance.
         CmdResult inst = a.st.InstallPolicy(v4, "policy-v4.env");
         REQUIRE_MESSAGE(inst.rc == 0, inst.all());
       },
       {{"KEY_REVOKED", "request"}}},
      after_signing("log: 5.4.2 after 5.4.3 was signed",
                    [](World& w) { ForVersion(w, "5.4.2", "5.4.1"); },
                    {{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}}),
      after_signing("log: 5.4.3 again, same artifacts", [](World&) {},
                    {{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}}),
      after_signing(
          "log: 5.4.3 again with other artifacts",
          [](World& w) { ForVersion(w, "5.4.3", "5.4.2", "5.4.3-rebuilt"); },
          {{"VERSION_NOT_ABOVE_LAST_SIGNED", "log"}, {"VERSION_ARTIFACT_CONFLICT", "log"}}),
  };
}

std::vector<Row> RequestRows() {
  auto malformed = std::set<CodeAndInput>{{"REQUEST_MALFORMED", "request"}};
  return {
      {"request: two artifacts with the same file name",
       Where::kShared,
       {},
       [](Attempt& a) {
         std::string dup = a.st.root + "/" + a.out + "-dup";
         REQUIRE(MakeDirs(dup, 0755).ok());
         WriteAll(dup + "/ic22-fw-5.4.3.bin", "another image with the same name");
         a.in.artifacts.push_back(dup + "/ic22-fw-5.4.3.bin");
       },
       // The gate judges the three digests too: neither approved nor built.
       {{"REQUEST_MALFORMED", "request"},
        {"APPROVAL_SUBJECT_MISMATCH", "approval"},
        {"PROVENANCE_SUBJECT_MISMATCH", "provenance"}}},
      {"request: an artifact file that does not exist",
       Where::kShared,
       {},
       [](Attempt& a) { a.in.artifacts.push_back(a.st.root + "/no-such-artifact.bin"); },
       malformed,
       4},
      {"request: an output directory that is not empty",
       Where::kShared,
       {},
       [](Attempt& a) {
         REQUIRE(MakeDirs(a.st.root + "/" + a.out, 0755).ok());
         WriteAll(a.st.root + "/" + a.out + "/manifest.dsse.json", "outputs of another signing");
       },
       malformed,
       11},
      {"request: a key label the release token does not hold",
       Where::kShared,
       {},
       [](Attempt& a) { a.key = "no-such-key"; },
       malformed,
       4},
      {"input missing: no --approval",
       Where::kShared,
       {},
       [](Attempt& a) { a.in.approval.clear(); },
       {{"INPUT_MISSING", "approval"}}},
      {"input missing: --approval names a file that does not exist",
       Where::kShared,
       {},
       [](Attempt& a) { a.in.approval = a.st.root + "/no-such-approval.json"; },
       {{"INPUT_MISSING", "approval"}},
       4},
  };
}

// Everything presented, as (role, sha256) the refusal event must list.
std::set<CodeAndInput> Presented(const Attempt& a) {
  std::set<CodeAndInput> out;
  auto add = [&](const std::string& role, const std::string& path) {
    if (!path.empty() && PathExists(path)) out.insert({role, FileSha(path)});
  };
  add("policy", a.st.station + "/policy/current.json");
  add("approval", a.in.approval);
  add("provenance", a.in.provenance);
  for (std::size_t i = 0; i < a.in.evidence.size(); ++i)
    add("evidence[" + std::to_string(i) + "]", a.in.evidence[i]);
  for (const auto& p : a.in.artifacts) add("artifact", p);
  return out;
}

void SignFirst(SignStation& st) {
  Inputs first = st.Write(st.Scenario(), "first-media");
  CmdResult r = st.Sign(first, "first-out");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
}

void RunRow(const Row& row, std::size_t n) {
  std::unique_ptr<SignStation> own;
  if (row.where != Where::kShared) own = NewStation();
  SignStation& st = own ? *own : Shared();
  if (row.where == Where::kAfterSigning) SignFirst(st);
  World w = st.Scenario();
  if (row.change) row.change(w);
  std::string tag = "row" + std::to_string(n);
  Attempt a{st, w, st.Write(w, tag + "-media"), "IC-22", "5.4.3", st.key_label, tag + "-out"};
  if (row.present) row.present(a);
  bool out_existed = PathExists(st.root + "/" + a.out);
  std::set<std::string> out_before =
      out_existed ? DirNames(st.root + "/" + a.out) : std::set<std::string>{};
  std::size_t before = st.Events().size();

  CmdResult r = st.Sr("sign " + SignArgsWithKey(st, a.in, a.out, a.product, a.version, a.key));
  INFO("row: ", std::string(row.name), "\n", r.all());
  CHECK(r.rc == row.rc);
  CHECK(StderrReasons(r.err) == row.reasons);
  CHECK(r.err.find("REFUSED " + a.product + " " + a.version + " (log event " +
                   std::to_string(before) + ")") != std::string::npos);

  auto evs = st.Events();
  REQUIRE(evs.size() == before + 1);  // one REFUSAL, no SIGNING_INTENT
  const v1::Event& e = evs.back();
  REQUIRE(e.kind() == v1::EVENT_KIND_REFUSAL);
  const v1::RefusalEvent& ref = e.refusal();
  CHECK(EventReasons(ref) == row.reasons);
  for (const auto& x : ref.reasons()) CHECK_FALSE(x.message().empty());
  CHECK(ref.product() == a.product);
  CHECK(ref.version() == a.version);
  std::set<CodeAndInput> logged;
  for (const auto& i : ref.inputs()) logged.insert({i.role(), i.sha256()});
  CHECK(logged == Presented(a));

  if (out_existed) {
    CHECK(DirNames(st.root + "/" + a.out) == out_before);
  } else {
    CHECK_FALSE(PathExists(st.root + "/" + a.out));
  }
  CHECK(EntriesStartingWith(st.root, "." + a.out + ".partial.").empty());
  CmdResult lv = st.LogVerify();
  CHECK_MESSAGE(lv.rc == 0, lv.all());
}

std::vector<Row> AllRows() {
  std::vector<Row> all;
  for (auto rows : {MalformedRows(), PolicyRows(), ApprovalRows(), ProvenanceRows(), EvidenceRows(),
                    KeyAndLogRows(), RequestRows()})
    all.insert(all.end(), rows.begin(), rows.end());
  return all;
}

TEST_CASE(
    "sign: every refusal category of the gate is reachable from the command line and leaves a "
    "refusal event") {
  std::vector<Row> rows = AllRows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SUBCASE(rows[i].name) { RunRow(rows[i], i); }
  }
}

}  // namespace
}  // namespace sr::testing
