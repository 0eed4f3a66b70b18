// `strongroom record` end to end (issue 17, "Lifecycle records after
// signing"): the real binary on a real SoftHSMv2 station with IC-22 5.4.3
// signed, and a policy whose recordSigners trust the update service for
// deployment results, rollbacks and recoveries and the release owner for the
// rest. Each record type is accepted and logged with its fields; an untrusted
// signer, a signer trusted for another type, an unsigned version, a malformed
// predicate, bad fields, a FIFO and an oversized file are refused and logged;
// the same envelope twice is logged once; `audit replay` re-judges the
// records and fails, naming the event, on an altered stored envelope or a
// forged event. One envelope is made by scripts/dsse-sign-openssl, an
// independent DSSE signer.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "policy/lifecycle_record.h"
#include "tests/testing/audit_replay.h"
#include "tests/testing/files.h"
#include "tests/testing/relog.h"
#include "tests/testing/sign_helpers.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;
using Fields = std::map<std::string, std::string>;

constexpr int kTimedOut = 124;

struct Signers {
  std::unique_ptr<KeyFileSigner> update_service = NewKey("ec256");
  SecretBytes release_owner_pem = NewKeyPem("ed25519");
  std::unique_ptr<KeyFileSigner> release_owner =
      std::move(KeyFileSigner::FromPem(release_owner_pem)).value();
  std::unique_ptr<KeyFileSigner> stranger = NewKey("ec256");
};

// One station shared by every case: the policy with record signers
// installed, IC-22 5.4.3 signed (its artifacts are the World's).
struct RecordStation {
  SignStation st;
  Signers keys;
  std::string owner_key_file;

  RecordStation() {
    World w = st.Scenario();
    auto* prod = w.policy.mutable_products(0);
    auto* us = prod->add_record_signers();
    *us->mutable_key() = Trusted("update service", *keys.update_service);
    for (const char* t : {"deployment-result", "rollback", "recovery"}) us->add_record_types(t);
    auto* ro = prod->add_record_signers();
    *ro->mutable_key() = Trusted("release owner", *keys.release_owner);
    for (const char* t :
         {"exclusion-decision", "risk-acceptance", "withdrawal", "customer-notification"})
      ro->add_record_types(t);
    CmdResult inst = st.InstallPolicy(w);
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    Inputs in = st.Write(w);
    CmdResult s = st.Sign(in, "signed");
    REQUIRE_MESSAGE(s.rc == 0, s.all());
    owner_key_file = st.root + "/release-owner.key.pem";
    WriteAll(owner_key_file, AsText(keys.release_owner_pem));
  }
};

RecordStation& Shared() {
  static RecordStation s;
  return s;
}

// A record statement: the predicate from fields (JSON names), subjects as
// given (none by default).
std::string StatementJson(const Fields& f, const std::vector<Artifact>& subjects = {}) {
  Json pred = Json::object();
  for (const auto& [k, v] : f) pred[k] = v;
  Json st = {{"_type", "https://in-toto.io/Statement/v1"},
             {"subject", Json::array()},
             {"predicateType", std::string(policy::kLifecycleRecordPredicateType)},
             {"predicate", pred}};
  for (const auto& a : subjects)
    st["subject"].push_back({{"name", a.name}, {"digest", {{"sha256", a.sha256}}}});
  return st.dump();
}

Fields Base(const std::string& type, const std::string& outcome) {
  return {{"recordType", type},
          {"product", "IC-22"},
          {"version", "5.4.3"},
          {"outcome", outcome},
          {"decidedAt", "2026-12-06T10:00:00Z"},
          {"summary", type + " " + outcome}};
}

// Writes the envelope of statement signed by signer to root/name.
std::string WriteRecord(const SignStation& st, const std::string& name,
                        const std::string& statement, Signer* signer) {
  std::string path = st.root + "/" + name;
  WriteAll(path, SignEnvelope(std::string(policy::kInTotoPayloadType), statement, {signer}), 0644);
  return path;
}

CmdResult Record(const SignStation& st, const std::string& path, const std::string& extra = "") {
  return Run("cd '" + st.root + "' && timeout 60 '" + STRONGROOM_BINARY + "' record --station " +
                 st.station + " --in " + path + " --log-pin-source file:" + st.pins + "/log" +
                 extra,
             st.root + "/.stderr");
}

// The refusal reasons of the last event, which must be a REFUSAL with input
// role "record" appended by the last command.
std::set<CodeAndInput> LastRefusal(const SignStation& st, std::size_t before) {
  auto evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  REQUIRE(evs.back().kind() == v1::EVENT_KIND_REFUSAL);
  const auto& r = evs.back().refusal();
  REQUIRE(r.inputs_size() == 1);
  CHECK(r.inputs(0).role() == "record");
  return EventReasons(r);
}

TEST_CASE("record: each record type is accepted and logged with its fields") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  struct Case {
    const char* name;
    Fields fields;
    Signer* signer;
  };
  Fields deploy = Base("deployment-result", "succeeded");
  deploy["cohort"] = "A";
  deploy["configuration"] = "reference";
  Fields rollback = Base("rollback", "performed");
  rollback["configuration"] = "reference";
  Fields recovery = Base("recovery", "failed");
  recovery["configuration"] = "regional";
  Fields extend = Base("exclusion-decision", "extend");
  extend["configuration"] = "regional";
  extend["followUpDate"] = "2027-01-15";
  extend["owner"] = "release owner";
  Fields drop = Base("exclusion-decision", "drop");
  drop["configuration"] = "regional";
  Fields risk = Base("risk-acceptance", "accepted");
  risk["owner"] = "head of product security";
  risk["expires"] = "2027-03-31";
  Fields withdrawn = Base("withdrawal", "withdrawn");
  Fields notified = Base("customer-notification", "sent");
  const Case cases[] = {
      {"deployment-result", deploy, s.keys.update_service.get()},
      {"rollback", rollback, s.keys.update_service.get()},
      {"recovery", recovery, s.keys.update_service.get()},
      {"exclusion-decision extend", extend, s.keys.release_owner.get()},
      {"exclusion-decision drop", drop, s.keys.release_owner.get()},
      {"risk-acceptance", risk, s.keys.release_owner.get()},
      {"withdrawal", withdrawn, s.keys.release_owner.get()},
      {"customer-notification", notified, s.keys.release_owner.get()},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    std::string path = WriteRecord(st, "rec-" + std::to_string(n++) + ".dsse.json",
                                   StatementJson(c.fields), c.signer);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, path, " --operator alice");
    INFO(r.all());
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("RECORDED " + c.fields.at("recordType")) != std::string::npos);
    auto evs = st.Events();
    REQUIRE(evs.size() == before + 1);
    const v1::Event& e = evs.back();
    REQUIRE(e.kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED);
    CHECK(e.operators_size() == 1);
    const v1::LifecycleRecordedEvent& l = e.lifecycle_recorded();
    CHECK(l.record_type() == c.fields.at("recordType"));
    CHECK(l.product() == "IC-22");
    CHECK(l.version() == "5.4.3");
    CHECK(l.outcome() == c.fields.at("outcome"));
    CHECK(l.decided_at() == "2026-12-06T10:00:00Z");
    CHECK(l.summary() == c.fields.at("summary"));
    auto get = [&](const char* k) { return c.fields.count(k) ? c.fields.at(k) : std::string(); };
    CHECK(l.cohort() == get("cohort"));
    CHECK(l.configuration() == get("configuration"));
    CHECK(l.owner() == get("owner"));
    CHECK(l.expires() == get("expires"));
    CHECK(l.follow_up_date() == get("followUpDate"));
    CHECK(l.signer_fingerprint() == c.signer->Public().fingerprint());
    CHECK(l.signer_name() ==
          (c.signer == s.keys.update_service.get() ? "update service" : "release owner"));
    // The envelope is kept in the evidence store under the digest the event names.
    CHECK(l.envelope_sha256() == FileSha(path));
    CHECK(FileSha(st.station + "/evidence/" + l.envelope_sha256()) == l.envelope_sha256());
  }
  CmdResult v = st.LogVerify();
  CHECK_MESSAGE(v.rc == 0, v.all());
  // log show prints each record in one line above its JSON.
  CmdResult show = st.Sr("log show --station " + st.station);
  CHECK(show.out.find("record: deployment-result succeeded for IC-22 5.4.3, cohort A, "
                      "configuration reference") != std::string::npos);
  CHECK(show.out.find("record: exclusion-decision extend for IC-22 5.4.3, configuration "
                      "regional, follow-up 2027-01-15") != std::string::npos);
}

TEST_CASE(
    "record: an envelope made by scripts/dsse-sign-openssl (an independent DSSE signer) is "
    "accepted, with subjects that are the release's artifacts") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  Fields f = Base("exclusion-decision", "include");
  f["configuration"] = "regional";
  Json st_json = Json::parse(StatementJson({}, {st.Scenario().artifacts[0]}));
  Json pred = Json::object();
  for (const auto& [k, v] : f) pred[k] = v;
  pred["evidenceSha256"] = {Sha256Hex("the passing regional recovery test")};
  st_json["predicate"] = pred;
  std::string payload = st.root + "/include.json";
  WriteAll(payload, st_json.dump(), 0644);
  std::string out = st.root + "/include.dsse.json";
  CmdResult sig = Run(std::string("'") + STRONGROOM_SOURCE_DIR +
                      "/scripts/dsse-sign-openssl' application/vnd.in-toto+json " + payload + " " +
                      s.owner_key_file + " " + out);
  REQUIRE_MESSAGE(sig.rc == 0, sig.all());
  std::size_t before = st.Events().size();
  CmdResult r = Record(st, out, " --json");
  INFO(r.all());
  REQUIRE(r.rc == 0);
  Json j = Json::parse(r.out);
  CHECK(j["accepted"] == true);
  CHECK(j["record"]["outcome"] == "include");
  auto evs = st.Events();
  REQUIRE(evs.size() == before + 1);
  CHECK(evs.back().lifecycle_recorded().outcome() == "include");
  CHECK(evs.back().lifecycle_recorded().signer_name() == "release owner");
}

TEST_CASE("record: the same envelope twice is said so, exit 0, and logged once") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  Fields f = Base("customer-notification", "sent");
  f["summary"] = "notification of 5.4.3 to operators of cohort A";
  std::string path =
      WriteRecord(st, "twice.dsse.json", StatementJson(f), s.keys.release_owner.get());
  CmdResult first = Record(st, path);
  REQUIRE_MESSAGE(first.rc == 0, first.all());
  auto evs = st.Events();
  std::uint64_t index = evs.size() - 1;
  CmdResult again = Record(st, path);
  INFO(again.all());
  CHECK(again.rc == 0);
  CHECK(again.out.find("ALREADY RECORDED") != std::string::npos);
  CHECK(again.out.find("(log event " + std::to_string(index) + ")") != std::string::npos);
  CHECK(st.Events().size() == evs.size());
  CmdResult json = Record(st, path, " --json");
  Json j = Json::parse(json.out);
  CHECK(j["already_recorded"] == true);
  CHECK(j["logged"] == false);
  CHECK(j["event_index"] == index);
}

TEST_CASE("record: refusals name input record and a specific reason, exit 1, and are logged") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  Fields deploy = Base("deployment-result", "failed");
  deploy["cohort"] = "A";
  deploy["configuration"] = "reference";
  struct Case {
    const char* name;
    std::string statement;
    Signer* signer;
    std::set<CodeAndInput> reasons;
  };
  auto with = [](Fields f, const std::string& k, const std::string& v) {
    if (v.empty())
      f.erase(k);
    else
      f[k] = v;
    return f;
  };
  World other = st.Scenario();
  ForVersion(other, "5.4.4", "5.4.3");
  const Case cases[] = {
      {"an untrusted signer",
       StatementJson(deploy),
       s.keys.stranger.get(),
       {{"RECORD_UNTRUSTED_SIGNER", "record"}}},
      {"a signer trusted for other record types",
       StatementJson(deploy),
       s.keys.release_owner.get(),
       {{"RECORD_SIGNER_NOT_FOR_TYPE", "record"}}},
      {"a version never signed",
       StatementJson(with(deploy, "version", "5.4.4")),
       s.keys.update_service.get(),
       {{"RECORD_RELEASE_NOT_SIGNED", "record"}}},
      {"a product not in the policy",
       StatementJson(with(deploy, "product", "IC-99")),
       s.keys.update_service.get(),
       {{"POLICY_PRODUCT_UNKNOWN", "record"}}},
      {"a predicate field LifecycleRecord does not have",
       StatementJson(with(deploy, "deployedBy", "bob")),
       s.keys.update_service.get(),
       {{"RECORD_MALFORMED", "record"}}},
      {"another predicate type",
       ReplaceOnce(StatementJson(deploy), "lifecycle-record/v1", "lifecycle-record/v2"),
       s.keys.update_service.get(),
       {{"RECORD_MALFORMED", "record"}}},
      {"an unknown record type",
       StatementJson(with(deploy, "recordType", "deployment")),
       s.keys.update_service.get(),
       {{"RECORD_TYPE_UNKNOWN", "record"}}},
      {"an outcome the type does not have",
       StatementJson(with(deploy, "outcome", "sent")),
       s.keys.update_service.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"a deployment result without cohort",
       StatementJson(with(deploy, "cohort", "")),
       s.keys.update_service.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"a configuration the policy does not know",
       StatementJson(with(deploy, "configuration", "lab")),
       s.keys.update_service.get(),
       {{"RECORD_CONFIGURATION_UNKNOWN", "record"}}},
      {"a decidedAt that is not a time",
       StatementJson(with(deploy, "decidedAt", "yesterday")),
       s.keys.update_service.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"an extension without its follow-up date",
       StatementJson(with(with(Base("exclusion-decision", "extend"), "configuration", "regional"),
                          "followUpDate", "")),
       s.keys.release_owner.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"an extension with a date that does not exist",
       StatementJson(with(with(Base("exclusion-decision", "extend"), "configuration", "regional"),
                          "followUpDate", "2027-02-30")),
       s.keys.release_owner.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"a risk acceptance without owner and expiry",
       StatementJson(Base("risk-acceptance", "accepted")),
       s.keys.release_owner.get(),
       {{"RECORD_FIELD_INVALID", "record"}}},
      {"subjects that are not the release's artifacts",
       StatementJson(deploy, {{"other.bin", Sha256Hex("another image")}}),
       s.keys.update_service.get(),
       {{"RECORD_SUBJECT_MISMATCH", "record"}}},
      {"several problems at once: every one is named",
       StatementJson(with(with(deploy, "version", "5.4.4"), "outcome", "done")),
       s.keys.stranger.get(),
       {{"RECORD_UNTRUSTED_SIGNER", "record"},
        {"RECORD_FIELD_INVALID", "record"},
        {"RECORD_RELEASE_NOT_SIGNED", "record"}}},
  };
  int n = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    std::string path =
        WriteRecord(st, "refused-" + std::to_string(n++) + ".dsse.json", c.statement, c.signer);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, path);
    INFO(r.all());
    CHECK(r.rc == 1);
    CHECK(r.err.find("REFUSED record") != std::string::npos);
    CHECK(StderrReasons(r.err) == c.reasons);
    CHECK(LastRefusal(st, before) == c.reasons);
  }
}

TEST_CASE("record: an altered, unparsable or missing record is refused and logged") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  Fields deploy = Base("deployment-result", "failed");
  deploy["cohort"] = "A";
  deploy["configuration"] = "reference";
  SUBCASE("an altered envelope: its signature no longer verifies") {
    std::string path =
        WriteRecord(st, "altered.dsse.json", StatementJson(deploy), s.keys.update_service.get());
    Json env = Json::parse(ReadAll(path));
    std::string payload = ReplaceOnce(StatementJson(deploy), "\"failed\"", "\"succeeded\"");
    env["payload"] = Base64Encode(payload);
    WriteAll(path, env.dump(), 0644);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, path);
    CHECK(r.rc == 1);
    std::set<CodeAndInput> want{{"RECORD_SIGNATURE_INVALID", "record"}};
    CHECK(StderrReasons(r.err) == want);
    CHECK(LastRefusal(st, before) == want);
  }
  SUBCASE("not an envelope at all") {
    std::string path = st.root + "/not-json.dsse.json";
    WriteAll(path, "deployment went fine\n", 0644);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, path);
    CHECK(r.rc == 1);
    std::set<CodeAndInput> want{{"RECORD_MALFORMED", "record"}};
    CHECK(StderrReasons(r.err) == want);
    CHECK(LastRefusal(st, before) == want);
  }
  SUBCASE("a file that does not exist: logged, exit 4") {
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, st.root + "/no-such-record.json");
    CHECK(r.rc == 4);
    std::set<CodeAndInput> want{{"INPUT_MISSING", "record"}};
    CHECK(LastRefusal(st, before) == want);
  }
}

TEST_CASE("record: a FIFO or an oversized file is refused at once, and logged") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  SUBCASE("a FIFO") {
    std::string fifo = st.root + "/record.fifo";
    std::filesystem::remove(fifo);
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, fifo);
    INFO(r.all());
    REQUIRE(r.rc != kTimedOut);
    CHECK(r.rc == 1);
    CHECK(r.err.find("is a FIFO (named pipe), not a regular file") != std::string::npos);
    std::set<CodeAndInput> want{{"INPUT_NOT_REGULAR_FILE", "record"}};
    CHECK(StderrReasons(r.err) == want);
    CHECK(LastRefusal(st, before) == want);
  }
  SUBCASE("a file above 1 MiB") {
    std::string big = st.root + "/big.dsse.json";
    WriteAll(big, std::string((1u << 20) + 1, ' '), 0644);
    std::size_t before = st.Events().size();
    CmdResult r = Record(st, big);
    INFO(r.all());
    CHECK(r.rc == 1);
    std::set<CodeAndInput> want{{"INPUT_TOO_LARGE", "record"}};
    CHECK(StderrReasons(r.err) == want);
    CHECK(LastRefusal(st, before) == want);
  }
}

// The index and envelope digest of the first LIFECYCLE_RECORDED event.
std::pair<std::uint64_t, std::string> FirstRecord(const SignStation& st) {
  auto evs = st.Events();
  for (std::size_t i = 0; i < evs.size(); ++i)
    if (evs[i].kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED)
      return {i, evs[i].lifecycle_recorded().envelope_sha256()};
  FAIL("no LIFECYCLE_RECORDED event");
  return {};
}

TEST_CASE("record: audit replay re-judges every record and record refusal") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  // At least one record and one record refusal, whatever ran before.
  Fields f = Base("withdrawal", "withdrawn");
  f["summary"] = "withdrawn for the replay";
  CmdResult ok = Record(
      st, WriteRecord(st, "replay-ok.dsse.json", StatementJson(f), s.keys.release_owner.get()));
  REQUIRE_MESSAGE(ok.rc == 0, ok.all());
  CmdResult no =
      Record(st, WriteRecord(st, "replay-no.dsse.json", StatementJson(f), s.keys.stranger.get()));
  REQUIRE_MESSAGE(no.rc == 1, no.all());
  std::size_t records = 0, refusals = 0;
  for (const v1::Event& e : st.Events()) {
    if (e.kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED) ++records;
    if (e.kind() == v1::EVENT_KIND_REFUSAL && e.refusal().inputs_size() == 1 &&
        e.refusal().inputs(0).role() == "record" && !e.refusal().inputs(0).sha256().empty())
      ++refusals;
  }

  SUBCASE("the station's log passes") {
    Replayed p = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence");
    INFO(p.r.all());
    CHECK(p.r.rc == 0);
    CHECK(p.j["ok"] == true);
    CHECK(p.j["checks"]["record"]["passed"].get<std::size_t>() == records + refusals);
    CHECK(p.j["checks"]["record"]["failed"] == 0);
  }
  SUBCASE("an altered stored record envelope fails, naming the event and the digest") {
    auto [index, digest] = FirstRecord(st);
    std::string ev = st.root + "/evidence-altered";
    std::filesystem::remove_all(ev);
    CopyDir(st.station + "/evidence", ev);
    std::string obj = ev + "/" + digest;
    REQUIRE(::chmod(obj.c_str(), 0644) == 0);
    std::string text = ReadAll(obj);
    text[text.size() / 2] ^= 1;
    WriteAll(obj, text, 0644);
    Replayed p = Replay(st, st.station + "/log", st.root + "/log.vkey", ev);
    INFO(p.r.all());
    CHECK(p.r.rc == 1);
    CHECK(Failures(p.j).count({index, "evidence", digest}) == 1);
  }
  SUBCASE("a forged LIFECYCLE_RECORDED (its outcome changed) fails at that event") {
    auto [index, digest] = FirstRecord(st);
    std::string dir = Relog(st, "log-forged", [&](std::uint64_t i, v1::Event& e) {
      if (i == index) e.mutable_lifecycle_recorded()->set_outcome("partial");
    });
    Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
    INFO(p.r.all());
    CHECK(p.r.rc == 1);
    CHECK(Failures(p.j) ==
          std::set<std::tuple<std::uint64_t, std::string, std::string>>{{index, "record", digest}});
    CHECK(p.j["failures"][0]["message"].get<std::string>().find("outcome") != std::string::npos);
  }
}

TEST_CASE("record: policy init --record-signer fills recordSigners; policy show lists them") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  std::string pub = st.root + "/update-service.pub.pem";
  WriteAll(pub, s.keys.update_service->Public().pem(), 0644);
  std::string out = st.root + "/init-policy.json";
  CmdResult init = st.Sr("policy init --out " + out + " --force --product IC-22 --record-signer " +
                         "deployment-result,rollback=" + pub);
  REQUIRE_MESSAGE(init.rc == 0, init.all());
  Json p = Json::parse(ReadAll(out));
  const Json& rs = p["products"][0]["recordSigners"];
  REQUIRE(rs.size() == 1);
  CHECK(rs[0]["recordTypes"] == Json::array({"deployment-result", "rollback"}));
  CHECK(rs[0]["key"]["publicKeyPem"] == s.keys.update_service->Public().pem());

  CmdResult bad = st.Sr("policy init --out " + out + " --force --record-signer deployment=" + pub);
  CHECK(bad.rc == 3);
  CHECK(bad.all().find("\"deployment\", not a record type") != std::string::npos);

  CmdResult show = st.Sr("policy show --station " + st.station);
  INFO(show.all());
  REQUIRE(show.rc == 0);
  CHECK(show.out.find("record signer (deployment-result,rollback,recovery) for IC-22: update "
                      "service " +
                      s.keys.update_service->Public().fingerprint()) != std::string::npos);
}

}  // namespace
}  // namespace sr::testing

namespace sr::testing {
namespace {

TEST_CASE(
    "record: a new policy without the record signer refuses its records, and audit replay judges "
    "each record with the policy in force at its index") {
  RecordStation& s = Shared();
  SignStation& st = s.st;
  Fields f = Base("rollback", "performed");
  f["configuration"] = "reference";
  f["summary"] = "rollback under policy 3";
  CmdResult before_rotation = Record(
      st, WriteRecord(st, "rot-before.dsse.json", StatementJson(f), s.keys.update_service.get()));
  REQUIRE_MESSAGE(before_rotation.rc == 0, before_rotation.all());

  World w = st.Scenario();  // policy version 4: no record signers
  w.policy.set_version(4);
  CmdResult inst = st.InstallPolicy(w, "policy-4.env");
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  f["summary"] = "rollback under policy 4";
  std::size_t before = st.Events().size();
  CmdResult after = Record(
      st, WriteRecord(st, "rot-after.dsse.json", StatementJson(f), s.keys.update_service.get()));
  INFO(after.all());
  CHECK(after.rc == 1);
  std::set<CodeAndInput> want{{"RECORD_UNTRUSTED_SIGNER", "record"}};
  CHECK(LastRefusal(st, before) == want);

  Replayed p = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 0);
  CHECK(p.j["checks"]["record"]["failed"] == 0);
}

}  // namespace
}  // namespace sr::testing
