#include "release/verify.h"

#include <google/protobuf/util/time_util.h>

#include <map>
#include <optional>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "log/proof.h"
#include "policy/dsse.h"
#include "policy/gate.h"
#include "policy/json.h"
#include "policy/keys.h"
#include "policy/trust_policy.h"
#include "proto/event.pb.h"
#include "proto/signing.pb.h"
#include "release/outputs.h"

namespace sr::release {
namespace v1 = strongroom::v1;
namespace {

constexpr std::uint64_t kMaxSmallFile = 4u << 20;

struct Checker {
  ReleaseVerifyReport report;
  bool Check(bool ok, std::string check, std::string subject, std::string message) {
    report.checks.push_back({std::move(check), std::move(subject), ok, std::move(message)});
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
std::optional<policy::PublicKey> TrustedKey(Checker& c, const ReleaseVerifyOptions& o,
                                            const Manifest& m, std::string* vkey_out) {
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
  auto pem = ReadFile(JoinPath(o.release_dir, kSigningKeyFile), 16384);
  if (!pem.ok()) return c.Fail("trusted-key", pem.status().message());
  auto k = policy::PublicKey::FromPem(*pem, std::string(kSigningKeyFile));
  if (!k.ok()) return c.Fail("trusted-key", k.status().message());
  policy::SigningRequest req{m.m.product(), m.m.version(), {}, k->fingerprint()};
  auto auth = policy::CheckKeyAuthorization(lp->policy, req, when);
  for (const auto& f : auth.failures) problems += " " + policy::FormatFailure(f) + ";";
  if (vkey_out->empty()) *vkey_out = lp->policy.log_verifier_key();
  if (!problems.empty())
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
    std::string name = BaseName(path);
    bool ed = key.digest_name().empty();
    std::string bytes, sha256, keyed;
    if (ed) {
      auto b = ReadFile(path, kMaxEd25519ArtifactBytes);
      if (!b.ok()) {
        c.Check(false, "artifact-digest", name, b.status().message());
        continue;
      }
      bytes = std::move(b).value();
      sha256 = Sha256Bytes(bytes);
    } else {
      auto d = HashFile(path, key.digest_name() == "sha384");
      if (!d.ok()) {
        c.Check(false, "artifact-digest", name, d.status().message());
        continue;
      }
      sha256 = d->sha256;
      keyed = key.digest_name() == "sha384" ? d->sha384 : d->sha256;
    }
    std::string hex = HexEncode(sha256);
    bool listed = false;
    for (const auto& s : m.statement.subjects) {
      auto it = s.digest.find("sha256");
      if (s.name == name && it != s.digest.end() && it->second == hex) listed = true;
    }
    c.Check(listed, "artifact-digest", name,
            listed ? "sha256 " + hex + " is a subject of the manifest"
                   : "sha256 " + hex + " is not the manifest's digest for '" + name +
                         "': this is not the artifact that was signed");
    auto sig = ReadFile(JoinPath(o.release_dir, name + std::string(kSignatureSuffix)), 4096);
    if (!sig.ok()) {
      c.Check(false, "artifact-signature", name, sig.status().message());
      continue;
    }
    bool ok = ed ? key.Verify(bytes, *sig) : key.VerifyDigest(keyed, *sig);
    c.Check(ok, "artifact-signature", name,
            ok ? "detached signature verifies with key " + key.fingerprint().substr(0, 16) + "..."
               : "the detached signature " + name + ".sig does not verify over the file");
    (*sigs)[name] = *sig;
  }
}

std::optional<v1::SigningEvent> CheckProof(Checker& c, const ReleaseVerifyOptions& o,
                                           const std::string& vkey, const Manifest& m) {
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
  return s;
}

void CheckEvent(Checker& c, const v1::SigningEvent& s, const Manifest& m,
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
  SR_ASSIGN_OR_RETURN(std::string text,
                      ReadFile(JoinPath(o.release_dir, kManifestFile), kMaxSmallFile));
  Checker c;
  std::optional<Manifest> m = ParseManifest(c, text);
  if (!m) return c.report;
  c.report.product = m->m.product();
  c.report.version = m->m.version();
  c.report.log_index = m->m.log_index();
  std::string vkey = o.vkey;
  std::optional<policy::PublicKey> key = TrustedKey(c, o, *m, &vkey);
  if (!key) return c.report;
  c.report.key_fingerprint = key->fingerprint();
  bool ms = policy::VerifySignatures(m->env, {*key}).accepted.size() == 1 &&
            m->m.key_fingerprint() == key->fingerprint();
  c.Check(ms, "manifest-signature", "",
          ms ? "the manifest is signed by the trusted key"
             : "the manifest is not signed by the trusted key " + key->fingerprint());
  std::map<std::string, std::string> sigs;
  CheckArtifacts(c, o, *m, *key, &sigs);
  if (vkey.empty()) {
    c.Check(false, "tlog-proof", "",
            "no log verifier key: give --vkey (or a policy that names one)");
  } else if (auto s = CheckProof(c, o, vkey, *m)) {
    CheckEvent(c, *s, *m, *key, sigs);
    CheckVsa(c, o, *s, *m);
  }
  c.report.ok = true;
  for (const auto& ch : c.report.checks) c.report.ok = c.report.ok && ch.ok;
  return c.report;
}

}  // namespace sr::release
