// audit report: replay the log (audit/replay.h), gather one release's events
// from the verified log, read its evidence, judge, prove the cited events.
#include "audit/report.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "audit/evidence.h"
#include "audit/replay.h"
#include "audit/report_vex.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/verified_events.h"
#include "policy/approval.h"
#include "policy/dsse.h"
#include "policy/json.h"
#include "policy/keys.h"
#include "policy/trust_policy.h"
#include "policy/version.h"
#include "proto/event.pb.h"

namespace sr::audit {
namespace {

namespace v1 = strongroom::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxReleaseText = 256;
constexpr int kExpiryWarningDays = 30;

std::optional<Clock::time_point> ParseTime(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string t(text);
  if (t.size() == 10 && t[4] == '-' && t[7] == '-') t += "T00:00:00Z";
  google::protobuf::Timestamp ts;
  if (!TimeUtil::FromString(t, &ts)) return std::nullopt;
  return Clock::time_point(std::chrono::seconds(ts.seconds()));
}

Clock::time_point FromTs(const google::protobuf::Timestamp& ts) {
  return Clock::time_point(std::chrono::seconds(ts.seconds()));
}

std::string FormatTime(Clock::time_point tp) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count());
  return TimeUtil::ToString(ts);
}

std::string DateOf(Clock::time_point tp) { return FormatTime(tp).substr(0, 10); }

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

template <typename C>
std::vector<std::string> Vec(const C& c) {
  return std::vector<std::string>(c.begin(), c.end());
}

std::string Named(const std::string& name, const std::string& fingerprint) {
  if (name.empty()) return "key " + fingerprint;
  return name + " (key " + fingerprint + ")";
}

std::string Idx(std::uint64_t i) { return "event " + std::to_string(i); }

// "1 record", "2 records".
std::string Count(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

void AddUnique(std::vector<std::string>* v, std::string s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(std::move(s));
}

// What the verified log holds for the release, gathered in one pass.
struct Gathered {
  std::vector<std::pair<std::uint64_t, v1::PolicyInstalledEvent>> policies;
  std::map<std::string, std::pair<std::uint64_t, std::string>> keys;  // fp -> (index, label)
  std::map<std::uint64_t, v1::Event> intents;
  std::optional<std::pair<std::uint64_t, v1::Event>> signing;
  std::vector<std::pair<std::uint64_t, v1::Event>> records;
  std::set<std::string> signed_versions;  // of the product, for the not-found message
  // Later SIGNINGs of the product whose VEX names the release's version.
  std::vector<internal::LaterVex> later_vex;
};

// The installed policy's envelope: from the evidence store by the envelope's
// digest, else from policies_dir as <policy sha256>.json (as replay does).
Result<policy::LoadedPolicy> LoadPolicy(const EvidenceDir& ev, const std::string& policies_dir,
                                        const v1::PolicyInstalledEvent& p) {
  Result<std::string> text = NotFound("no envelope");
  if (!p.envelope_sha256().empty()) text = ev.Get(p.envelope_sha256());
  if (!text.ok() && text.status().code() == Code::kNotFound && !policies_dir.empty() &&
      IsSha256Hex(p.policy_sha256())) {
    text = ReadFile(JoinPath(policies_dir, p.policy_sha256() + ".json"), policy::kMaxDocumentBytes);
    if (text.ok() && !p.envelope_sha256().empty() && Sha256Hex(*text) != p.envelope_sha256())
      return DataLoss("the stored envelope of policy version " +
                      std::to_string(p.policy_version()) + " was altered");
  }
  if (!text.ok()) return text.status();
  auto parsed = policy::ParsePolicy(*text, "installed policy");
  if (!parsed.ok()) return InvalidArgument(policy::FormatFailure(parsed.failure()));
  if (parsed->digest != p.policy_sha256())
    return DataLoss("the stored envelope does not hold the policy the event records");
  return std::move(parsed).value();
}

// An evidence object's state in the store, for EvidenceItem::status.
std::string StoreStatus(const EvidenceDir& ev, const std::string& sha, std::string* bytes) {
  auto b = ev.Get(sha);
  if (b.ok()) {
    if (bytes) *bytes = std::move(b).value();
    return "present";
  }
  if (b.status().code() == Code::kDataLoss) return "altered";
  if (b.status().code() == Code::kNotFound) return "missing from the evidence store";
  return "unreadable: " + b.status().message();
}

// Names of the keys of `keys` whose valid signature is on the envelope.
std::vector<std::string> SignerNames(
    const policy::LoadedPolicy* lp, const policy::Envelope& env,
    const google::protobuf::RepeatedPtrField<v1::TrustedKey>& keys) {
  std::vector<std::string> out;
  if (!lp) return out;
  std::vector<policy::PublicKey> pks;
  std::map<std::string, std::string> names;
  for (const auto& k : keys)
    if (const policy::PublicKey* pk = lp->Key(k)) {
      pks.push_back(*pk);
      names[pk->fingerprint()] = k.name();
    }
  for (const std::string& fp : policy::VerifySignatures(env, pks).accepted)
    out.push_back(Named(names[fp], fp));
  return out;
}

// Per configuration: the required tests passed and failed, and the evidence.
struct Tested {
  std::set<std::string> passed, failed;
  std::vector<std::string> evidence;  // sha256
};

class Builder {
 public:
  Builder(const ReportOptions& o, ReleaseReport* r) : o_(o), ev_(o.evidence_dir), r_(*r) {}

  Status Run() {
    SR_RETURN_IF_ERROR(ReplayAndGather());
    ReadPolicyAndApproval();
    Package();
    Checks();
    Lifecycle();
    Answers();
    MaturityLevels();
    Findings();
    VexChanged();
    return Prove();
  }

 private:
  Status ReplayAndGather() {
    ReplayOptions ro;
    ro.log_dir = o_.log_dir;
    ro.evidence_dir = o_.evidence_dir;
    ro.policies_dir = o_.policies_dir;
    ro.vkey = o_.vkey;
    ro.threads = o_.threads;
    ro.max_failures_kept = 100000;
    SR_ASSIGN_OR_RETURN(replay_, Replay(ro));
    if (!replay_.log.ok) return log::VerifyFailureStatus(replay_.log, "report");

    auto read = log::ReadVerifiedEvents(
        o_.log_dir, o_.vkey, o_.threads, "report",
        [&](std::uint64_t i, v1::Event&& e, std::string_view) { See(i, std::move(e)); });
    if (!read.ok()) return read.status();
    cp_ = read->checkpoint;
    const log::Checkpoint* cp = &cp_;
    r_.vkey = read->vkey;
    r_.checkpoint_note = read->note;
    r_.origin = cp->origin;
    r_.checkpoint_size = cp->size;
    r_.root_base64 = Base64Encode(cp->root);
    if (!g_.signing) {
      std::string msg = o_.product + "@" + o_.version + " was not signed in this log (" +
                        std::to_string(cp->size) + " events under its signed checkpoint)";
      if (g_.signed_versions.empty())
        msg += "; no version of " + o_.product + " was signed";
      else
        msg += "; signed versions of " + o_.product + ": " + Join(Vec(g_.signed_versions));
      return NotFound(msg);
    }
    return Status::Ok();
  }

  void See(std::uint64_t i, v1::Event e) {
    switch (e.kind()) {
      case v1::EVENT_KIND_POLICY_INSTALLED:
        g_.policies.emplace_back(i, e.policy_installed());
        break;
      case v1::EVENT_KIND_KEY_GENERATED:
        g_.keys.try_emplace(e.key_generated().fingerprint(), i, e.key_generated().key_label());
        break;
      case v1::EVENT_KIND_SIGNING_INTENT:
        if (e.signing_intent().product() == o_.product &&
            e.signing_intent().version() == o_.version)
          g_.intents.emplace(i, std::move(e));
        break;
      case v1::EVENT_KIND_SIGNING:
        if (e.signing().product() != o_.product) break;
        g_.signed_versions.insert(e.signing().version());
        if (g_.signing && e.signing().vex_statements_size() > 0)
          if (auto l = internal::LaterVexOf(i, e, o_.version))
            g_.later_vex.push_back(std::move(*l));
        if (e.signing().version() == o_.version && !g_.signing) g_.signing.emplace(i, std::move(e));
        break;
      case v1::EVENT_KIND_LIFECYCLE_RECORDED:
        if (e.lifecycle_recorded().product() == o_.product &&
            e.lifecycle_recorded().version() == o_.version)
          g_.records.emplace_back(i, std::move(e));
        break;
      default:
        break;
    }
  }

  const v1::SigningEvent& S() const { return g_.signing->second.signing(); }

  void ReadPolicyAndApproval() {
    const v1::SigningEvent& s = S();
    r_.signing_index = g_.signing->first;
    r_.intent_index = s.intent_index();
    r_.signing_time = g_.signing->second.time();
    r_.key_label = s.key_label();
    r_.key_fingerprint = s.key_fingerprint();
    r_.key_authorization_id = s.key_authorization_id();
    r_.policy_version = s.policy_version();
    if (auto it = g_.intents.find(s.intent_index()); it != g_.intents.end()) intent_ = &it->second;
    if (auto k = g_.keys.find(s.key_fingerprint()); k != g_.keys.end())
      r_.key_index = k->second.first;
    // The policy in force: the last installed before the intent (or the
    // SIGNING, without one), which must be the one the event names.
    std::uint64_t before = intent_ ? r_.intent_index : r_.signing_index;
    for (const auto& [i, p] : g_.policies)
      if (i < before) policy_event_ = &p, r_.policy_index = i;
    if (policy_event_) {
      auto lp = LoadPolicy(ev_, o_.policies_dir, *policy_event_);
      if (lp.ok())
        policy_ = std::move(lp).value();
      else
        policy_error_ = lp.status().message();
    } else {
      policy_error_ = "no policy was installed before the signing";
    }
    if (policy_)
      for (const auto& p : policy_->policy.products())
        if (p.name() == o_.product) product_ = &p;

    std::string bytes;
    approval_status_ = StoreStatus(ev_, s.approval_sha256(), &bytes);
    if (approval_status_ == "present") {
      auto env = policy::ParseEnvelope(bytes, "approval");
      if (env.ok()) {
        auto a = policy::ParseApproval(*env, "approval");
        if (a.ok()) approval_ = std::move(a->predicate);
      }
    }
  }

  std::string ApproverNames() const {
    std::vector<std::string> v;
    for (const auto& a : S().approvers()) v.push_back(Named(a.name(), a.fingerprint()));
    return v.empty() ? "not recorded" : Join(v);
  }

  std::string KeyProducer() const {
    const v1::SigningEvent& s = S();
    return "release key " + s.key_label() + " (" + s.key_algorithm() + ", key " +
           s.key_fingerprint() + ") under key authorization " + s.key_authorization_id() +
           " of policy version " + std::to_string(s.policy_version());
  }

  void Item(std::string kind, std::string name, std::string sha, std::optional<std::uint64_t> at,
            std::string producer, std::string* bytes = nullptr) {
    EvidenceItem it{std::move(kind), std::move(name), sha, at, std::move(producer), "in the log"};
    if (!sha.empty()) it.status = StoreStatus(ev_, sha, bytes);
    if (it.status != "present" && it.status != "in the log") {
      AddUnique(&r_.gaps,
                it.kind + (it.name.empty() ? "" : " " + it.name) + " (" + sha + "): " + it.status);
      evidence_problem_ = true;
    }
    r_.evidence.push_back(std::move(it));
  }

  void Package() {
    const v1::SigningEvent& s = S();
    const std::uint64_t si = r_.signing_index;
    r_.product = s.product();
    r_.version = s.version();
    r_.previous_version = !s.previous_version().empty() ? s.previous_version()
                          : approval_                   ? approval_->previous_version()
                                                        : "";
    r_.cohorts = Vec(s.scope_cohorts());
    r_.configurations = Vec(s.scope_configurations());
    r_.vulnerabilities = Vec(s.vulnerabilities());
    for (const auto& x : s.exclusions())
      r_.exclusions.push_back(
          {x.configuration(), x.reason(), x.mitigation(), x.follow_up(), "open", std::nullopt});

    // Evidence included, in the seed's order.
    Item("release approval", "", s.approval_sha256(), si,
         "approvers " + ApproverNames() +
             (s.approval_time().empty() ? std::string() : ", approved at " + s.approval_time()));
    Item("signed update manifest", "", s.manifest_sha256(), si, KeyProducer());
    Item("signing event record", "SIGNING", "", si,
         "station " + g_.signing->second.station_id() + " (log " + r_.origin + ")");
    if (intent_)
      Item("signing intent record", "SIGNING_INTENT", "", r_.intent_index,
           "station " + intent_->station_id());
    if (!s.vsa_sha256().empty())
      Item("verification summary (VSA)", "", s.vsa_sha256(), si,
           "station attestation key " + s.attestation_key_fingerprint());
    {
      std::string producer = "builder " + s.builder_id();
      if (product_)
        for (const auto& b : product_->builders())
          if (b.id() == s.builder_id() && !b.key().name().empty())
            producer += ", signed by " + b.key().name();
      if (!s.source_repository().empty())
        producer += "; source " + s.source_repository() + " at " + s.source_revision();
      if (s.builder_slsa_level())
        producer += "; SLSA build level " + std::to_string(s.builder_slsa_level());
      Item("build provenance", "", s.provenance_sha256(), si, producer);
    }
    // Test evidence, per configuration.
    for (const std::string& sha : s.evidence_sha256()) {
      std::string bytes;
      std::string status = StoreStatus(ev_, sha, &bytes);
      std::string configs, producer = "test lab: not identified";
      if (status == "present") {
        auto env = policy::ParseEnvelope(bytes, "test evidence");
        if (env.ok()) {
          auto labs = SignerNames(policy_ ? &*policy_ : nullptr, *env,
                                  product_ ? product_->test_labs()
                                           : google::protobuf::RepeatedPtrField<v1::TrustedKey>());
          if (!labs.empty()) producer = "test lab " + Join(labs);
          auto te = policy::ParseTestEvidence(*env, "test evidence");
          if (te.ok()) {
            configs = Join(te->configurations);
            for (const std::string& c : te->configurations) {
              Tested& t = tested_[c];
              t.evidence.push_back(sha);
              if (te->result != "FAILED")
                for (const auto& p : te->passed_tests) t.passed.insert(p);
              for (const auto& f : te->failed_tests) t.failed.insert(f);
              if (te->result == "FAILED")
                for (const auto& p : te->passed_tests) t.failed.insert(p);
            }
            producer += "; result " + te->result + ", passed: " +
                        (te->passed_tests.empty() ? "none" : Join(te->passed_tests)) +
                        (te->failed_tests.empty() ? "" : "; failed: " + Join(te->failed_tests));
          }
        }
      }
      Item("test evidence", configs, sha, si, producer);
    }
    for (const auto& vt : s.verified_tests()) {  // what the gate itself recorded
      Tested& t = tested_[vt.configuration()];
      if (vt.result() == "PASSED" || vt.result() == "WARNED") t.passed.insert(vt.test());
      if (std::find(t.evidence.begin(), t.evidence.end(), vt.evidence_sha256()) == t.evidence.end())
        t.evidence.push_back(vt.evidence_sha256());
    }
    // Affected-version analysis (OpenVEX) and the bound documents.
    if (!s.vex_sha256().empty()) {
      std::string who = "product security key " + s.vex_signer_fingerprint();
      if (product_)
        for (const auto& k : product_->product_security())
          if (const policy::PublicKey* pk = policy_->Key(k);
              pk && pk->fingerprint() == s.vex_signer_fingerprint())
            who = "product security " + Named(k.name(), s.vex_signer_fingerprint());
      std::vector<std::string> st;
      for (const auto& v : s.vex_statements()) st.push_back(v.vulnerability() + ": " + v.status());
      Item("affected-version analysis (OpenVEX)", Join(st), s.vex_sha256(), si, who);
    }
    for (const auto& d : s.documents())
      Item(d.kind(), d.name(), d.sha256(), si,
           "bound by the release approval (" + ApproverNames() + ")");
    if (policy_event_)
      Item("trust policy in force", "version " + std::to_string(policy_event_->policy_version()),
           policy_event_->envelope_sha256(), r_.policy_index,
           "governance keys " + Join(Vec(policy_event_->signer_fingerprints())));
    if (r_.key_index)
      Item("release key generation", s.key_label(), "", r_.key_index,
           "the station's HSM (KEY_GENERATED)");
    for (const auto& [i, e] : g_.records) {
      const auto& l = e.lifecycle_recorded();
      Item("lifecycle record: " + l.record_type(),
           Join(std::vector<std::string>{l.cohort().empty() ? "" : "cohort " + l.cohort(),
                                         l.configuration().empty() ? "" : l.configuration(),
                                         l.outcome()},
                " "),
           l.envelope_sha256(), i, Named(l.signer_name(), l.signer_fingerprint()));
    }
    // Trim the empty parts of record names ("  succeeded" -> "succeeded").
    for (EvidenceItem& it : r_.evidence) {
      std::string n;
      for (std::size_t k = 0; k < it.name.size(); ++k)
        if (it.name[k] != ' ' || (!n.empty() && n.back() != ' ')) n += it.name[k];
      while (!n.empty() && n.back() == ' ') n.pop_back();
      it.name = n;
    }

    // Decision, threat, practice.
    r_.decision = "Approve " + s.product() + " " + s.version() +
                  (r_.previous_version.empty() ? "" : " (from " + r_.previous_version + ")") +
                  " for deployment" + (r_.cohorts.empty() ? "" : " to cohort " + Join(r_.cohorts)) +
                  (r_.configurations.empty() ? "" : " on configuration " + Join(r_.configurations));
    if (!r_.exclusions.empty()) {
      std::vector<std::string> x;
      for (const auto& e : r_.exclusions) x.push_back(e.configuration);
      r_.decision += "; excluded: " + Join(x);
    }
    r_.decision += " (signed as " + Idx(r_.signing_index) + ")";
    std::vector<std::string> threats = {
        "unauthorized update (approval threshold, authorized release key)",
        "tampered or substituted update package (signatures, log inclusion)"};
    if (product_ && product_->required_tests_size())
      threats.push_back(
          "incomplete rollback or untested recovery (required tests per "
          "configuration: " +
          Join(Vec(product_->required_tests())) + ")");
    if (!r_.vulnerabilities.empty())
      threats.push_back("unresolved affected-version mapping (" + Join(r_.vulnerabilities) + ")");
    r_.threat = Join(threats, "; ");
    std::string thr = product_ ? std::to_string(product_->approvers().threshold()) + " of " +
                                     std::to_string(product_->approvers().keys_size())
                               : "?";
    r_.practice = "update approval workflow (" + thr +
                  " approvers); update eligibility check (the signing gate under policy version " +
                  std::to_string(s.policy_version()) + "); update signing control (release key " +
                  s.key_label() + " in the station's HSM, authorization " +
                  s.key_authorization_id() + "); installation and rollback recording (" +
                  Count(g_.records.size(), "lifecycle record") + ")";

    // Producer / source and consumer / recipient.
    AddUnique(&r_.producers, "release approvers: " + ApproverNames());
    AddUnique(&r_.producers,
              "builder: " + s.builder_id() +
                  (s.source_repository().empty()
                       ? ""
                       : " from " + s.source_repository() + " at " + s.source_revision()));
    for (const auto& it : r_.evidence)
      if (it.kind == "test evidence")
        AddUnique(&r_.producers, it.producer.substr(0, it.producer.find(';')));
    AddUnique(&r_.producers,
              "signing station: " + g_.signing->second.station_id() + ", " + KeyProducer());
    if (!s.vex_sha256().empty())
      for (const auto& it : r_.evidence)
        if (it.kind.starts_with("affected-version")) AddUnique(&r_.producers, it.producer);
    for (const auto& [i, e] : g_.records)
      AddUnique(&r_.producers, e.lifecycle_recorded().record_type() + " records: " +
                                   Named(e.lifecycle_recorded().signer_name(),
                                         e.lifecycle_recorded().signer_fingerprint()));
    if (!r_.cohorts.empty() || !r_.configurations.empty())
      r_.consumers.push_back(
          "deployment scope of the approval: cohort " +
          (r_.cohorts.empty() ? "not recorded" : Join(r_.cohorts)) + ", configuration " +
          (r_.configurations.empty() ? "not recorded" : Join(r_.configurations)));
    if (approval_ && !approval_->notes().empty())
      r_.consumers.push_back("approval notes: " + approval_->notes());
    if (r_.consumers.empty()) r_.consumers.push_back("not recorded");
  }

  // The replay's verdict on its checks at the intent and the SIGNING.
  void ReplayCheck(const std::string& name, const std::string& title) {
    CheckResult c{name, title, "passed", "", {r_.signing_index}};
    if (intent_ && name == "intent") c.indexes = {r_.intent_index, r_.signing_index};
    std::vector<std::string> msgs;
    for (const auto& f : replay_.failures)
      if ((f.index == r_.signing_index || f.index == r_.intent_index) && f.check == name)
        msgs.push_back(Idx(f.index) + ": " + f.message);
    if (!msgs.empty()) {
      c.result = "failed";
      c.detail = Join(msgs, "; ");
      failed_ = true;
    } else if (!replay_.checks.count(name)) {
      c.result = "not run";
    }
    r_.checks.push_back(std::move(c));
  }

  void AddCheck(std::string name, std::string title, bool ok, std::string detail,
                std::vector<std::uint64_t> idx) {
    if (!ok) failed_ = true;
    r_.checks.push_back({std::move(name), std::move(title), ok ? "passed" : "failed",
                         std::move(detail), std::move(idx)});
  }

  void Checks() {
    const v1::SigningEvent& s = S();
    const std::uint64_t si = r_.signing_index;
    r_.checks.push_back({"log",
                         "the log verifies against its signed checkpoint",
                         "passed",
                         std::to_string(r_.checkpoint_size) + " events, root " + r_.root_base64 +
                             ", verifier key " + r_.vkey,
                         {}});
    int n_sigs = s.signatures_size();
    ReplayCheck("signature", "the " + std::to_string(n_sigs) +
                                 " recorded signatures over the artifacts, the manifest and the "
                                 "VSA verify under the recorded keys");
    ReplayCheck("evidence",
                "every evidence object the events name is in the evidence store and hashes to "
                "its name");
    ReplayCheck("intent", "the SIGNING has its SIGNING_INTENT, in order, with the same bindings");

    // Key authorization in the policy in force.
    {
      std::vector<std::uint64_t> idx = {si};
      if (r_.policy_index) idx.insert(idx.begin(), *r_.policy_index);
      std::string why;
      auto at = ParseTime(g_.signing->second.time());
      const v1::KeyAuthorization* ka = nullptr;
      if (!policy_) {
        why = "the policy in force cannot be read: " + policy_error_;
      } else {
        for (const auto& a : policy_->policy.key_authorizations())
          if (a.id() == s.key_authorization_id()) ka = &a;
        if (!ka) {
          why = "policy version " + std::to_string(policy_->policy.version()) +
                " has no key authorization " + s.key_authorization_id();
        } else if (ka->key_fingerprint() != s.key_fingerprint()) {
          why = "authorization " + ka->id() + " is for key " + ka->key_fingerprint();
        } else if (ka->product() != s.product()) {
          why = "authorization " + ka->id() + " is for product " + ka->product();
        } else {
          auto lo = policy::CompareVersions(s.version(), ka->min_version());
          auto hi = ka->max_version().empty()
                        ? std::optional<int>(-1)
                        : policy::CompareVersions(s.version(), ka->max_version());
          if (!lo || *lo < 0 || !hi || *hi > 0)
            why = "version " + s.version() + " is outside authorization " + ka->id() + " (" +
                  ka->min_version() + " to " +
                  (ka->max_version().empty() ? "any" : ka->max_version()) + ")";
          else if (at && ka->has_not_before() && *at < FromTs(ka->not_before()))
            why = "the signing is before the authorization's notBefore";
          else if (at && ka->has_not_after() && *at > FromTs(ka->not_after()))
            why = "the signing is after the authorization's notAfter";
        }
      }
      AddCheck("key-authorization",
               "key " + s.key_label() + " is authorized for " + s.product() + " " + s.version() +
                   " by the policy in force (authorization " + s.key_authorization_id() + ")",
               why.empty(),
               why.empty()
                   ? "authorization " + ka->id() + ": " + ka->product() + " " + ka->min_version() +
                         " to " + (ka->max_version().empty() ? "any" : ka->max_version()) +
                         (ka->has_not_after() ? ", until " + TimeUtil::ToString(ka->not_after())
                                              : std::string())
                   : why,
               idx);
      key_authorized_ = why.empty();
      if (ka) authorization_ = ka;
    }
    ReplayCheck("key-ended", "the key was not revoked or retired before it signed");

    // Approval threshold.
    {
      std::set<std::string> counted;
      std::uint32_t threshold = 0;
      if (product_) {
        threshold = product_->approvers().threshold();
        std::set<std::string> trusted;
        for (const auto& k : product_->approvers().keys())
          if (const policy::PublicKey* pk = policy_->Key(k)) trusted.insert(pk->fingerprint());
        for (const auto& a : s.approvers())
          if (trusted.count(a.fingerprint())) counted.insert(a.fingerprint());
      }
      bool ok = product_ && counted.size() >= threshold && threshold > 0;
      AddCheck("approval-threshold",
               "the approval carries the threshold of the product's approvers", ok,
               product_ ? std::to_string(counted.size()) + " trusted approvers of " +
                              std::to_string(threshold) + " required: " + ApproverNames()
                        : "the product is not in the policy in force",
               {si});
    }
    // Approval before the intent, in time and in log order.
    {
      auto approved = ParseTime(s.approval_time());
      if (!approved && approval_ && approval_->has_approved_at())
        approved = FromTs(approval_->approved_at());
      auto intent_time = ParseTime(intent_ ? intent_->time() : g_.signing->second.time());
      bool ok =
          approved && intent_time && *approved <= *intent_time && intent_ && r_.intent_index < si;
      std::string detail =
          "approved at " + (approved ? FormatTime(*approved) : std::string("(not recorded)")) +
          "; SIGNING_INTENT " +
          (intent_ ? Idx(r_.intent_index) + " at " + intent_->time() : std::string("missing")) +
          "; SIGNING " + Idx(si) + " at " + g_.signing->second.time();
      approval_before_ = ok;
      std::vector<std::uint64_t> idx = {si};
      if (intent_) idx.insert(idx.begin(), r_.intent_index);
      AddCheck("approval-order",
               "the approval's time is before the SIGNING_INTENT, which is before the SIGNING in "
               "log order",
               ok, detail, idx);
    }
    ReplayCheck("gate",
                "the signing gate, re-run from the evidence with the policy in force at that "
                "index and the event's time, allows this SIGNING with the same bindings");
    ReplayCheck("version-order", "no version of the product is signed twice or below one signed");
    if (!s.vex_sha256().empty()) {
      std::vector<std::string> uncovered = UncoveredVulnerabilities();
      AddCheck("vex",
               "the OpenVEX statements bound at signing cover every vulnerability of the approval",
               uncovered.empty(),
               uncovered.empty() ? Count(s.vex_statements_size(), "statement")
                                 : "no statement for " + Join(uncovered),
               {si});
    }
    if (evidence_problem_) {
      std::vector<std::string> bad;
      for (const auto& it : r_.evidence)
        if (it.status != "present" && it.status != "in the log")
          bad.push_back(it.kind + " " + it.sha256 + ": " + it.status);
      AddCheck("evidence-store", "every object of the evidence package is in the evidence store",
               false, Join(bad, "; "), {si});
    }
    for (const auto& c : r_.checks)
      if (c.result == "failed")
        AddUnique(&r_.gaps, "check failed: " + c.title + " (" + c.detail + ")");
  }

  std::vector<std::string> UncoveredVulnerabilities() const {
    std::vector<std::string> out;
    for (const std::string& v : S().vulnerabilities()) {
      bool covered = false;
      for (const auto& st : S().vex_statements())
        if (st.vulnerability() == v) covered = true;
      if (!covered) out.push_back(v);
    }
    return out;
  }

  void Lifecycle() {
    for (const auto& [i, e] : g_.records) {
      const auto& l = e.lifecycle_recorded();
      r_.records.push_back({i, l.record_type(), l.cohort(), l.configuration(), l.outcome(),
                            l.owner(), l.expires(), l.follow_up_date(), l.summary(), l.decided_at(),
                            l.signer_name(), l.signer_fingerprint(), l.envelope_sha256()});
      if (!l.owner().empty())
        AddUnique(&r_.retention_owners,
                  l.owner() + " (" + l.record_type() + " record, " + Idx(i) + ")");
      if (l.record_type() == "exclusion-decision") {
        for (Exclusion& x : r_.exclusions) {
          if (x.configuration != l.configuration()) continue;
          x.decided_at = i;
          if (l.outcome() == "extend") {
            if (!l.follow_up_date().empty()) x.follow_up = l.follow_up_date();
            x.status = "open";
          } else if (l.outcome() == "include") {
            x.status = "included";
          } else if (l.outcome() == "drop") {
            x.status = "dropped";
          }
        }
      }
      if (l.record_type() == "risk-acceptance")
        r_.exceptions.push_back("risk acceptance (" + Idx(i) + ")" +
                                (l.configuration().empty() ? "" : " for " + l.configuration()) +
                                ": " + l.summary() + "; owner " +
                                (l.owner().empty() ? "not recorded" : l.owner()) + "; expires " +
                                (l.expires().empty() ? "never stated" : l.expires()));
    }
    const std::string as_of_date = DateOf(o_.as_of);
    std::vector<std::string> excluded;
    for (Exclusion& x : r_.exclusions) {
      if (x.status == "open" && !x.follow_up.empty() && as_of_date > x.follow_up.substr(0, 10))
        x.status = "overdue";
      excluded.push_back(
          "configuration " + x.configuration + " excluded from deployment: " + x.reason +
          "; mitigation: " + (x.mitigation.empty() ? "not recorded" : x.mitigation) +
          "; follow-up decision due " + x.follow_up +
          (x.decided_at ? " (set by " + Idx(*x.decided_at) + ")" : "") + "; " + x.status);
      AddUnique(&r_.gaps, "configuration " + x.configuration + " excluded: " + x.reason);
    }
    r_.exceptions.insert(r_.exceptions.begin(), excluded.begin(), excluded.end());
  }

  std::vector<std::uint64_t> RecordIndexes(const std::string& type) const {
    std::vector<std::uint64_t> out;
    for (const auto& [i, e] : g_.records)
      if (e.lifecycle_recorded().record_type() == type) out.push_back(i);
    return out;
  }

  const v1::BoundDocumentRecord* BoundDoc(const std::string& kind) const {
    for (const auto& d : S().documents())
      if (d.kind() == kind) return &d;
    return nullptr;
  }

  std::vector<std::string> MissingTests(const std::string& configuration) const {
    std::vector<std::string> out;
    if (!product_) return out;
    auto it = tested_.find(configuration);
    for (const std::string& t : product_->required_tests())
      if (it == tested_.end() || !it->second.passed.count(t) || it->second.failed.count(t))
        out.push_back(t);
    return out;
  }

  void Answers() {
    const v1::SigningEvent& s = S();
    const std::uint64_t si = r_.signing_index;
    auto add = [&](int n, std::string q, std::string a, std::string why,
                   std::vector<std::uint64_t> idx) {
      std::sort(idx.begin(), idx.end());
      idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
      r_.answers.push_back({n, std::move(q), std::move(a), std::move(why), std::move(idx)});
    };
    // 1. Approved before signing and deployment.
    {
      std::vector<std::uint64_t> idx = {si};
      if (intent_) idx.push_back(r_.intent_index);
      auto deployments = RecordIndexes("deployment-result");
      bool after = true;
      for (std::uint64_t d : deployments) {
        idx.push_back(d);
        if (d < si) after = false;
      }
      std::string why = "approval time " + s.approval_time() + " (approval " + s.approval_sha256() +
                        ", bound in " + Idx(si) + ") is " +
                        (approval_before_ ? "before" : "NOT before") + " the SIGNING_INTENT (" +
                        (intent_ ? Idx(r_.intent_index) + ", " + intent_->time() : "missing") +
                        "), followed by the SIGNING (" + Idx(si) + ")";
      std::string a;
      if (!approval_before_ || !after) {
        a = "no";
        if (!after) why += "; a deployment-result record comes before the SIGNING";
      } else if (deployments.empty()) {
        a = "partly";
        why += "; no deployment is recorded, so the order of approval and deployment is not shown";
      } else {
        a = "yes";
        why += "; " + std::string(deployments.size() == 1 ? "the " : "all ") +
               Count(deployments.size(), "deployment-result record") + " come" +
               (deployments.size() == 1 ? "s" : "") + " after the SIGNING";
      }
      add(1, "Was the update approved before signing and deployment?", a, why, idx);
    }
    // 2. Signed by an authorized key.
    {
      bool sig_ok = true, ended_ok = true;
      for (const auto& c : r_.checks) {
        if (c.name == "signature" && c.result == "failed") sig_ok = false;
        if (c.name == "key-ended" && c.result == "failed") ended_ok = false;
      }
      std::vector<std::uint64_t> idx = {si};
      if (r_.policy_index) idx.push_back(*r_.policy_index);
      if (r_.key_index) idx.push_back(*r_.key_index);
      bool ok = key_authorized_ && sig_ok && ended_ok;
      std::string why =
          "release key " + s.key_label() + " (" + s.key_fingerprint() + ")" +
          (r_.key_index ? ", generated in the HSM at " + Idx(*r_.key_index) : "") +
          ", authorized by " + s.key_authorization_id() + " in policy version " +
          std::to_string(s.policy_version()) +
          (r_.policy_index ? " (installed at " + Idx(*r_.policy_index) + ")" : "") +
          ": authorization " + (key_authorized_ ? "holds" : "does NOT hold") + "; signatures " +
          (sig_ok ? "verify" : "do NOT verify") + "; key " +
          (ended_ok ? "not revoked or retired before signing" : "ended before signing");
      add(2, "Is the update package signed by an authorized key for this product and release?",
          ok ? "yes" : "no", why, idx);
    }
    // 3. Affected-version analysis.
    {
      std::string a, why;
      if (s.vex_sha256().empty()) {
        a = "no";
        why = "no affected-version analysis recorded: the SIGNING binds no OpenVEX document" +
              (r_.vulnerabilities.empty() ? std::string() : " for " + Join(r_.vulnerabilities));
        AddUnique(&r_.gaps,
                  "no affected-version analysis recorded (no VEX document bound at signing)");
      } else {
        std::vector<std::string> uncovered = UncoveredVulnerabilities();
        std::vector<std::string> st;
        for (const auto& v : s.vex_statements()) {
          std::string t = v.vulnerability() + " " + v.status();
          if (v.affected_versions_size()) t += ", affected: " + Join(Vec(v.affected_versions()));
          if (v.fixed_versions_size()) t += ", fixed in: " + Join(Vec(v.fixed_versions()));
          st.push_back(t);
        }
        why = "OpenVEX " + s.vex_sha256() + " bound in " + Idx(si) + ": " + Join(st, "; ");
        if (!uncovered.empty()) {
          a = "partly";
          why += "; no statement for " + Join(uncovered);
          AddUnique(&r_.gaps, "no affected-version analysis for " + Join(uncovered));
        } else if (r_.vulnerabilities.empty()) {
          a = "partly";
          why += "; the approval names no vulnerability records to tie it to";
        } else {
          a = "yes";
        }
      }
      add(3, "Is the affected-version analysis tied to product versions and vulnerability records?",
          a, why, {si});
    }
    // 4. Rollback and recovery documented and tested, per configuration.
    {
      std::vector<std::string> parts;
      int good = 0, total = 0;
      for (const char* kind : {"rollback-conditions", "recovery-procedure"}) {
        ++total;
        if (const auto* d = BoundDoc(kind)) {
          ++good;
          parts.push_back(std::string(kind) + " documented (" + d->name() + ", " + d->sha256() +
                          ")");
        } else {
          parts.push_back(std::string("no ") + kind + " document bound");
          AddUnique(&r_.gaps, std::string("no ") + kind + " document bound at signing");
        }
      }
      for (const std::string& c : r_.configurations) {
        ++total;
        auto missing = MissingTests(c);
        if (missing.empty()) {
          ++good;
          parts.push_back(c + ": " + (product_ ? Join(Vec(product_->required_tests())) : "") +
                          " tested (passed)");
        } else {
          parts.push_back(c + ": not tested: " + Join(missing));
          AddUnique(&r_.gaps,
                    "configuration " + c + ": required test missing or failed: " + Join(missing));
        }
      }
      for (const auto& x : r_.exclusions) {
        auto missing = MissingTests(x.configuration);
        parts.push_back(x.configuration + " (excluded): " +
                        (missing.empty() ? "tested" : "not tested: " + Join(missing)));
      }
      std::vector<std::uint64_t> idx = {si};
      for (auto i : RecordIndexes("rollback")) idx.push_back(i);
      for (auto i : RecordIndexes("recovery")) idx.push_back(i);
      add(4, "Are rollback and recovery conditions documented and tested?",
          good == total ? "yes"
          : good == 0   ? "no"
                        : "partly",
          Join(parts, "; "), idx);
    }
    // 5. Deployment failures, exclusions and customer notification retained.
    {
      std::vector<std::string> parts;
      std::vector<std::uint64_t> idx = {si};
      int good = 0;
      auto dep = RecordIndexes("deployment-result");
      if (!dep.empty()) {
        ++good;
        parts.push_back(Count(dep.size(), "deployment-result record") + " retained");
      } else {
        parts.push_back("no deployment record");
        AddUnique(&r_.gaps, "no deployment record retained");
      }
      // The exclusions are retained by the SIGNING itself; an overdue
      // follow-up is a finding (stale), not a retention gap.
      for (const auto& x : r_.exclusions) {
        parts.push_back("exclusion of " + x.configuration + " retained in " + Idx(si) +
                        (x.decided_at ? ", follow-up decision " + Idx(*x.decided_at)
                                      : ", no follow-up decision recorded") +
                        (x.status == "overdue" ? " (follow-up overdue)" : ""));
        if (x.decided_at) idx.push_back(*x.decided_at);
      }
      if (r_.exclusions.empty()) parts.push_back("no exclusions");
      const int total = r_.exclusions.empty() ? 2 : 3;
      if (!r_.exclusions.empty()) ++good;
      auto notes = RecordIndexes("customer-notification");
      if (!notes.empty()) {
        ++good;
        parts.push_back(Count(notes.size(), "customer-notification record") + " retained");
      } else {
        parts.push_back("no customer-notification decision recorded");
        AddUnique(&r_.gaps, "no customer-notification decision recorded");
      }
      for (auto v : {dep, notes, RecordIndexes("rollback"), RecordIndexes("recovery"),
                     RecordIndexes("withdrawal"), RecordIndexes("risk-acceptance")})
        for (auto i : v) idx.push_back(i);
      add(5, "Are deployment failures, exclusions, and customer notification decisions retained?",
          good == total ? "yes"
          : good == 0   ? "no"
                        : "partly",
          Join(parts, "; "), idx);
    }
  }

  void MaturityLevels() {
    std::vector<std::string> configs;
    if (product_)
      for (const auto& c : product_->configurations()) AddUnique(&configs, c);
    for (const auto& c : r_.configurations) AddUnique(&configs, c);
    for (const auto& x : r_.exclusions) AddUnique(&configs, x.configuration);
    bool verified = !failed_;
    for (const std::string& c : configs) {
      Maturity m{c, 1, false, false, ""};
      m.in_scope = std::find(r_.configurations.begin(), r_.configurations.end(), c) !=
                   r_.configurations.end();
      const Exclusion* x = nullptr;
      for (const auto& e : r_.exclusions)
        if (e.configuration == c) x = &e;
      m.excluded = x != nullptr;
      bool has_tests = tested_.count(c) > 0;
      auto missing = MissingTests(c);
      std::vector<std::uint64_t> deployed;
      for (const auto& [i, e] : g_.records)
        if (e.lifecycle_recorded().record_type() == "deployment-result" &&
            e.lifecycle_recorded().configuration() == c)
          deployed.push_back(i);
      if (!m.in_scope && !m.excluded) {
        m.level = 1;
        m.reason =
            "named by the policy, but the approval neither approves nor excludes it: an "
            "assertion at most";
      } else if (!has_tests) {
        m.level = 2;
        m.reason = std::string(m.excluded ? "excluded by the approval (" + x->reason + ")"
                                          : "approved for deployment") +
                   ", but no test evidence of this release names it";
      } else if (m.excluded) {
        m.level = 3;
        m.reason = "excluded: " + x->reason +
                   (missing.empty() ? "" : " (not passed: " + Join(missing) + ")") +
                   "; an excluded configuration is at most Level 3 until it is included";
      } else if (!missing.empty() || !verified) {
        m.level = 3;
        m.reason = !missing.empty() ? "test evidence produced, but not passed: " + Join(missing)
                                    : "test evidence produced, but a verification check failed";
      } else if (deployed.empty()) {
        m.level = 4;
        m.reason = "signed, every check passed, and " +
                   (product_ ? Join(Vec(product_->required_tests())) : std::string("its tests")) +
                   " passed; no deployment-result record retained";
      } else {
        m.level = 5;
        std::vector<std::string> d;
        for (auto i : deployed) d.push_back(Idx(i));
        m.reason =
            "verified (Level 4) and its deployment-result record is retained (" + Join(d) + ")";
      }
      r_.maturity.push_back(std::move(m));
    }
    std::vector<std::string> lv, not5;
    for (const auto& m : r_.maturity) {
      lv.push_back("Level " + std::to_string(m.level) + " for " + m.configuration);
      if (m.level < 5) {
        std::string why =
            m.excluded ? "excluded (" + m.reason.substr(m.reason.find(':') + 2) : m.reason;
        if (m.excluded) {
          why = "excluded";
          for (const auto& x : r_.exclusions)
            if (x.configuration == m.configuration) why += ": " + x.reason;
        } else if (m.level == 4) {
          why = "no deployment-result record retained";
        }
        not5.push_back("not Level 5 for " + m.configuration + ": " + why);
      }
    }
    r_.maturity_summary = Join(lv) + (not5.empty() ? "" : "; " + Join(not5, "; "));
  }

  void Finding(std::string kind, std::string subject, std::string date, std::string message,
               std::optional<std::uint64_t> index) {
    r_.findings.push_back(
        {std::move(kind), std::move(subject), std::move(date), std::move(message), index});
  }

  void Findings() {
    const auto as_of = o_.as_of;
    const std::string as_of_date = DateOf(as_of);
    r_.as_of = FormatTime(as_of);
    for (const auto& x : r_.exclusions)
      if (x.status == "overdue")
        Finding("overdue-follow-up", "configuration " + x.configuration, x.follow_up,
                "the follow-up decision on excluded configuration " + x.configuration +
                    " was due " + x.follow_up +
                    " and no later exclusion-decision record for it "
                    "is in the log",
                x.decided_at ? x.decided_at : std::optional<std::uint64_t>(r_.signing_index));
    auto window = std::chrono::hours(24 * kExpiryWarningDays);
    auto expiry = [&](std::string kind, std::string subject, Clock::time_point end,
                      std::optional<std::uint64_t> idx) {
      if (end <= as_of)
        Finding(kind + "-expired", subject, FormatTime(end),
                subject + " expired on " + FormatTime(end), idx);
      else if (end - as_of <= window)
        Finding(kind + "-expiring", subject, FormatTime(end),
                subject + " expires on " + FormatTime(end) + ", within " +
                    std::to_string(kExpiryWarningDays) + " days",
                idx);
    };
    if (policy_ && policy_->policy.has_expires())
      expiry("policy", "policy version " + std::to_string(policy_->policy.version()),
             FromTs(policy_->policy.expires()), r_.policy_index);
    if (authorization_ && authorization_->has_not_after())
      expiry("key-authorization", "key authorization " + authorization_->id(),
             FromTs(authorization_->not_after()), r_.policy_index);
    if (product_ && product_->evidence_freshness_days() > 0) {
      // Test evidence is dated by the SIGNING that verified it (the in-toto
      // test-result predicate carries no time of its own).
      auto at = ParseTime(r_.signing_time);
      auto fresh = std::chrono::hours(24 * product_->evidence_freshness_days());
      if (at && as_of - *at > fresh)
        for (const auto& [c, t] : tested_)
          Finding("stale-test-evidence", "test evidence for " + c, DateOf(*at),
                  "the test evidence for " + c + " was verified at signing on " + DateOf(*at) +
                      ", more than the policy's " +
                      std::to_string(product_->evidence_freshness_days()) + " days before " +
                      as_of_date,
                  r_.signing_index);
    }
    for (const auto& rec : r_.records)
      if (rec.record_type == "risk-acceptance" && !rec.expires.empty()) {
        auto end = ParseTime(rec.expires);
        if (end && *end <= as_of)
          Finding("risk-acceptance-expired", "risk acceptance " + Idx(rec.index), rec.expires,
                  "the risk acceptance recorded at " + Idx(rec.index) + " (owner " + rec.owner +
                      ") expired on " + rec.expires,
                  rec.index);
      }
  }

  // A release still deployed whose vulnerability record changed, as the
  // log knew it at --as-of.
  void VexChanged() {
    std::vector<internal::LaterVex> known;
    for (const internal::LaterVex& l : g_.later_vex)
      if (auto t = ParseTime(l.time); t && *t <= o_.as_of) known.push_back(l);
    auto failed_at = [&](std::uint64_t i) {
      std::vector<std::string> checks;
      for (const auto& f : replay_.failures)
        if (f.index == i) AddUnique(&checks, f.check);
      return Join(checks);
    };
    for (auto& f : internal::VexChangeFindings(S(), r_.signing_index, r_.records, known, failed_at))
      r_.findings.push_back(std::move(f));
  }

  Status Prove() {
    std::set<std::uint64_t> cited;
    for (const auto& a : r_.answers) cited.insert(a.indexes.begin(), a.indexes.end());
    for (const auto& e : r_.evidence)
      if (e.log_index) cited.insert(*e.log_index);
    for (const auto& c : r_.checks) cited.insert(c.indexes.begin(), c.indexes.end());
    for (std::uint64_t i : cited) {
      auto p = log::ProveInclusion(o_.log_dir, i, r_.checkpoint_note, cp_);
      if (!p.ok()) return p.status().Annotate("proving event " + std::to_string(i));
      r_.proofs[i] = p->Format();
    }
    return Status::Ok();
  }

  const ReportOptions& o_;
  EvidenceDir ev_;
  ReleaseReport& r_;
  ReplayReport replay_;
  log::Checkpoint cp_;
  Gathered g_;
  const v1::Event* intent_ = nullptr;
  const v1::PolicyInstalledEvent* policy_event_ = nullptr;
  std::optional<policy::LoadedPolicy> policy_;
  std::string policy_error_;
  const v1::ProductPolicy* product_ = nullptr;
  const v1::KeyAuthorization* authorization_ = nullptr;
  std::optional<v1::ReleaseApproval> approval_;
  std::string approval_status_;
  std::map<std::string, Tested> tested_;
  bool evidence_problem_ = false, failed_ = false;
  bool key_authorized_ = false, approval_before_ = false;
};

}  // namespace

Status ParseRelease(std::string_view text, std::string* product, std::string* version) {
  auto at = text.rfind('@');
  if (text.size() > kMaxReleaseText || at == std::string_view::npos || at == 0 ||
      at + 1 == text.size())
    return InvalidArgument("--release must be PRODUCT@VERSION (e.g. IC-22@5.4.3), not '" +
                           std::string(text.substr(0, 80)) + "'");
  *product = std::string(text.substr(0, at));
  *version = std::string(text.substr(at + 1));
  for (char c : *product + *version)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidArgument("--release holds a control character");
  return Status::Ok();
}

Result<Clock::time_point> ParseAsOf(std::string_view text) {
  auto t = ParseTime(text);
  if (!t)
    return InvalidArgument(
        "--as-of must be a date YYYY-MM-DD or an RFC 3339 time "
        "(2026-12-16T00:00:00Z), not '" +
        std::string(text.substr(0, 80)) + "'");
  return *t;
}

Result<ReleaseReport> BuildReport(const ReportOptions& o) {
  if (!PathExists(o.evidence_dir))
    return NotFound("no evidence store at " + o.evidence_dir +
                    " (give the station's evidence directory, STATION/evidence)");
  ReleaseReport r;
  Builder b(o, &r);
  SR_RETURN_IF_ERROR(b.Run());
  return r;
}

}  // namespace sr::audit
