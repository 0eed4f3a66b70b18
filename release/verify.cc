#include "release/verify.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <optional>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/cosignature.h"
#include "log/note.h"
#include "log/proof.h"
#include "policy/dsse.h"
#include "policy/gate.h"
#include "policy/json.h"
#include "policy/keys.h"
#include "policy/revocation.h"
#include "policy/trust_policy.h"
#include "policy/version.h"
#include "proto/event.pb.h"
#include "proto/signing.pb.h"
#include "release/outputs.h"

namespace sr::release {
namespace v1 = strongroom::v1;
namespace {

constexpr std::uint64_t kMaxSmallFile = 4u << 20;

struct Checker {
  ReleaseVerifyReport report;
  bool Check(bool ok, std::string check, std::string subject, std::string message,
             std::string file = "") {
    report.checks.push_back(
        {std::move(check), std::move(subject), std::move(file), ok, std::move(message)});
    return ok;
  }
  // Records a failed check of the release; what the check functions return then.
  std::nullopt_t Fail(std::string check, std::string message) {
    Check(false, std::move(check), "", std::move(message));
    return std::nullopt;
  }
};

struct Manifest {
  policy::Envelope env;
  policy::Statement statement;
  v1::UpdateManifest m;
};

std::optional<Manifest> ParseManifest(Checker& c, const std::string& text) {
  auto env = policy::ParseEnvelope(text, "manifest");
  if (!env.ok()) return c.Fail("manifest", policy::FormatFailure(env.failure()));
  auto st = policy::ParseStatement(*env, "manifest", {kUpdateManifestPredicate});
  if (!st.ok()) return c.Fail("manifest", policy::FormatFailure(st.failure()));
  Manifest out{*env, *st, {}};
  auto ok = policy::StructToMessage(st->predicate, &out.m, "manifest");
  if (!ok.ok()) return c.Fail("manifest", policy::FormatFailure(ok.failure()));
  c.Check(true, "manifest", "",
          "update manifest for " + out.m.product() + " " + out.m.version() + ", " +
              std::to_string(st->subjects.size()) + " artifact(s)");
  return out;
}

// The trusted signing key: given directly, or found in the release directory
// and authorized by a trusted policy for this product and version.
// A key the policy revokes is not refused here: whether its signature stands
// depends on where the log proves it was made (CheckRevocation); *policy_out
// keeps the trusted policy for that.
std::optional<policy::PublicKey> TrustedKey(Checker& c, const ReleaseVerifyOptions& o,
                                            const Manifest& m, std::string* vkey_out,
                                            std::optional<v1::TrustPolicy>* policy_out) {
  if (!o.key_pem.empty()) {
    auto k = policy::PublicKey::FromPem(o.key_pem, "--key");
    if (!k.ok()) return c.Fail("trusted-key", k.status().message());
    c.Check(true, "trusted-key", "", "the key you trust: " + k->fingerprint());
    return std::move(k).value();
  }
  auto lp = policy::ParsePolicy(o.policy_envelope, "policy");
  if (!lp.ok()) return c.Fail("trusted-key", policy::FormatFailure(lp.failure()));
  google::protobuf::Timestamp at;
  if (!google::protobuf::util::TimeUtil::FromString(m.m.signed_at(), &at))
    return c.Fail("trusted-key", "the manifest's signedAt is not RFC 3339");
  auto when = policy::ToTimePoint(at);
  std::string problems;
  for (const auto& f : policy::VerifyPolicySelf(*lp, when))
    problems += " " + policy::FormatFailure(f) + ";";
  if (o.product.empty() && lp->policy.products_size() > 1)
    return c.Fail("product",
                  "the trusted policy covers " + std::to_string(lp->policy.products_size()) +
                      " products: give --product (the product this device is), or a release "
                      "of one product could be installed on another");
  auto pem = ReadFile(JoinPath(o.release_dir, kSigningKeyFile), 16384);
  if (!pem.ok()) return c.Fail("trusted-key", pem.status().message());
  auto k = policy::PublicKey::FromPem(*pem, std::string(kSigningKeyFile));
  if (!k.ok()) return c.Fail("trusted-key", k.status().message());
  policy::SigningRequest req{m.m.product(), m.m.version(), {}, k->fingerprint()};
  auto auth = policy::CheckKeyAuthorization(lp->policy, req, when);
  for (const auto& f : auth.failures)
    if (f.reason != policy::Reason::kKeyRevoked) problems += " " + policy::FormatFailure(f) + ";";
  *policy_out = lp->policy;
  if (vkey_out->empty()) *vkey_out = lp->policy.log_verifier_key();
  if (!problems.empty() || auth.authorization_id.empty())
    return c.Fail("trusted-key",
                  "policy version " + std::to_string(lp->policy.version()) + ":" + problems);
  c.Check(true, "trusted-key", "",
          "key " + k->fingerprint() + " authorized by policy version " +
              std::to_string(lp->policy.version()) + " (" + auth.authorization_id + ") at " +
              m.m.signed_at());
  return std::move(k).value();
}

void CheckArtifacts(Checker& c, const ReleaseVerifyOptions& o, const Manifest& m,
                    const policy::PublicKey& key, std::map<std::string, std::string>* sigs) {
  for (const std::string& path : o.artifacts) {
    std::string file = BaseName(path);
    bool ed = key.digest_name().empty();
    std::string bytes, sha256, keyed;
    if (ed) {
      auto b = ReadFile(path, kMaxEd25519ArtifactBytes);
      if (!b.ok()) {
        c.Check(false, "artifact-digest", "", b.status().message(), file);
        continue;
      }
      bytes = std::move(b).value();
      sha256 = Sha256Bytes(bytes);
    } else {
      auto d = HashFile(path, key.digest_name() == "sha384");
      if (!d.ok()) {
        c.Check(false, "artifact-digest", "", d.status().message(), file);
        continue;
      }
      sha256 = d->sha256;
      keyed = key.digest_name() == "sha384" ? d->sha384 : d->sha256;
    }
    // Artifacts are matched to subjects by digest: a device may have saved
    // the download under any name. The subject's name then names the
    // signature file.
    std::string hex = HexEncode(sha256);
    const policy::Subject* subject = nullptr;
    bool digest_ok = false;
    for (const auto& s : m.statement.subjects) {
      auto it = s.digest.find("sha256");
      if (it != s.digest.end() && it->second == hex) subject = &s;
    }
    digest_ok = subject != nullptr;
    if (subject == nullptr) {
      // Named like a subject but other bytes: say which, and check its
      // signature too (it fails), so the report shows both.
      const policy::Subject* named = nullptr;
      for (const auto& s : m.statement.subjects)
        if (s.name == file) named = &s;
      c.Check(false, "artifact-digest", named ? named->name : "",
              "sha256 " + hex + " of " + file +
                  " is not the digest of any artifact of this manifest: this is not an "
                  "artifact that was signed in this release" +
                  (named ? " (the manifest's '" + file + "' has another digest)" : ""),
              file);
      if (named == nullptr) continue;
      subject = named;
    }
    const std::string& name = subject->name;
    if (o.match_names && name != file) {
      c.Check(false, "artifact-digest", name,
              "the file is named '" + file + "' but the manifest names this artifact '" + name +
                  "' (--name makes the name part of the check)", file);
      continue;
    }
    if (digest_ok)
      c.Check(true, "artifact-digest", name,
              "sha256 " + hex + " is the manifest's artifact '" + name + "'" +
                  (name == file ? std::string() : " (checked as the file '" + file + "')"),
              file);
    auto sig = ReadFile(JoinPath(o.release_dir, name + std::string(kSignatureSuffix)), 4096);
    if (!sig.ok()) {
      c.Check(false, "artifact-signature", name, sig.status().message(), file);
      continue;
    }
    bool ok = ed ? key.Verify(bytes, *sig) : key.VerifyDigest(keyed, *sig);
    c.Check(ok, "artifact-signature", name,
            ok ? "detached signature verifies with key " + key.fingerprint().substr(0, 16) + "..."
               : "the detached signature " + name + ".sig does not verify over " + file,
            file);
    (*sigs)[name] = *sig;
  }
}

// What the device says of itself against what the release was approved for.
void CheckDevice(Checker& c, const ReleaseVerifyOptions& o, const Manifest& m) {
  const v1::UpdateManifest& mf = m.m;
  if (!o.product.empty())
    c.Check(mf.product() == o.product, "product", "",
            mf.product() == o.product
                ? "the release is for product " + mf.product()
                : "the release is for product " + mf.product() + ", not " + o.product +
                      ": a release of another product must not be installed");
  if (!o.configuration.empty()) {
    const v1::Exclusion* excluded = nullptr;
    for (const auto& e : mf.exclusions())
      if (e.configuration() == o.configuration) excluded = &e;
    const auto& cfgs = mf.scope().configurations();
    bool in_scope = std::find(cfgs.begin(), cfgs.end(), o.configuration) != cfgs.end();
    if (excluded != nullptr)
      c.Check(false, "scope", "",
              "configuration " + o.configuration + " is excluded from this release (" +
                  excluded->reason() + "; follow-up " + excluded->follow_up_date() +
                  "): do not install it");
    else if (!in_scope)
      c.Check(false, "scope", "",
              "configuration " + o.configuration +
                  " is not in the release's approved scope (" +
                  [&] {
                    std::string l;
                    for (const auto& x : cfgs) l += (l.empty() ? "" : ", ") + x;
                    return l.empty() ? std::string("none") : l;
                  }() +
                  ")");
    else
      c.Check(true, "scope", "", "configuration " + o.configuration + " is approved");
  }
  if (!o.cohort.empty()) {
    const auto& cohorts = mf.scope().cohorts();
    bool ok = std::find(cohorts.begin(), cohorts.end(), o.cohort) != cohorts.end();
    c.Check(ok, "scope", "",
            ok ? "cohort " + o.cohort + " is approved"
               : "cohort " + o.cohort + " is not approved for this release");
  }
  if (!o.installed_version.empty()) {
    auto cmp = policy::CompareVersions(mf.version(), o.installed_version);
    if (!cmp)
      c.Check(false, "version", "",
              "cannot compare the release's version " + mf.version() + " with the installed " +
                  o.installed_version + " (dotted decimal versions only)");
    else
      c.Check(*cmp > 0, "version", "",
              *cmp > 0 ? "version " + mf.version() + " is above the installed " +
                             o.installed_version
                       : "version " + mf.version() + " is not above the installed " +
                             o.installed_version + ": installing it would be a rollback");
  }
}

// The SIGNING event a verified inclusion proof shows, with its log index and time.
struct ProvenEvent {
  v1::SigningEvent signing;
  std::uint64_t index = 0;
  std::string time;  // Event.time, RFC 3339
};

// The proof's checkpoint must carry K valid cosignatures by the witnesses.
void CheckWitnesses(Checker& c, const std::string& proof_text,
                    const std::vector<log::CosignatureVerifier>& witnesses, unsigned k) {
  auto f = log::InclusionProofFile::Parse(proof_text);
  if (!f.ok()) return (void)c.Check(false, "witness", "", f.status().message());
  std::vector<std::string> valid = log::ValidCosigners(f->checkpoint_note, witnesses);
  std::string names;
  for (const auto& w : witnesses)
    if (std::find(valid.begin(), valid.end(), w.ToString()) != valid.end())
      names += (names.empty() ? "" : ", ") + w.name();
  bool ok = valid.size() >= k;
  c.Check(ok, "witness", "",
          ok ? "the proof's checkpoint is cosigned by " + std::to_string(valid.size()) + " of " +
                   std::to_string(witnesses.size()) + " witnesses (" + names + "), " +
                   std::to_string(k) + " required"
             : "the proof's checkpoint carries " + std::to_string(valid.size()) +
                   " valid cosignature(s) by the given witnesses, " + std::to_string(k) +
                   " required: the log's view of this release was not witnessed (a split view "
                   "cannot be ruled out); get a proof against a cosigned checkpoint "
                   "(`strongroom log outputs` after `log add-cosignature`)");
}

std::optional<ProvenEvent> CheckProof(Checker& c, const ReleaseVerifyOptions& o,
                                      const std::string& vkey, const Manifest& m,
                                      const std::vector<log::CosignatureVerifier>& witnesses) {
  auto vk = log::NoteVerifier::Parse(vkey);
  if (!vk.ok()) return c.Fail("tlog-proof", "log verifier key: " + vk.status().message());
  auto text = ReadFile(JoinPath(o.release_dir, kProofFile), log::kMaxProofBytes);
  if (!text.ok()) return c.Fail("tlog-proof", text.status().message());
  auto pc = log::VerifyProofFile(*text, *vk, std::nullopt, std::nullopt);
  if (!pc.ok() || !pc->inclusion)
    return c.Fail("tlog-proof", pc.ok() ? "not an inclusion proof" : pc.status().message());
  c.Check(true, "tlog-proof", "",
          "event " + std::to_string(pc->index) + " is in " + pc->checkpoint.origin +
              " at tree size " + std::to_string(pc->checkpoint.size));
  if (o.witness_threshold > 0) CheckWitnesses(c, *text, witnesses, o.witness_threshold);
  v1::Event ev;
  bool ok = ev.ParseFromString(pc->event) && ev.kind() == v1::EVENT_KIND_SIGNING;
  std::string why;
  const v1::SigningEvent& s = ev.signing();
  if (!ok)
    why = "the proven event is not a SIGNING event";
  else if (s.manifest_sha256() != Sha256Hex(m.env.payload))
    why = "the event signed another manifest";
  else if (pc->index != m.m.log_index())
    why = "the manifest names log index " + std::to_string(m.m.log_index()) + ", the proof " +
          std::to_string(pc->index);
  else if (pc->checkpoint.origin != m.m.log_origin())
    why = "the manifest names log " + m.m.log_origin();
  else if (s.product() != m.m.product() || s.version() != m.m.version())
    why = "the event is for another release";
  if (!why.empty()) return c.Fail("event", why);
  return ProvenEvent{s, pc->index, ev.time()};
}

bool CheckEvent(Checker& c, const v1::SigningEvent& s, const Manifest& m,
                const policy::PublicKey& key, const std::map<std::string, std::string>& sigs) {
  bool ok = s.key_fingerprint() == key.fingerprint();
  const v1::SignatureRecord* ms = FindSignature(s, "manifest");
  ok = ok && ms != nullptr && !m.env.signatures.empty() &&
       ms->signature() == m.env.signatures[0].sig;
  auto by_artifact = ArtifactSignatures(s);
  for (const auto& [name, sig] : sigs) {
    auto r = by_artifact.find(name);
    if (r == by_artifact.end() || r->second->signature() != sig) ok = false;
  }
  c.Check(ok, "event", "",
          ok ? "SIGNING event binds this manifest, key and these signatures (policy version " +
                   std::to_string(s.policy_version()) + ", authorization " +
                   s.key_authorization_id() + ")"
             : "the logged SIGNING event does not hold this key or these signatures");
  return ok;
}

// A key the trusted policy revokes: its signature stands only when the
// verified SIGNING event (proven; nullopt without a verified proof) was
// logged before the revocation and before any compromise.
void CheckRevocation(Checker& c, const v1::TrustPolicy& p, const std::string& fp,
                     const std::optional<ProvenEvent>& proven) {
  std::optional<policy::ProvenSigning> at;
  google::protobuf::Timestamp t;
  if (proven && google::protobuf::util::TimeUtil::FromString(proven->time, &t))
    at = policy::ProvenSigning{proven->index, policy::ToTimePoint(t)};
  policy::RevocationJudgement j = policy::JudgeRevocation(p, fp, at);
  if (!j.revoked) return;
  for (const auto& f : j.failures) c.Check(false, "revocation", "", policy::FormatFailure(f));
  if (j.failures.empty()) c.Check(true, "revocation", "", j.summary);
}

std::vector<policy::Artifact> ManifestArtifacts(const Manifest& m) {
  std::vector<policy::Artifact> out;
  for (const auto& sub : m.statement.subjects) {
    auto it = sub.digest.find("sha256");
    out.push_back({sub.name, it == sub.digest.end() ? "" : it->second});
  }
  return out;
}

void CheckVsa(Checker& c, const ReleaseVerifyOptions& o, const v1::SigningEvent& s,
              const Manifest& m) {
  auto text = ReadFile(JoinPath(o.release_dir, kVsaFile), kMaxSmallFile);
  if (!text.ok()) return (void)c.Check(false, "vsa", "", text.status().message());
  std::string pem = o.attestation_key_pem;
  if (pem.empty()) {
    auto p = ReadFile(JoinPath(o.release_dir, kAttestationKeyFile), 16384);
    if (!p.ok()) return (void)c.Check(false, "vsa", "", p.status().message());
    pem = *p;
  }
  auto key = policy::PublicKey::FromPem(pem, "station attestation key");
  auto env = policy::ParseEnvelope(*text, "vsa");
  std::string why;
  if (!key.ok())
    why = key.status().message();
  else if (key->fingerprint() != s.attestation_key_fingerprint())
    why = "the attestation key is not the one the signing event names";
  else if (!env.ok())
    why = policy::FormatFailure(env.failure());
  else if (Sha256Hex(env->payload) != s.vsa_sha256())
    why = "the VSA is not the one logged with the signing event";
  else if (policy::VerifySignatures(*env, {*key}).accepted.empty())
    why = "the VSA signature does not verify";
  if (why.empty()) {
    auto st = policy::ParseStatement(*env, "vsa", {kVsaPredicate});
    if (!st.ok())
      why = policy::FormatFailure(st.failure());
    else if (!policy::SubjectDifference(st->subjects, ManifestArtifacts(m)).empty())
      why = "the VSA covers other artifacts than the manifest";
    else if (auto* r = policy::FindField(st->predicate, "verificationResult");
             r == nullptr || r->string_value() != "PASSED")
      why = "the VSA does not say PASSED";
  }
  c.Check(why.empty(), "vsa", "",
          why.empty() ? "VSA (verificationResult PASSED) signed by station attestation key " +
                            s.attestation_key_fingerprint().substr(0, 16) + "..."
                      : why);
}

}  // namespace

Result<ReleaseVerifyReport> VerifyRelease(const ReleaseVerifyOptions& o) {
  if (o.artifacts.empty()) return InvalidArgument("give at least one --artifact FILE to verify");
  if (o.key_pem.empty() == o.policy_envelope.empty())
    return InvalidArgument(
        "give exactly one of --key PEM (the signing key you trust) or --policy FILE");
  std::optional<google::protobuf::Timestamp> compromised;
  if (!o.compromised_since.empty()) {
    compromised.emplace();
    if (o.compromised_since.size() > 64 ||
        !google::protobuf::util::TimeUtil::FromString(o.compromised_since, &*compromised))
      return InvalidArgument("--compromised-since '" + o.compromised_since.substr(0, 64) +
                             "' is not an RFC 3339 time (e.g. 2026-11-30T08:00:00Z)");
  }
  std::vector<log::CosignatureVerifier> witnesses;
  for (const std::string& w : o.witnesses) {
    auto v = log::CosignatureVerifier::Parse(w);
    if (!v.ok()) return v.status().Annotate("--witness");
    witnesses.push_back(std::move(v).value());
  }
  if (o.witness_threshold > witnesses.size())
    return InvalidArgument("--witness-threshold " + std::to_string(o.witness_threshold) +
                           " needs at least that many --witness keys (" +
                           std::to_string(witnesses.size()) + " given)");
  SR_ASSIGN_OR_RETURN(std::string text,
                      ReadFile(JoinPath(o.release_dir, kManifestFile), kMaxSmallFile));
  Checker c;
  std::optional<Manifest> m = ParseManifest(c, text);
  if (!m) return c.report;
  c.report.product = m->m.product();
  c.report.version = m->m.version();
  c.report.log_index = m->m.log_index();
  std::string vkey = o.vkey;
  std::optional<v1::TrustPolicy> trusted_policy;
  std::optional<policy::PublicKey> key = TrustedKey(c, o, *m, &vkey, &trusted_policy);
  if (!key) return c.report;
  c.report.key_fingerprint = key->fingerprint();
  bool ms = policy::VerifySignatures(m->env, {*key}).accepted.size() == 1 &&
            m->m.key_fingerprint() == key->fingerprint();
  c.Check(ms, "manifest-signature", "",
          ms ? "the manifest is signed by the trusted key"
             : "the manifest is not signed by the trusted key " + key->fingerprint());
  CheckDevice(c, o, *m);
  std::map<std::string, std::string> sigs;
  CheckArtifacts(c, o, *m, *key, &sigs);
  std::optional<ProvenEvent> proven;
  if (vkey.empty()) {
    c.Check(false, "tlog-proof", "",
            "no log verifier key: give --vkey (or a policy that names one)");
  } else if (auto s = CheckProof(c, o, vkey, *m, witnesses)) {
    if (CheckEvent(c, s->signing, *m, *key, sigs)) proven = *s;
    CheckVsa(c, o, s->signing, *m);
  }
  if (trusted_policy) CheckRevocation(c, *trusted_policy, key->fingerprint(), proven);
  if (compromised) {
    // The same rule as a policy's compromisedSince, for this key alone.
    v1::TrustPolicy known;
    v1::RevokedKey* rk = known.add_revoked_keys();
    rk->set_key_fingerprint(key->fingerprint());
    rk->set_reason("--compromised-since " + o.compromised_since);
    *rk->mutable_compromised_since() = *compromised;
    *rk->mutable_revoked_at() = *compromised;
    CheckRevocation(c, known, key->fingerprint(), proven);
  }
  c.report.ok = true;
  for (const auto& ch : c.report.checks) c.report.ok = c.report.ok && ch.ok;
  return c.report;
}

}  // namespace sr::release
