// `strongroom audit report` on a real station (the demo-like IC-22 5.4.3
// release: reference in scope, regional excluded, VULN-2026-014), and on
// copies of its log written again through the log library with a log key
// (tests/testing/relog.h) where the SIGNING also binds an OpenVEX document
// and the approval's documents, and lifecycle records follow: what the
// station of this tree does not produce yet, with a valid tree and
// checkpoint. Every proof the report writes must pass `log verify-proof`.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "tests/testing/files.h"
#include "tests/testing/relog.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// One station for every case: the policy installed and IC-22 5.4.3 signed.
struct Signed {
  SignStation st;
  std::uint64_t signing = 0, intent = 0;
  std::string follow_up;  // the regional exclusion's follow-up date

  Signed() {
    World w = st.Scenario();
    w.policy.mutable_products(0)->set_evidence_freshness_days(90);
    CmdResult inst = st.InstallPolicy(w);
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    Inputs in = st.Write(st.Scenario());
    CmdResult s = st.Sign(in, "out");
    REQUIRE_MESSAGE(s.rc == 0, s.all());
    auto evs = st.Events();
    for (std::size_t i = 0; i < evs.size(); ++i)
      if (evs[i].kind() == v1::EVENT_KIND_SIGNING) {
        signing = i;
        intent = evs[i].signing().intent_index();
        REQUIRE(evs[i].signing().exclusions_size() == 1);
        follow_up = evs[i].signing().exclusions(0).follow_up();
      }
    REQUIRE(signing != 0);
  }

  // An evidence-store object holding `content` (named by its digest).
  std::string Store(const std::string& content) const {
    std::string sha = Sha256Hex(content);
    WriteAll(st.station + "/evidence/" + sha, content, 0644);
    return sha;
  }

  // A LIFECYCLE_RECORDED event for IC-22 5.4.3, its envelope in the store.
  v1::Event Record(const std::string& type, const std::string& configuration,
                   const std::string& outcome, const std::string& owner,
                   const std::string& follow_up_date = "", const std::string& expires = "") const {
    v1::Event e;
    e.set_kind(v1::EVENT_KIND_LIFECYCLE_RECORDED);
    e.set_time(st.Events()[signing].time());
    auto* l = e.mutable_lifecycle_recorded();
    l->set_record_type(type);
    l->set_product("IC-22");
    l->set_version("5.4.3");
    l->set_cohort("A");
    l->set_configuration(configuration);
    l->set_outcome(outcome);
    l->set_owner(owner);
    l->set_follow_up_date(follow_up_date);
    l->set_expires(expires);
    l->set_summary(type + " " + configuration + " " + outcome);
    l->set_decided_at(e.time());
    l->set_signer_name("update service");
    l->set_signer_fingerprint(std::string(64, 'a'));
    l->set_envelope_sha256(
        Store("{\"record\":\"" + type + configuration + outcome + follow_up_date + "\"}"));
    return e;
  }

  // The SIGNING with what the vex and record helpers' station binds: an
  // OpenVEX document covering VULN-2026-014 and the approval's documents.
  std::function<void(std::uint64_t, v1::Event&)> WithVexAndDocuments() const {
    std::string vex = Store("{\"@context\":\"https://openvex.dev/ns/v0.2.0\"}");
    std::vector<std::pair<std::string, std::string>> docs;
    for (const char* kind : {"rollback-conditions", "recovery-procedure", "customer-notification"})
      docs.emplace_back(kind, Store(std::string("the ") + kind + " of IC-22 5.4.3\n"));
    return [=, this](std::uint64_t i, v1::Event& e) {
      if (i != signing) return;
      auto* s = e.mutable_signing();
      s->set_vex_sha256(vex);
      s->set_vex_signer_fingerprint(std::string(64, 'b'));
      auto* vs = s->add_vex_statements();
      vs->set_vulnerability("VULN-2026-014");
      vs->set_status("fixed");
      vs->add_affected_versions("5.4.2");
      vs->add_fixed_versions("5.4.3");
      for (const auto& [kind, sha] : docs) {
        auto* d = s->add_documents();
        d->set_kind(kind);
        d->set_name(kind + ".md");
        d->set_sha256(sha);
      }
    };
  }

  CmdResult Report(const std::string& log, const std::string& vkey_file, const std::string& out,
                   const std::string& extra = "") const {
    return st.Sr("audit report --release IC-22@5.4.3 --log " + log + " --vkey " + vkey_file +
                 " --evidence " + st.station + "/evidence --policies " + st.station + "/policy" +
                 (out.empty() ? "" : " --out " + st.root + "/" + out) + extra);
  }

  // The JSON report of `log` written to root/name.json (and its proofs).
  Json JsonReport(const std::string& log, const std::string& vkey_file, const std::string& name,
                  const std::string& extra = "") const {
    CmdResult r = Report(log, vkey_file, name + ".json", " --format json" + extra);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    Json j = Json::parse(ReadAll(st.root + "/" + name + ".json"), nullptr, false);
    REQUIRE(!j.is_discarded());
    return j;
  }
};

Signed& Shared() {
  static Signed s;
  return s;
}

const Json& Answer(const Json& j, int n) {
  for (const auto& a : j["questions"])
    if (a["number"] == n) return a;
  FAIL("no answer " << n);
  static Json none;
  return none;
}

const Json& Level(const Json& j, const std::string& configuration) {
  for (const auto& m : j["maturity"]["configurations"])
    if (m["configuration"] == configuration) return m;
  FAIL("no maturity for " << configuration);
  static Json none;
  return none;
}

bool AnyHas(const Json& list, const std::string& what) {
  for (const auto& s : list)
    if (Has(s.get<std::string>(), what)) return true;
  return false;
}

// YYYY-MM-DD plus `days`.
std::string DayAfter(const std::string& date, int days = 1) {
  using namespace std::chrono;
  int y = std::stoi(date.substr(0, 4));
  unsigned m = std::stoul(date.substr(5, 2)), d = std::stoul(date.substr(8, 2));
  year_month_day ymd{sys_days{year_month_day{year{y}, month{m}, day{d}}} + std::chrono::days{days}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()));
  return buf;
}

TEST_CASE("audit report: every field of the evidence package is filled for a signed release") {
  Signed& s = Shared();
  Json j = s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "package");
  INFO(j.dump(2));
  CHECK(j["format"] == "strongroom-audit-report");
  CHECK(j["version"] == 1);
  CHECK(j["release"]["product"] == "IC-22");
  CHECK(j["release"]["version"] == "5.4.3");
  CHECK(j["log"]["signing_index"] == s.signing);
  CHECK(j["log"]["intent_index"] == s.intent);
  const Json& p = j["package"];
  for (const char* field : {"decision", "threat", "practice"})
    CHECK_MESSAGE(!p[field].get<std::string>().empty(), field);
  CHECK(Has(p["decision"],
            "Approve IC-22 5.4.3 (from 5.4.2) for deployment to cohort A on "
            "configuration reference; excluded: regional"));
  CHECK(Has(p["threat"], "untested recovery"));
  CHECK(Has(p["practice"], "2 of 3 approvers"));
  // Scope: product, previous -> version, cohorts, configurations, the
  // excluded configuration with its reason, mitigation and follow-up.
  CHECK(p["scope"]["from_version"] == "5.4.2");
  CHECK(p["scope"]["to_version"] == "5.4.3");
  CHECK(p["scope"]["cohorts"] == Json::array({"A"}));
  CHECK(p["scope"]["configurations"] == Json::array({"reference"}));
  CHECK(p["scope"]["vulnerabilities"] == Json::array({"VULN-2026-014"}));
  REQUIRE(p["scope"]["exclusions"].size() == 1);
  const Json& x = p["scope"]["exclusions"][0];
  CHECK(x["configuration"] == "regional");
  CHECK(Has(x["reason"], "recovery test not yet passed"));
  CHECK(x["mitigation"] == "regional devices stay on firmware 5.4.2");
  CHECK(x["follow_up_date"] == s.follow_up);
  // Evidence: each item with its digest (or the event itself), its log
  // index and who produced it, and present in the store.
  std::set<std::string> kinds;
  for (const auto& e : p["evidence"]) {
    kinds.insert(e["kind"]);
    CHECK_MESSAGE(!e["log_index"].is_null(), e.dump());
    CHECK_MESSAGE(!e["producer"].get<std::string>().empty(), e.dump());
    CHECK_MESSAGE((e["status"] == "present" || e["status"] == "in the log"), e.dump());
    if (e["status"] == "present") CHECK(e["sha256"].get<std::string>().size() == 64);
  }
  for (const char* k :
       {"release approval", "signed update manifest", "signing event record", "build provenance",
        "test evidence", "trust policy in force", "release key generation"})
    CHECK_MESSAGE(kinds.count(k) == 1, k);
  for (const auto& e : p["evidence"]) {
    if (e["kind"] == "test evidence") {
      CHECK(e["name"] == "reference");
      CHECK(Has(e["producer"], "test lab"));
    }
    if (e["kind"] == "release approval") CHECK(Has(e["producer"], "approvers "));
    if (e["kind"] == "signed update manifest") CHECK(Has(e["producer"], s.st.key_fingerprint));
  }
  CHECK(!p["producers"].empty());
  CHECK(AnyHas(p["producers"], "builder: "));
  CHECK(AnyHas(p["consumers"], "cohort A, configuration reference"));
  // Every check of the verification method ran now and passed.
  std::set<std::string> checks;
  for (const auto& c : p["verification"]) {
    checks.insert(c["name"]);
    CHECK_MESSAGE(c["result"] == "passed", c.dump());
  }
  for (const char* c : {"log", "signature", "evidence", "intent", "key-authorization", "key-ended",
                        "approval-threshold", "approval-order", "gate"})
    CHECK_MESSAGE(checks.count(c) == 1, c);
  // What the station of this tree does not bind is a gap, not a blank.
  CHECK(AnyHas(p["known_gaps"], "configuration regional excluded"));
  CHECK(AnyHas(p["known_gaps"], "no affected-version analysis recorded"));
  CHECK(AnyHas(p["known_gaps"], "no deployment record"));
  CHECK(AnyHas(p["known_gaps"], "no rollback-conditions document"));
  CHECK(AnyHas(p["exceptions"], "configuration regional excluded from deployment"));
  CHECK(p["retention_owners"].empty());

  // The Markdown form names every field of the seed's package, in its order.
  CmdResult md = s.Report(s.st.station + "/log", s.st.root + "/log.vkey", "");
  REQUIRE_MESSAGE(md.rc == 0, md.all());
  std::size_t at = 0;
  for (const char* f :
       {"| Decision supported |", "| Threat/failure mode addressed |",
        "| Practice/control supported |", "| Scope |", "| Evidence included |",
        "| Producer/source |", "| Consumer/recipient |", "| Verification method |",
        "| Known gaps |", "| Exceptions/risk acceptance |", "| Retention owner |"}) {
    std::size_t next = md.out.find(f, at);
    CHECK_MESSAGE(next != std::string::npos, f);
    if (next != std::string::npos) at = next;
  }
  CHECK(Has(md.out, "| Retention owner | not recorded |"));
}

TEST_CASE("audit report: the five questions name their events and every proof verifies") {
  Signed& s = Shared();
  Json j = s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "questions");
  INFO(j.dump(2));
  REQUIRE(j["questions"].size() == 5);
  for (const auto& a : j["questions"]) {
    CHECK((a["answer"] == "yes" || a["answer"] == "no" || a["answer"] == "partly"));
    CHECK(!a["indexes"].empty());
    CHECK(a["proofs"].size() == a["indexes"].size());
  }
  // Approved before signing, but no deployment recorded: partly.
  CHECK(Answer(j, 1)["answer"] == "partly");
  CHECK(Answer(j, 1)["indexes"] == Json::array({s.intent, s.signing}));
  CHECK(Has(Answer(j, 1)["explanation"], "no deployment is recorded"));
  CHECK(Answer(j, 2)["answer"] == "yes");
  CHECK(Answer(j, 3)["answer"] == "no");
  CHECK(Has(Answer(j, 3)["explanation"], "no affected-version analysis recorded"));
  CHECK(Answer(j, 4)["answer"] == "partly");  // tested, not documented
  CHECK(Answer(j, 5)["answer"] == "partly");  // only the exclusion retained

  // One proof per cited event, each accepted by `log verify-proof` with the
  // log's key; and a proof altered by one byte is refused.
  std::set<std::uint64_t> cited;
  for (const auto& a : j["questions"])
    for (const auto& i : a["indexes"]) cited.insert(i.get<std::uint64_t>());
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(s.st.root + "/questions.json.proofs"))
    if (entry.path().extension() == ".tlog-proof") ++files;
  CHECK(files == static_cast<int>(j["proofs"]["events"].size()));
  for (std::uint64_t i : cited)
    CHECK(j["proofs"]["events"][std::to_string(i)] ==
          "questions.json.proofs/event-" + std::to_string(i) + ".tlog-proof");
  for (const auto& [index, path] : j["proofs"]["events"].items()) {
    std::string file = s.st.root + "/" + path.get<std::string>();
    CmdResult v = s.st.Sr("log verify-proof " + file + " --vkey " + s.st.root + "/log.vkey");
    CHECK_MESSAGE(v.rc == 0, file, v.all());
    CHECK(Has(v.out, "event " + index + " is in"));
  }
  std::string proof = ReadAll(s.st.root + "/questions.json.proofs/event-" +
                              std::to_string(s.signing) + ".tlog-proof");
  std::size_t hash_at = proof.find('\n', proof.find("index ")) + 1;
  proof[hash_at + 3] = proof[hash_at + 3] == 'A' ? 'B' : 'A';
  WriteAll(s.st.root + "/altered.tlog-proof", proof);
  CmdResult bad = s.st.Sr("log verify-proof " + s.st.root + "/altered.tlog-proof --vkey " +
                          s.st.root + "/log.vkey");
  CHECK(bad.rc != 0);
}

TEST_CASE("audit report: maturity per configuration, and the records, VEX and documents") {
  Signed& s = Shared();
  // The station's own log: reference verified (4) but not retained; regional
  // excluded, so at most 3, with the exclusion's reason.
  Json plain = s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "maturity-plain");
  INFO(plain["maturity"].dump(2));
  CHECK(Level(plain, "reference")["level"] == 4);
  CHECK(Has(Level(plain, "reference")["reason"], "no deployment-result record"));
  CHECK(Level(plain, "regional")["level"] <= 3);
  CHECK(Level(plain, "regional")["excluded"] == true);
  CHECK(Has(Level(plain, "regional")["reason"], "recovery test not yet passed"));
  CHECK(Has(plain["maturity"]["summary"], "Level 4 for reference"));
  CHECK(Has(plain["maturity"]["summary"], "not Level 5 for regional: excluded"));

  // A copy of the log whose SIGNING event claims an OpenVEX document and
  // bound documents the approval never bound, plus records: the report's
  // gate re-run catches the forgery, so no configuration is verified (at
  // most 3) and the verification method says which check failed and why.
  // (The genuine path, a station that signed with a VEX and bound documents
  // and recorded a deployment, reaches Level 5 for reference: demo_test.)
  std::string log = Relog(
      s.st, "log-retained", s.WithVexAndDocuments(),
      {s.Record("deployment-result", "reference", "succeeded", "buyer lifecycle monitoring owner"),
       s.Record("customer-notification", "", "sent", "supplier release owner")});
  Json j = s.JsonReport(log, log + ".vkey", "maturity-retained");
  INFO(j.dump(2));
  CHECK(Level(j, "reference")["level"] == 3);
  CHECK(Has(Level(j, "reference")["reason"], "a verification check failed"));
  CHECK(Level(j, "regional")["level"] <= 3);
  bool gate_failed = false;
  for (const auto& c : j["package"]["verification"])
    if (c["name"] == "gate" && c["result"] == "failed") {
      gate_failed = true;
      CHECK(Has(c["detail"], "DOCUMENT_NOT_BOUND"));
    }
  CHECK(gate_failed);
  // What the forged events claim is still shown, each item with its digest.
  std::set<std::string> kinds;
  for (const auto& e : j["package"]["evidence"]) kinds.insert(e["kind"]);
  for (const char* k :
       {"affected-version analysis (OpenVEX)", "rollback-conditions", "recovery-procedure",
        "customer-notification", "lifecycle record: deployment-result",
        "lifecycle record: customer-notification"})
    CHECK_MESSAGE(kinds.count(k) == 1, k);
  // The records' proofs verify under the forged log's key: inclusion is not
  // justification.
  const std::uint64_t n = s.st.Events().size();
  CmdResult v = s.st.Sr("log verify-proof " + s.st.root + "/maturity-retained.json.proofs/event-" +
                        std::to_string(n) + ".tlog-proof --vkey " + log + ".vkey");
  CHECK_MESSAGE(v.rc == 0, v.all());
}

TEST_CASE(
    "audit report: --as-of after the follow-up flags it overdue; a decision record clears it") {
  Signed& s = Shared();
  const std::string due = s.follow_up, after = DayAfter(s.follow_up);
  auto overdue = [](const Json& j) {
    for (const auto& f : j["findings"])
      if (f["kind"] == "overdue-follow-up" && Has(f["subject"], "regional")) return true;
    return false;
  };
  Json on_time =
      s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "asof-due", " --as-of " + due);
  CHECK_FALSE(overdue(on_time));
  CHECK(on_time["package"]["scope"]["exclusions"][0]["status"] == "open");
  Json late = s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "asof-late",
                           " --as-of " + after);
  CHECK(overdue(late));
  CHECK(late["package"]["scope"]["exclusions"][0]["status"] == "overdue");
  CHECK(late["as_of"] == after + "T00:00:00Z");
  // Findings are content (exit 0) unless asked; an RFC 3339 time works too.
  CmdResult asked = s.Report(s.st.station + "/log", s.st.root + "/log.vkey", "",
                             " --as-of " + after + "T12:00:00Z --fail-on-findings");
  CHECK_MESSAGE(asked.rc == 1, asked.all());
  CHECK(Has(asked.out, "overdue-follow-up"));

  // An "extend" decision moves the date: not overdue the day after the old
  // one, overdue again after the new one; "include" clears it.
  const std::string later = DayAfter(s.follow_up, 30);
  std::string extended = Relog(
      s.st, "log-extended", [](std::uint64_t, v1::Event&) {},
      {s.Record("exclusion-decision", "regional", "extend", "supplier release owner", later)});
  Json ext = s.JsonReport(extended, extended + ".vkey", "asof-extended", " --as-of " + after);
  CHECK_FALSE(overdue(ext));
  CHECK(ext["package"]["scope"]["exclusions"][0]["follow_up_date"] == later);
  CHECK(ext["package"]["scope"]["exclusions"][0]["decision_index"] == s.st.Events().size());
  Json ext_late = s.JsonReport(extended, extended + ".vkey", "asof-extended-late",
                               " --as-of " + DayAfter(later));
  CHECK(overdue(ext_late));
  std::string included =
      Relog(s.st, "log-included", [](std::uint64_t, v1::Event&) {},
            {s.Record("exclusion-decision", "regional", "include", "supplier release owner")});
  Json inc = s.JsonReport(included, included + ".vkey", "asof-included", " --as-of " + after);
  CHECK_FALSE(overdue(inc));
  CHECK(inc["package"]["scope"]["exclusions"][0]["status"] == "included");
  CmdResult quiet = s.Report(included, included + ".vkey", "",
                             " --as-of " + after + " --fail-on-findings --format json");
  CHECK_MESSAGE(quiet.rc == 0, quiet.all());

  // A risk acceptance past its expiry is a finding too.
  std::string risk = Relog(
      s.st, "log-risk", [](std::uint64_t, v1::Event&) {},
      {s.Record("risk-acceptance", "regional", "accepted", "supplier product security", "", due)});
  Json r = s.JsonReport(risk, risk + ".vkey", "asof-risk", " --as-of " + after);
  bool expired = false;
  for (const auto& f : r["findings"]) expired |= f["kind"] == "risk-acceptance-expired";
  CHECK(expired);
  CHECK(AnyHas(r["package"]["exceptions"], "risk acceptance"));
}

TEST_CASE(
    "audit report: a deployed release whose vulnerability record changed is stale; withdrawn, "
    "it is not") {
  Signed& s = Shared();
  const std::uint64_t n = s.st.Events().size();
  // 5.4.3 signed with a VEX stating VULN-2026-014 fixed (WithVexAndDocuments)
  // and deployed; then 5.4.4 signed (its SIGNING forged from 5.4.3's) with a
  // VEX that lists 5.4.3 affected by VULN-2026-031, and restates 014 fixed.
  v1::Event later = s.st.Events()[s.signing];
  auto* ls = later.mutable_signing();
  ls->set_version("5.4.4");
  ls->set_vex_sha256(s.Store("{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"v\":\"5.4.4\"}"));
  ls->clear_vex_statements();
  auto* fresh = ls->add_vex_statements();
  fresh->set_vulnerability("VULN-2026-031");
  fresh->set_status("fixed");
  fresh->add_affected_versions("5.4.3");
  fresh->add_fixed_versions("5.4.4");
  auto* same = ls->add_vex_statements();
  same->set_vulnerability("VULN-2026-014");
  same->set_status("fixed");
  same->add_fixed_versions("5.4.3");
  same->add_fixed_versions("5.4.4");
  const v1::Event deployed = s.Record("deployment-result", "reference", "succeeded", "");
  auto changed = [](const Json& j) {
    std::vector<Json> out;
    for (const auto& f : j["findings"])
      if (f["kind"] == "vulnerability-record-changed") out.push_back(f);
    return out;
  };

  std::string dir = Relog(s.st, "log-vex-changed", s.WithVexAndDocuments(), {deployed, later});
  Json j = s.JsonReport(dir, dir + ".vkey", "vex-changed");
  auto f = changed(j);
  REQUIRE(f.size() == 1);
  CHECK(f[0]["subject"] == "IC-22 5.4.3, VULN-2026-031");
  CHECK(f[0]["index"] == n + 1);
  const std::string m = f[0]["message"];
  CHECK(Has(m, "deployed (event " + std::to_string(n) + ")"));
  CHECK(Has(m, "states nothing about VULN-2026-031 for 5.4.3"));  // the old statement
  CHECK(Has(m, "bound in event " + std::to_string(s.signing)));
  CHECK(Has(m, "IC-22 5.4.4 was signed"));  // the new one, with its index
  CHECK(Has(m, "event " + std::to_string(n + 1) + ") states VULN-2026-031 affected in 5.4.3"));
  CHECK(Has(m, "deploy a version that fixes it (5.4.4)"));
  CmdResult md = s.Report(dir, dir + ".vkey", "");
  CHECK(Has(md.out, "vulnerability-record-changed"));

  // A status changed: the later VEX lists 5.4.3 affected by 014, which its
  // own VEX states fixed.
  same->clear_fixed_versions();
  same->add_affected_versions("5.4.3");
  same->add_fixed_versions("5.4.4");
  std::string dir2 = Relog(s.st, "log-vex-status", s.WithVexAndDocuments(), {deployed, later});
  auto f2 = changed(s.JsonReport(dir2, dir2 + ".vkey", "vex-status"));
  REQUIRE(f2.size() == 2);
  CHECK(Has(f2[0]["message"], "states VULN-2026-014 fixed in 5.4.3"));
  CHECK(Has(f2[0]["message"], "states VULN-2026-014 affected in 5.4.3"));

  // Withdrawn, or never recorded deployed: nothing to re-assess.
  std::string gone =
      Relog(s.st, "log-vex-withdrawn", s.WithVexAndDocuments(),
            {deployed, later, s.Record("withdrawal", "", "withdrawn", "supplier release owner")});
  CHECK(changed(s.JsonReport(gone, gone + ".vkey", "vex-withdrawn")).empty());
  std::string idle = Relog(s.st, "log-vex-undeployed", s.WithVexAndDocuments(), {later});
  CHECK(changed(s.JsonReport(idle, idle + ".vkey", "vex-undeployed")).empty());
}

TEST_CASE("audit report: policy and key authorization expiring or expired, stale test evidence") {
  Signed& s = Shared();
  // The scenario's policy and authorization run a year from the signing;
  // its test evidence is fresh for 90 days.
  const std::string day = s.st.Events()[s.signing].time().substr(0, 10);
  auto kinds = [&](const std::string& as_of) {
    Json j = s.JsonReport(s.st.station + "/log", s.st.root + "/log.vkey", "expiry-" + as_of,
                          " --as-of " + as_of);
    std::set<std::string> k;
    for (const auto& f : j["findings"])
      if (f["kind"] != "overdue-follow-up") k.insert(f["kind"]);
    std::string out;
    for (const auto& x : k) out += x + " ";
    return out;
  };
  CHECK(kinds(DayAfter(day, 10)) == "");
  CHECK(kinds(DayAfter(day, 100)) == "stale-test-evidence ");
  CHECK(kinds(DayAfter(day, 350)) ==
        "key-authorization-expiring policy-expiring stale-test-evidence ");
  CHECK(kinds(DayAfter(day, 367)) ==
        "key-authorization-expired policy-expired stale-test-evidence ");
}

TEST_CASE("audit report: a log that does not verify exits 6 and writes nothing") {
  Signed& s = Shared();
  // The station's log with another log's key: the checkpoint does not verify.
  std::string other = Relog(s.st, "log-other", [](std::uint64_t, v1::Event&) {});
  CmdResult r = s.Report(s.st.station + "/log", other + ".vkey", "bad.md");
  CHECK_MESSAGE(r.rc == 6, r.all());
  CHECK_FALSE(PathExists(s.st.root + "/bad.md"));
  CHECK_FALSE(PathExists(s.st.root + "/bad.md.proofs"));
  // An event altered under a valid checkpoint: the tree does not match.
  std::string copy = s.st.root + "/log-altered";
  CopyDir(other, copy);
  std::string events = ReadAll(copy + "/events");
  REQUIRE(events.size() > 200);
  events[events.size() - 100] ^= 0x01;
  WriteAll(copy + "/events", events);
  CmdResult t = s.Report(copy, other + ".vkey", "altered.md");
  CHECK_MESSAGE(t.rc == 6, t.all());
  CHECK_FALSE(PathExists(s.st.root + "/altered.md"));

  // A release the log did not sign, and a malformed --release.
  CmdResult none =
      s.st.Sr("audit report --release IC-22@9.9.9 --log " + s.st.station + "/log --vkey " +
              s.st.root + "/log.vkey --evidence " + s.st.station + "/evidence");
  CHECK(none.rc == 4);
  CHECK(Has(none.all(), "signed versions of IC-22: 5.4.3"));
  CmdResult bad = s.st.Sr("audit report --release IC-22 --log " + s.st.station + "/log --vkey " +
                          s.st.root + "/log.vkey --evidence " + s.st.station + "/evidence");
  CHECK(bad.rc == 3);
  CHECK(Has(bad.all(), "PRODUCT@VERSION"));
}

}  // namespace
}  // namespace sr::testing
