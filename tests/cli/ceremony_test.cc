// `strongroom ceremony` end to end through the binary on fresh SoftHSMv2
// stations: each shipped definition (ceremonies/definitions/) run in scripted
// mode, approved by the governance threshold; refusals of an unapproved or
// altered definition and of a participant with the wrong key; an interrupted
// run visible in the log, resumed, and aborted; an interactive run on a
// pseudo-terminal.
#include <doctest/doctest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/hash.h"
#include "station/pin_source.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/log_events.h"
#include "tests/testing/run.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;

const std::string kPeople =
    std::string(STRONGROOM_SOURCE_DIR) + "/tests/testdata/ceremonies/people";
const std::string kDefinitions = std::string(STRONGROOM_SOURCE_DIR) + "/ceremonies/definitions";

std::string KeyOf(const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return kPeople + "/" + lower + ".key";
}

// The share file station init --custody (or custody resplit) wrote for a
// custodian into root/dir.
std::string ShareOf(const SignStation& st, const std::string& who,
                    const std::string& dir = "shares") {
  return st.root + "/" + dir + "/" + who + "-release-user.share";
}

// key generate takes its release PIN from a file: recovered in process from
// two of the custodians' shares (SignStation deletes the file afterwards).
void RecoverReleasePin(const SignStation& st) {
  auto src = ParsePinSource("shares:" + ShareOf(st, "Grace") + "," + ShareOf(st, "Heidi"),
                            "release PIN", PinTarget{st.station});
  REQUIRE(src.ok());
  auto pin = (*src)->ReadPin();
  REQUIRE_MESSAGE(pin.ok(), pin.status().ToString());
  REQUIRE(WriteFileAtomic(st.pins + "/release", std::string(pin->begin(), pin->end()), 0600).ok());
}

// A station (SignStation: station, release key "rel", log vkey) and three
// governance members with key files, 2 of 3 approving ceremonies and
// policies.
struct Rig {
  SignStation st;
  std::vector<std::unique_ptr<KeyFileSigner>> gov;
  std::vector<std::string> gov_files;
  World w;

  // custody, recover_pin: as SignStation's (a station whose release PINs
  // custodians hold).
  explicit Rig(const std::string& custody = "",
               const std::function<void(const SignStation&)>& recover_pin = {})
      : st("ecdsa-p256", "rel", custody, recover_pin) {
    for (int i = 0; i < 3; ++i) {
      SecretBytes pem = NewKeyPem("ec256");
      gov_files.push_back(st.root + "/gov" + std::to_string(i) + ".key");
      REQUIRE(WriteFileAtomic(gov_files.back(), std::string(pem.begin(), pem.end()), 0600).ok());
      auto s = KeyFileSigner::FromPem(pem);
      REQUIRE(s.ok());
      gov.push_back(std::move(s).value());
    }
    w = st.Scenario();
    UseGovernance(w);
  }
  void UseGovernance(World& world) {
    auto* g = world.policy.mutable_governance();
    g->clear_keys();
    for (int i = 0; i < 3; ++i)
      *g->add_keys() = Trusted("governance " + std::to_string(i), *gov[i]);
    g->set_threshold(2);
    world.policy_signers = {gov[0].get(), gov[1].get()};
  }
  std::string WritePolicy(const World& world, const std::string& name) {
    std::string path = st.root + "/" + name;
    REQUIRE(WriteFileAtomic(path, world.Build().policy).ok());
    return path;
  }
  // Approves def (a path) with the first `members` governance keys.
  std::string Approve(const std::string& def, int members = 2) {
    std::string out = st.root + "/" + BaseName(def) + ".approval.json";
    for (int i = 0; i < members; ++i) {
      CmdResult r = st.Sr("ceremony approve " + def + " --key " + gov_files[i] + " --out " + out);
      REQUIRE_MESSAGE(r.rc == 0, r.all());
    }
    return out;
  }
  // An answers file: these participants with their own keys, these steps
  // confirmed by these names.
  std::string Answers(const std::vector<std::string>& people,
                      const std::map<std::string, std::vector<std::string>>& steps,
                      const std::map<std::string, std::string>& key_override = {},
                      const std::map<std::string, std::string>& aborts = {}) {
    Json j = {{"participants", Json::object()}, {"steps", Json::object()}};
    for (const auto& p : people) {
      auto o = key_override.find(p);
      j["participants"][p] = {{"key", o == key_override.end() ? KeyOf(p) : o->second}};
    }
    for (const auto& [s, names] : steps) j["steps"][s]["confirm"] = names;
    for (const auto& [s, reason] : aborts) j["steps"][s]["abort"] = reason;
    std::string path = st.root + "/answers-" + std::to_string(++answers_) + ".json";
    REQUIRE(WriteFileAtomic(path, j.dump(1)).ok());
    return path;
  }
  // `ceremony run` (--json: the result on stdout, the transcript on stderr).
  CmdResult Run(const std::string& def, const std::string& approval, const std::string& answers,
                const std::string& extra = "", const std::string& station = "") {
    return st.Sr("--json ceremony run " + def + " --approval " + approval + " --station " +
                 (station.empty() ? st.station : station) + " --answers " + answers +
                 " --log-pin-source file:" + st.pins + "/log --workdir " + st.root + extra);
  }
  std::string Pin(const std::string& name) const {
    return " --param " + name + "_pin_source=file:" + st.pins + "/" + name;
  }
  int answers_ = 0;
};

Json Parse(const CmdResult& r) {
  Json j = Json::parse(r.out, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.all());
  return j;
}

std::vector<v1::Event> EventsOf(const std::vector<v1::Event>& all, const std::string& id) {
  std::vector<v1::Event> out;
  for (const auto& e : all)
    if (e.session_id() == id) out.push_back(e);
  return out;
}

std::size_t Count(const std::vector<v1::Event>& es, v1::EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : es) n += e.kind() == kind;
  return n;
}

// A completed run's events: STARTED (participants, digests), one STEP per
// step in order with its confirmations, COMPLETED "completed".
void CheckCompleted(const std::vector<v1::Event>& es, const std::string& def_path, int steps,
                    std::size_t participants) {
  REQUIRE(es.size() == static_cast<std::size_t>(steps) + 2);
  REQUIRE(es.front().kind() == v1::EVENT_KIND_CEREMONY_STARTED);
  CHECK(es.front().ceremony_started().definition_sha256() == Sha256Hex(ReadFile(def_path).value()));
  CHECK(es.front().ceremony_started().approver_fingerprints_size() == 2);
  CHECK(es.front().participants_size() == static_cast<int>(participants));
  for (const auto& p : es.front().participants()) CHECK(p.key_fingerprint().size() == 64);
  for (int i = 1; i <= steps; ++i) {
    REQUIRE(es[static_cast<std::size_t>(i)].kind() == v1::EVENT_KIND_CEREMONY_STEP);
    const auto& s = es[static_cast<std::size_t>(i)].ceremony_step();
    CHECK(s.step() == static_cast<unsigned>(i));
    CHECK(s.confirmations_size() > 0);
  }
  CHECK(es.back().kind() == v1::EVENT_KIND_CEREMONY_COMPLETED);
  CHECK(es.back().ceremony_completed().outcome() == "completed");
  CHECK(es.back().ceremony_completed().steps_completed() == static_cast<unsigned>(steps));
}

const std::map<std::string, std::vector<std::string>> kKeyGenSteps = {
    {"generate-key", {"Dana", "Frank", "Grace", "Heidi"}},
    {"export-public-key", {"Frank"}},
    {"list-keys", {"Frank"}}};
const std::vector<std::string> kKeyGenPeople = {"Dana", "Frank", "Grace", "Heidi"};

TEST_CASE(
    "ceremony: station-initialization creates a new station end to end, approved under "
    "--governance") {
  Rig rig;
  std::string def = kDefinitions + "/station-initialization.textproto";
  std::string approval = rig.Approve(def);
  std::string governance = rig.WritePolicy(rig.w, "governance.env");
  std::string station = rig.st.root + "/new-station";
  std::string answers =
      rig.Answers(kKeyGenPeople, {{"check-air-gap", {"Dana", "Frank"}},
                                  {"create-station", {"Dana"}},
                                  {"record-log-vkey", {"Frank"}},
                                  {"generate-release-key", {"Dana", "Frank", "Grace", "Heidi"}},
                                  {"export-release-key", {"Frank"}}});
  std::string pins = " --param release_so_pin_source=file:" + rig.st.pins + "/release-so" +
                     " --param release_pin_source=file:" + rig.st.pins + "/release" +
                     " --param log_so_pin_source=file:" + rig.st.pins + "/log-so";
  SUBCASE("without --governance, a station with no policy cannot check the approval") {
    CmdResult r = rig.Run(def, approval, answers, pins, station);
    CHECK(r.rc == 10);
    CHECK(r.err.find("--governance") != std::string::npos);
    CHECK_FALSE(PathExists(station));
  }
  SUBCASE("completed") {
    CmdResult r = rig.Run(def, approval, answers, pins + " --governance " + governance, station);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    Json j = Parse(r);
    CHECK(j["outcome"] == "completed");
    std::vector<v1::Event> all = sr::testing::ReadLogEvents(station + "/log");
    auto es = EventsOf(all, j["ceremony_id"]);
    CheckCompleted(es, def, 5, 4);
    CHECK(es.front().ceremony_started().governance_policy_sha256() ==
          Sha256Hex(ReadFile(governance).value()));
    CHECK(Count(all, v1::EVENT_KIND_KEY_GENERATED) == 3);  // log, attest, ic22-release
    CHECK(PathExists(rig.st.root + "/ic22-release.pub"));
    // The step's output digest is the exported key's.
    CHECK(es[5].ceremony_step().outputs(1).sha256() ==
          Sha256Hex(ReadFile(rig.st.root + "/ic22-release.pub").value()));
    CmdResult vk = rig.st.Sr("log vkey --station " + station);
    CmdResult v = rig.st.Sr("log verify --station " + station + " --vkey " +
                            vk.out.substr(0, vk.out.find('\n')));
    CHECK_MESSAGE(v.rc == 0, v.all());
  }
}

TEST_CASE("ceremony: key-generation, policy-update and audit run end to end on a station") {
  Rig rig;
  SUBCASE("policy-update installs the first policy (--governance), then a later version") {
    std::string def = kDefinitions + "/policy-update.textproto";
    std::string approval = rig.Approve(def);
    std::string v3 = rig.WritePolicy(rig.w, "policy-v3.env");
    auto steps =
        std::map<std::string, std::vector<std::string>>{{"review-policy", {"Frank"}},
                                                        {"install-policy", {"Dana", "Frank"}},
                                                        {"show-installed", {"Frank"}}};
    std::string answers = rig.Answers({"Dana", "Frank"}, steps);
    CmdResult r = rig.Run(def, approval, answers, " --param policy=" + v3 + " --governance " + v3);
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    CheckCompleted(EventsOf(rig.st.Events(), Parse(r)["ceremony_id"]), def, 3, 2);
    World next = rig.w;
    next.policy.set_version(4);
    std::string v4 = rig.WritePolicy(next, "policy-v4.env");
    SUBCASE("--governance is refused once the station has a policy") {
      CmdResult again =
          rig.Run(def, approval, answers, " --param policy=" + v4 + " --governance " + v3);
      CHECK(again.rc == 3);
    }
    CmdResult r2 = rig.Run(def, approval, answers, " --param policy=" + v4);
    REQUIRE_MESSAGE(r2.rc == 0, r2.all());
    auto es = rig.st.Events();
    CHECK(Count(es, v1::EVENT_KIND_POLICY_INSTALLED) == 2);
    CHECK(rig.st.Sr("policy show --station " + rig.st.station).out.find("policy version 4") !=
          std::string::npos);
  }
  SUBCASE("key-generation and audit") {
    REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
    std::string def = kDefinitions + "/key-generation.textproto";
    CmdResult r = rig.Run(def, rig.Approve(def), rig.Answers(kKeyGenPeople, kKeyGenSteps),
                          " --param label=second-key" + rig.Pin("release"));
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    CheckCompleted(EventsOf(rig.st.Events(), Parse(r)["ceremony_id"]), def, 3, 4);
    CHECK(PathExists(rig.st.station + "/keys/second-key.pem"));
    std::string audit = kDefinitions + "/audit.textproto";
    CmdResult a = rig.Run(
        audit, rig.Approve(audit),
        rig.Answers({"Dana", "Judy"}, {{"verify-log", {"Judy"}}, {"read-events", {"Judy"}}}),
        " --param vkey=" + rig.st.root + "/log.vkey");
    REQUIRE_MESSAGE(a.rc == 0, a.all());
    CheckCompleted(EventsOf(rig.st.Events(), Parse(a)["ceremony_id"]), audit, 2, 2);
  }
}

// The current UTC time, RFC 3339, as witnesses read it from a reference.
std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST_CASE(
    "ceremony: signing-session checks the clock with witnesses, signs an approved release and "
    "verifies it") {
  Rig rig;
  std::string fw = "ic22-fw-5.4.3.bin";
  rig.w.ForRelease({{fw, Sha256Hex(SignStation::ContentOf(fw))}}, "5.4.3", "5.4.2");
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  Inputs in = rig.st.Write(rig.w);
  std::string def = kDefinitions + "/signing-session.textproto";
  std::string answers = rig.Answers({"Dana", "Frank", "Erin", "Grace", "Heidi"},
                                    {{"check-clock", {"Dana", "Frank"}},
                                     {"read-approval", {"Erin", "Frank"}},
                                     {"sign-release", {"Dana", "Grace", "Heidi"}},
                                     {"verify-release", {"Erin", "Frank"}}});
  std::string params = " --param version=5.4.3 --param artifact=" + in.artifacts[0] +
                       " --param approval=" + in.approval + " --param provenance=" + in.provenance +
                       " --param evidence=" + in.evidence[0] +
                       " --param key=rel --param out=" + rig.st.root +
                       "/release --param vkey=" + rig.st.root + "/log.vkey" + rig.Pin("release");
  std::string approval = rig.Approve(def);
  SUBCASE("completed: the clock check is logged before the signing") {
    std::string now = UtcNow();
    CmdResult r = rig.Run(
        def, approval, answers,
        params + " --param reference_time=" + now + " --param 'clock_reference=radio clock'");
    REQUIRE_MESSAGE(r.rc == 0, r.all());
    auto all = rig.st.Events();
    auto es = EventsOf(all, Parse(r)["ceremony_id"]);
    CheckCompleted(es, def, 4, 5);
    CHECK(es[1].ceremony_step().step_name() == "check-clock");
    CHECK(Count(all, v1::EVENT_KIND_SIGNING) == 1);
    CHECK(PathExists(rig.st.root + "/release/" + fw + ".sig"));
    // The CLOCK_CHECKED event: the witnesses' reading, by name, before the
    // signing's events.
    std::size_t clock = all.size(), signing = all.size();
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].kind() == v1::EVENT_KIND_CLOCK_CHECKED && clock == all.size()) clock = i;
      if (all[i].kind() == v1::EVENT_KIND_SIGNING) signing = i;
    }
    REQUIRE(clock < signing);
    CHECK(all[clock].clock_checked().reference_time() == now);
    CHECK(all[clock].clock_checked().reference() == "radio clock");
    REQUIRE(all[clock].operators_size() == 2);
    CHECK(all[clock].operators(0) == "Dana");
    CHECK(all[clock].operators(1) == "Frank");
  }
  SUBCASE("a reference time the clock disagrees with stops the run before the signing") {
    CmdResult r =
        rig.Run(def, approval, answers, params + " --param reference_time=2020-01-01T00:00:00Z");
    CHECK_MESSAGE(r.rc == 10, r.all());
    CHECK_MESSAGE(r.all().find("CLOCK_DISAGREES_WITH_REFERENCE") != std::string::npos, r.all());
    auto all = rig.st.Events();
    CHECK(Count(all, v1::EVENT_KIND_SIGNING) == 0);
    CHECK(Count(all, v1::EVENT_KIND_CEREMONY_EXCEPTION) == 1);
    CHECK(Count(all, v1::EVENT_KIND_CEREMONY_COMPLETED) == 0);
  }
}

// Key rotation, revocation and custodian change drive the lifecycle and
// custody verbs (key generate/retire/revoke, policy install, custody resplit).
// The rotation as it happens on the day: the new key is generated in the
// ceremony, so governance can sign the policy update that authorizes it only
// once its fingerprint is known. The run stops at the install step (the
// update is not there yet: an exception, resumable), governance signs it, and
// the run resumes: the policy installs, the old key is retired, and the new
// key signs the next release while the old one is refused.
TEST_CASE("ceremony: key-rotation runs end to end, governance signing the update mid-ceremony") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  const std::string v4 = rig.st.root + "/policy-v4.env";
  std::string def = kDefinitions + "/key-rotation.textproto";
  const std::map<std::string, std::vector<std::string>> steps = {
      {"generate-new-key", {"Dana", "Frank", "Grace", "Heidi"}},
      {"export-new-key", {"Frank"}},
      {"install-policy", {"Dana", "Frank"}},
      {"retire-old-key", {"Dana", "Frank"}}};
  CmdResult r = rig.Run(def, rig.Approve(def), rig.Answers(kKeyGenPeople, steps),
                        " --param new_label=rel-2 --param old_label=rel --param policy=" + v4 +
                            rig.Pin("release"));
  CHECK_MESSAGE(r.rc == 10, r.all());  // stopped at install-policy: no update yet
  const std::string id = Parse(r)["ceremony_id"];
  CHECK(Count(EventsOf(rig.st.Events(), id), v1::EVENT_KIND_CEREMONY_EXCEPTION) == 1);

  // Governance signs version 4, authorizing the key the ceremony generated.
  auto pem = ReadFile(rig.st.root + "/rel-2.pub");
  REQUIRE_MESSAGE(pem.ok(), pem.status().ToString());
  auto pk = policy::PublicKey::FromPem(*pem);
  REQUIRE(pk.ok());
  World next = rig.w;
  next.policy.set_version(4);
  auto* auth = next.policy.add_key_authorizations();
  *auth = next.policy.key_authorizations(0);
  auth->set_id("auth-ic22-rel-2");
  auth->set_key_fingerprint(pk->fingerprint());
  REQUIRE(WriteFileAtomic(v4, next.Build().policy).ok());

  CmdResult res = rig.st.Sr("--json ceremony run --resume " + id + " --station " +
                            rig.st.station + " --answers " + rig.Answers(kKeyGenPeople, steps) +
                            " --log-pin-source file:" + rig.st.pins + "/log");
  REQUIRE_MESSAGE(res.rc == 0, res.all());
  auto all = rig.st.Events();
  auto es = EventsOf(all, id);
  CHECK(es.back().ceremony_completed().outcome() == "completed");
  CHECK(Count(all, v1::EVENT_KIND_KEY_RETIRED) == 1);
  bool v4_installed = false;
  for (const auto& e : all)
    if (e.kind() == v1::EVENT_KIND_POLICY_INSTALLED && e.policy_installed().policy_version() == 4)
      v4_installed = true;
  CHECK(v4_installed);

  // The old key is refused; the new one signs.
  Inputs in = rig.st.Write(next);
  CmdResult old = rig.st.Sign(in, "out-old");
  CHECK(old.rc == 1);
  CHECK_MESSAGE(old.all().find("KEY_RETIRED") != std::string::npos, old.all());
  std::string args = rig.st.SignArgs(in, "out-new");
  const std::string key = " --key rel ";
  REQUIRE(args.find(key) != std::string::npos);
  args.replace(args.find(key), key.size(), " --key rel-2 ");
  CmdResult fresh = rig.st.Sr("sign " + args);
  CHECK_MESSAGE(fresh.rc == 0, fresh.all());
}

TEST_CASE("ceremony: key-revocation runs end to end") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  World next = rig.w;
  next.policy.set_version(4);
  auto* rev = next.policy.add_revoked_keys();
  rev->set_key_fingerprint(rig.st.key_fingerprint);
  rev->set_reason("compromised");
  std::string v4 = rig.WritePolicy(next, "policy-v4.env");
  std::string def = kDefinitions + "/key-revocation.textproto";
  CmdResult r = rig.Run(def, rig.Approve(def),
                        rig.Answers({"Dana", "Frank"}, {{"revoke-key", {"Dana", "Frank"}},
                                                        {"install-policy", {"Dana", "Frank"}},
                                                        {"show-policy", {"Frank"}}}),
                        " --param label=rel --param reason=compromised --param policy=" + v4);
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CheckCompleted(EventsOf(rig.st.Events(), Parse(r)["ceremony_id"]), def, 3, 2);
  CHECK(Count(rig.st.Events(), v1::EVENT_KIND_KEY_REVOKED) == 1);
}

TEST_CASE("ceremony: custodian-change runs end to end") {
  // A station whose release PINs Grace, Heidi and Ivan hold, 2 of 3 (the
  // definition's custodians); the ceremony resplits the user PIN from two of
  // their shares, and afterwards only the new shares open the token.
  Rig rig(
      " --custody 2-of-3 --custodian Grace --custodian Heidi --custodian Ivan"
      " --shares-out shares",
      RecoverReleasePin);
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = kDefinitions + "/custodian-change.textproto";
  CmdResult r =
      rig.Run(def, rig.Approve(def),
              rig.Answers(kKeyGenPeople, {{"resplit", {"Dana", "Frank", "Grace", "Heidi"}},
                                          {"hand-out-shares", {"Frank", "Grace", "Heidi"}}}),
              " --param old_shares=" + ShareOf(rig.st, "Grace") + "," + ShareOf(rig.st, "Heidi") +
                  " --param shares_out=" + rig.st.root + "/new-shares");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  auto all = rig.st.Events();
  auto es = EventsOf(all, Parse(r)["ceremony_id"]);
  CheckCompleted(es, def, 2, 4);
  // The resplit's CUSTODY_SHARES_ISSUED names the shares used and the new ones.
  std::size_t issued = 0;
  for (const auto& e : all)
    if (e.kind() == v1::EVENT_KIND_CUSTODY_SHARES_ISSUED) ++issued;
  CHECK(issued == 4);  // station init: release user, release SO, log SO; the resplit
  REQUIRE(all.back().kind() == v1::EVENT_KIND_CEREMONY_COMPLETED);
  // The new shares open the token (key csr logs in with them); the old are refused.
  auto csr = [&](const std::string& dir, const std::string& out) {
    return rig.st.Sr("key csr --station " + rig.st.station + " --label rel --subject CN=IC-22" +
                     " --out " + out + " --pin-source shares:" + ShareOf(rig.st, "Heidi", dir) +
                     "," + ShareOf(rig.st, "Ivan", dir));
  };
  CmdResult fresh = csr("new-shares", rig.st.root + "/new.csr");
  CHECK_MESSAGE(fresh.rc == 0, fresh.all());
  CmdResult old = csr("shares", rig.st.root + "/old.csr");
  CHECK(old.rc != 0);
  CHECK_MESSAGE(old.err.find("older split") != std::string::npos, old.all());
}

// A refusal: exit 1, the reason, one REFUSAL event with the code and the
// definition's digest, and no ceremony event at all.
void CheckRefused(Rig& rig, const CmdResult& r, const std::string& code, const std::string& words) {
  CHECK_MESSAGE(r.rc == 1, r.all());
  CHECK_MESSAGE(r.all().find(words) != std::string::npos, r.all());
  auto es = rig.st.Events();
  REQUIRE(es.back().kind() == v1::EVENT_KIND_REFUSAL);
  CHECK(es.back().refusal().reasons(0).code() == code);
  CHECK(es.back().refusal().inputs(0).role() == "ceremony-definition");
  CHECK(Count(es, v1::EVENT_KIND_CEREMONY_STARTED) == 0);
  CHECK(Count(es, v1::EVENT_KIND_KEY_GENERATED) == 3);  // the station's: log, attest, rel
}

TEST_CASE(
    "ceremony: unapproved, altered-after-approval and wrong-key runs are refused and logged") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = rig.st.root + "/key-generation.textproto";
  REQUIRE(WriteFileAtomic(def, ReadFile(kDefinitions + "/key-generation.textproto").value()).ok());
  std::string extra = " --param label=k2" + rig.Pin("release");
  SUBCASE("one governance signature of the two required") {
    CmdResult r =
        rig.Run(def, rig.Approve(def, 1), rig.Answers(kKeyGenPeople, kKeyGenSteps), extra);
    CheckRefused(rig, r, "CEREMONY_NOT_APPROVED",
                 "is not approved: 1 valid governance signature(s) of the 2");
  }
  SUBCASE("altered after approval") {
    std::string approval = rig.Approve(def);
    std::string text = ReadFile(def).value();
    text.replace(text.find("\"ecdsa-p256\""), 12, "\"ed25519\"");
    REQUIRE(WriteFileAtomic(def, text).ok());
    CmdResult r = rig.Run(def, approval, rig.Answers(kKeyGenPeople, kKeyGenSteps), extra);
    CheckRefused(rig, r, "CEREMONY_DEFINITION_ALTERED", "was altered after approval");
  }
  SUBCASE("a participant who signs the challenge with another key") {
    CmdResult r =
        rig.Run(def, rig.Approve(def),
                rig.Answers(kKeyGenPeople, kKeyGenSteps, {{"Frank", KeyOf("mallory")}}), extra);
    CheckRefused(rig, r, "CEREMONY_PARTICIPANT_REFUSED",
                 "Frank (internal-witness) could not sign the challenge");
  }
  SUBCASE("a participant whose key file is missing") {
    CmdResult r = rig.Run(
        def, rig.Approve(def),
        rig.Answers(kKeyGenPeople, kKeyGenSteps, {{"Grace", rig.st.root + "/none.key"}}), extra);
    CheckRefused(rig, r, "CEREMONY_PARTICIPANT_REFUSED",
                 "Grace (custodian) could not sign the challenge");
  }
  SUBCASE("too few custodians") {
    CmdResult r = rig.Run(def, rig.Approve(def),
                          rig.Answers({"Dana", "Frank", "Grace"}, kKeyGenSteps), extra);
    CheckRefused(rig, r, "CEREMONY_QUORUM_NOT_MET", "custodians: 1 present of the 2 required");
  }
  SUBCASE("a PIN as a pin-source parameter") {
    CmdResult r = rig.Run(def, rig.Approve(def), rig.Answers(kKeyGenPeople, kKeyGenSteps),
                          " --param label=k2 --param release_pin_source=pass:1234");
    CHECK(r.rc == 9);
    CHECK(Count(rig.st.Events(), v1::EVENT_KIND_CEREMONY_STARTED) == 0);
  }
}

TEST_CASE(
    "ceremony: a run stopped at a deviation is visible, resumes at its first unlogged step, or is "
    "aborted") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = kDefinitions + "/key-generation.textproto";
  std::string approval = rig.Approve(def);
  std::string extra = " --param label=k2" + rig.Pin("release");
  // Frank does not confirm the third step.
  auto steps = kKeyGenSteps;
  steps["list-keys"] = {};
  CmdResult r = rig.Run(def, approval, rig.Answers(kKeyGenPeople, steps), extra);
  CHECK_MESSAGE(r.rc == 10, r.all());
  std::string id = Parse(r)["ceremony_id"];
  CHECK(Parse(r)["outcome"] == "interrupted");
  auto es = EventsOf(rig.st.Events(), id);
  REQUIRE(es.size() == 4);  // STARTED, 2 STEPs, EXCEPTION; no COMPLETED
  CHECK(es[3].kind() == v1::EVENT_KIND_CEREMONY_EXCEPTION);
  CHECK(es[3].ceremony_exception().step() == 3);
  CHECK(es[3].ceremony_exception().reason().find("Frank (internal-witness) did not confirm") !=
        std::string::npos);
  CHECK(Count(es, v1::EVENT_KIND_CEREMONY_COMPLETED) == 0);

  SUBCASE("resumed: participants authenticate again, step 3 runs, steps 1-2 do not") {
    CmdResult res =
        rig.st.Sr("--json ceremony run --resume " + id + " --station " + rig.st.station +
                  " --answers " + rig.Answers(kKeyGenPeople, kKeyGenSteps) +
                  " --log-pin-source file:" + rig.st.pins + "/log");
    REQUIRE_MESSAGE(res.rc == 0, res.all());
    auto after = EventsOf(rig.st.Events(), id);
    REQUIRE(after.size() == 7);
    CHECK(after[4].kind() == v1::EVENT_KIND_CEREMONY_STARTED);
    CHECK(after[4].ceremony_started().resumed());
    CHECK(after[4].ceremony_started().nonce() != es[0].ceremony_started().nonce());
    CHECK(after[5].ceremony_step().step() == 3);
    CHECK(after[6].ceremony_completed().outcome() == "completed");
    CHECK(Count(rig.st.Events(), v1::EVENT_KIND_KEY_GENERATED) == 4);  // log, attest, rel; k2 once
  }
  SUBCASE("resumed by someone with the wrong key: refused, still resumable") {
    CmdResult res =
        rig.st.Sr("ceremony run --resume " + id + " --station " + rig.st.station + " --answers " +
                  rig.Answers(kKeyGenPeople, kKeyGenSteps, {{"Dana", KeyOf("mallory")}}) +
                  " --log-pin-source file:" + rig.st.pins + "/log");
    CHECK(res.rc == 1);
    CHECK(Count(EventsOf(rig.st.Events(), id), v1::EVENT_KIND_CEREMONY_COMPLETED) == 0);
  }
  SUBCASE("aborted: logged, and no longer resumable") {
    CmdResult a =
        rig.st.Sr("ceremony abort " + id + " --station " + rig.st.station +
                  " --reason 'witness left' --log-pin-source file:" + rig.st.pins + "/log");
    REQUIRE_MESSAGE(a.rc == 0, a.all());
    auto after = EventsOf(rig.st.Events(), id);
    REQUIRE(after.back().kind() == v1::EVENT_KIND_CEREMONY_COMPLETED);
    CHECK(after.back().ceremony_completed().outcome() == "aborted");
    CHECK(after.back().ceremony_completed().reason() == "witness left");
    CHECK(after.back().ceremony_completed().steps_completed() == 2);
    CmdResult res = rig.st.Sr("ceremony run --resume " + id + " --station " + rig.st.station +
                              " --answers " + rig.Answers(kKeyGenPeople, kKeyGenSteps) +
                              " --log-pin-source file:" + rig.st.pins + "/log");
    CHECK(res.rc == 10);
    CHECK(rig.st
              .Sr("ceremony abort " + id + " --station " + rig.st.station +
                  " --reason again --log-pin-source file:" + rig.st.pins + "/log")
              .rc == 10);
  }
}

TEST_CASE("ceremony: a failed action is an exception; the answers may abort the ceremony there") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = kDefinitions + "/key-generation.textproto";
  // The label is taken: key generate fails (exit 11), not the expected 0.
  CmdResult r =
      rig.Run(def, rig.Approve(def),
              rig.Answers(kKeyGenPeople, kKeyGenSteps, {}, {{"generate-key", "label taken"}}),
              " --param label=rel" + rig.Pin("release"));
  CHECK_MESSAGE(r.rc == 1, r.all());
  auto es = EventsOf(rig.st.Events(), Parse(r)["ceremony_id"]);
  REQUIRE(es.size() == 3);
  CHECK(es[1].ceremony_exception().reason().find("exited with 11, expected 0") !=
        std::string::npos);
  CHECK(es[2].ceremony_completed().outcome() == "aborted");
  CHECK(es[2].ceremony_completed().reason() == "label taken");
  CHECK(es[2].ceremony_completed().steps_completed() == 0);
}

TEST_CASE("ceremony: an interactive run on a terminal: keys typed, steps confirmed by name") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = kDefinitions + "/audit.textproto";
  std::string approval = rig.Approve(def);
  // Dana, Judy: key files; Judy confirms both steps by typing her name.
  std::string cmd = std::string("python3 ") + PTY_ANSWER + " " + KeyOf("Dana") + " " +
                    KeyOf("Judy") + " Judy Judy -- " + STRONGROOM_BINARY + " ceremony run " + def +
                    " --approval " + approval + " --station " + rig.st.station +
                    " --log-pin-source file:" + rig.st.pins + "/log --workdir " + rig.st.root +
                    " --param vkey=" + rig.st.root + "/log.vkey";
  CmdResult r = Run(cmd);
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  CHECK(r.out.find("Dana (ceremony-administrator), your key file") != std::string::npos);
  CHECK(r.out.find("Judy (auditor), type your name to confirm step 2") != std::string::npos);
  CHECK(r.out.find("completed (2 steps") != std::string::npos);
  auto es = rig.st.Events();
  CHECK(es.back().kind() == v1::EVENT_KIND_CEREMONY_COMPLETED);
  CHECK(es.back().ceremony_completed().outcome() == "completed");
  SUBCASE("a wrong name at the confirmation stops the run") {
    CmdResult bad =
        Run(std::string("python3 ") + PTY_ANSWER + " " + KeyOf("Dana") + " " + KeyOf("Judy") +
            " Judith '' -- " + STRONGROOM_BINARY + " ceremony run " + def + " --approval " +
            approval + " --station " + rig.st.station + " --log-pin-source file:" + rig.st.pins +
            "/log --workdir " + rig.st.root + " --param vkey=" + rig.st.root + "/log.vkey");
    CHECK_MESSAGE(bad.rc == 10, bad.all());
    CHECK(rig.st.Events().back().kind() == v1::EVENT_KIND_CEREMONY_EXCEPTION);
  }
}

TEST_CASE("ceremony: a run killed at a prompt is visible as interrupted in the log and resumes") {
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = kDefinitions + "/audit.textproto";
  std::string approval = rig.Approve(def);
  // Judy confirms step 1; at step 2's confirmation prompt the answers have
  // run out and pty_answer.py kills the runner (SIGKILL, exit 125).
  CmdResult killed =
      Run(std::string("python3 ") + PTY_ANSWER + " " + KeyOf("Dana") + " " + KeyOf("Judy") +
          " Judy -- " + STRONGROOM_BINARY + " ceremony run " + def + " --approval " + approval +
          " --station " + rig.st.station + " --log-pin-source file:" + rig.st.pins +
          "/log --workdir " + rig.st.root + " --param vkey=" + rig.st.root + "/log.vkey");
  REQUIRE_MESSAGE(killed.rc == 125, killed.all());
  auto es = rig.st.Events();
  std::string id;
  for (const auto& e : es)
    if (e.kind() == v1::EVENT_KIND_CEREMONY_STARTED) id = e.session_id();
  REQUIRE_FALSE(id.empty());
  auto run = EventsOf(es, id);
  REQUIRE(run.size() == 2);  // STARTED, step 1; no COMPLETED: interrupted
  CHECK(run[1].ceremony_step().step() == 1);
  CHECK(rig.st.LogVerify().rc == 0);
  CmdResult res = rig.st.Sr(
      "--json ceremony run --resume " + id + " --station " + rig.st.station + " --answers " +
      rig.Answers({"Dana", "Judy"}, {{"verify-log", {"Judy"}}, {"read-events", {"Judy"}}}) +
      " --log-pin-source file:" + rig.st.pins + "/log");
  REQUIRE_MESSAGE(res.rc == 0, res.all());
  run = EventsOf(rig.st.Events(), id);
  REQUIRE(run.size() == 5);
  CHECK(run[2].ceremony_started().resumed());
  CHECK(run[3].ceremony_step().step() == 2);
  CHECK(run[4].ceremony_completed().outcome() == "completed");
}

// The text-format string of a PEM block.
std::string Quoted(const std::string& pem) {
  std::string q = "\"";
  for (char c : pem) q += c == '\n' ? std::string("\\n") : std::string(1, c);
  return q + "\"";
}

TEST_CASE("ceremony: a participant signs the challenge with a key on a PKCS#11 token") {
  // The station's SoftHSMv2 release token stands in for the participant's own
  // token: the participant's key is the release key "rel".
  Rig rig;
  REQUIRE(rig.st.InstallPolicy(rig.w).rc == 0);
  std::string def = rig.st.root + "/token.textproto";
  REQUIRE(WriteFileAtomic(
              def,
              "name: \"token-audit\"\nkind: CEREMONY_KIND_AUDIT\n"
              "roles { name: \"ceremony-administrator\" min_present: 1 }\n"
              "roles { name: \"auditor\" min_present: 1 }\n"
              "participants { name: \"Dana\" role: \"ceremony-administrator\" public_key_pem: " +
                  Quoted(ReadFile(kPeople + "/dana.pub").value()) +
                  " }\n"
                  "participants { name: \"Tess\" role: \"auditor\" public_key_pem: " +
                  Quoted(rig.st.key_pem) +
                  " }\n"
                  "steps { name: \"verify-log\" instruction: \"Verify.\" action: [\"log\", "
                  "\"verify\", \"--station\", \"${station}\", \"--vkey\", \"${workdir}/log.vkey\"] "
                  "confirm_roles: \"auditor\" }\n")
              .ok());
  Json answers = {{"participants",
                   {{"Dana", {{"key", KeyOf("Dana")}}},
                    {"Tess",
                     {{"pkcs11", "pkcs11:token=release;object=" + rig.st.key_label +
                                     "?module-path=/usr/lib/softhsm/libsofthsm2.so"},
                      {"pin_source", "file:" + rig.st.pins + "/release"}}}}},
                  {"steps", {{"verify-log", {{"confirm", {"Tess"}}}}}}};
  std::string path = rig.st.root + "/token-answers.json";
  REQUIRE(WriteFileAtomic(path, answers.dump()).ok());
  CmdResult r = rig.Run(def, rig.Approve(def), path);
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  auto es = EventsOf(rig.st.Events(), Parse(r)["ceremony_id"]);
  REQUIRE(es.size() == 3);
  CHECK(es[0].participants(1).name() == "Tess");
  CHECK(es[0].participants(1).key_fingerprint() == rig.st.key_fingerprint);
  SUBCASE("a wrong token PIN refuses the participant") {
    REQUIRE(WriteFileAtomic(rig.st.root + "/wrong-pin", "not-the-pin\n", 0600).ok());
    answers["participants"]["Tess"]["pin_source"] = "file:" + rig.st.root + "/wrong-pin";
    REQUIRE(WriteFileAtomic(path, answers.dump()).ok());
    CmdResult bad = rig.Run(def, rig.st.root + "/token.textproto.approval.json", path);
    CHECK(bad.rc == 1);
    CHECK(bad.all().find("Tess (auditor) could not sign the challenge") != std::string::npos);
    CHECK(rig.st.Events().back().refusal().reasons(0).code() == "CEREMONY_PARTICIPANT_REFUSED");
  }
}

TEST_CASE("ceremony print: Markdown and printable HTML of a shipped definition") {
  Rig rig;
  std::string def = kDefinitions + "/signing-session.textproto";
  REQUIRE(rig.st.Sr("ceremony print " + def + " --out " + rig.st.root + "/s.md").rc == 0);
  REQUIRE(rig.st.Sr("ceremony print " + def + " --out " + rig.st.root + "/s.html").rc == 0);
  std::string md = ReadFile(rig.st.root + "/s.md").value();
  std::string html = ReadFile(rig.st.root + "/s.html").value();
  // The shared renderer (base/render.cc) escapes only what would be
  // Markdown markup: a step name after the tick box stays plain text.
  CHECK(md.find("### \u2610 3. sign-release") != std::string::npos);
  CHECK(html.find("<h3>\u2610 3. sign-release</h3>") != std::string::npos);
  CHECK(html.find(Sha256Hex(ReadFile(def).value())) != std::string::npos);
  CHECK(rig.st.Sr("ceremony print " + def + " --out " + rig.st.root + "/s.txt").rc == 3);
}

TEST_CASE("ceremony: every verb explains itself and its options in --help") {
  const std::pair<const char*, std::vector<const char*>> verbs[] = {
      {"ceremony approve", {"--key", "--out", "governance"}},
      {"ceremony run",
       {"--approval", "--governance", "--param", "--answers", "--workdir", "--resume",
        "--log-pin-source", "challenge"}},
      {"ceremony abort", {"--reason", "--station"}},
      {"ceremony print", {"--out", "signature"}},
  };
  for (const auto& [verb, words] : verbs) {
    CmdResult r = Run(std::string(STRONGROOM_BINARY) + " " + verb + " --help");
    INFO(verb, "\n", r.out);
    CHECK(r.rc == 0);
    for (const char* w : words) CHECK_MESSAGE(r.out.find(w) != std::string::npos, w);
  }
  CmdResult none =
      Run(std::string(STRONGROOM_BINARY) + " ceremony run --station /nonexistent --answers x");
  CHECK(none.rc == 3);
  CHECK(none.out.find("--resume ID") != std::string::npos);
}

}  // namespace
}  // namespace sr::testing
