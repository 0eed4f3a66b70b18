// The work of audit replay that runs on the worker threads.
#include "audit/replay_jobs.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include "audit/rerun.h"
#include "base/encoding.h"
#include "base/hash.h"
#include "policy/dsse.h"
#include "policy/statement.h"
#include "release/lifecycle_record.h"

namespace sr::audit::internal {
namespace v1 = strongroom::v1;

void Tally::Fail(std::uint64_t index, const std::string& check, std::string digest,
                 std::string message) {
  ++checks[check].failed;
  ++failure_count;
  if (failures.size() < max_kept)
    failures.push_back({index, check, std::move(digest), std::move(message)});
}

void Tally::NotRerun(std::uint64_t index, std::string reason) {
  ++not_rerunnable_count;
  if (not_rerunnable.size() < max_kept) not_rerunnable.push_back({index, std::move(reason)});
}

void Tally::Merge(Tally&& o) {
  for (auto& [name, c] : o.checks) {
    checks[name].passed += c.passed;
    checks[name].failed += c.failed;
  }
  failure_count += o.failure_count;
  not_rerunnable_count += o.not_rerunnable_count;
  signatures_verified += o.signatures_verified;
  signatures_not_checkable += o.signatures_not_checkable;
  hashes += o.hashes;
  for (auto& f : o.failures) failures.push_back(std::move(f));
  for (auto& n : o.not_rerunnable) not_rerunnable.push_back(std::move(n));
}

namespace {

// One event's evidence reads: a failure names the object; ok() is false once
// any read failed.
class Reads {
 public:
  Reads(const EvidenceDir& ev, std::uint64_t index, Tally* t) : ev_(ev), index_(index), t_(t) {}
  // The object, shared (null when the read failed: named in the tally).
  EvidenceDir::Bytes Get(const std::string& what, const std::string& digest) {
    if (digest.empty()) {
      ok_ = false;
      t_->Fail(index_, "evidence", "", "the event records no digest for its " + what);
      return nullptr;
    }
    bool read = false;
    auto b = ev_.GetShared(digest, &read);
    if (read) ++t_->hashes;
    if (!b.ok()) {
      ok_ = false;
      t_->Fail(index_, "evidence", digest, what + ": " + b.status().message());
      return nullptr;
    }
    return std::move(b).value();
  }
  bool ok() const { return ok_; }

 private:
  const EvidenceDir& ev_;
  std::uint64_t index_;
  Tally* t_;
  bool ok_ = true;
};

std::string Short(const std::string& fp) { return fp.substr(0, 16) + "..."; }

// Every recorded signature against the recorded key and digest.
void CheckSignatures(const Job& j, const EvidenceDir::Bytes& manifest,
                     const EvidenceDir::Bytes& vsa, Tally* t) {
  const v1::SigningEvent& s = j.event->signing();
  const std::uint64_t i = j.index;
  const std::uint64_t failed_before = t->failure_count;
  auto fail = [&](std::string digest, std::string m) {
    t->Fail(i, "signature", std::move(digest), std::move(m));
  };
  std::shared_ptr<const policy::PublicKey> key;
  if (!s.key_public_key_pem().empty() && j.release_key &&
      j.release_key->pem() == s.key_public_key_pem() &&
      j.release_key->fingerprint() == s.key_fingerprint()) {
    key = j.release_key;  // the key the log published, as its PEM: parsed once
  } else if (!s.key_public_key_pem().empty()) {
    auto k = policy::PublicKey::FromPem(s.key_public_key_pem(), "the event's signing key");
    if (!k.ok())
      fail("", k.status().message());
    else if (k->fingerprint() != s.key_fingerprint())
      fail("", "the event's key_public_key_pem has fingerprint " + Short(k->fingerprint()) +
                   ", not the key_fingerprint " + Short(s.key_fingerprint()) + " it records");
    else
      key = std::make_shared<const policy::PublicKey>(std::move(k).value());
  } else if (j.release_key && j.release_key->fingerprint() == s.key_fingerprint()) {
    key = j.release_key;
  }
  std::map<std::string, std::string> artifact_digest;
  for (const auto& a : s.artifacts()) artifact_digest[a.name()] = a.sha256();
  std::set<std::string> signed_artifacts;
  bool manifest_signed = false, vsa_signed = false;
  for (const v1::SignatureRecord& r : s.signatures()) {
    const policy::PublicKey* k = nullptr;
    if (key && r.key_fingerprint() == key->fingerprint()) k = key.get();
    if (j.attestation_key && r.key_fingerprint() == j.attestation_key->fingerprint() &&
        r.key_fingerprint() == s.attestation_key_fingerprint())
      k = j.attestation_key.get();
    const std::string what = r.role() + (r.artifact_name().empty() ? "" : " " + r.artifact_name());
    if (k == nullptr) {
      fail(r.signed_sha256(), "the " + what + " signature's key " + Short(r.key_fingerprint()) +
                                  " is neither the event's signing key nor a station key the "
                                  "log published (KEY_GENERATED) as its attestation key");
      continue;
    }
    if (r.role() == "artifact") {
      auto it = artifact_digest.find(r.artifact_name());
      if (it == artifact_digest.end() || it->second != r.signed_sha256()) {
        fail(r.signed_sha256(), "the signature of artifact '" + r.artifact_name() + "' is over " +
                                    r.signed_sha256() +
                                    ", not an artifact digest the event records");
        continue;
      }
      signed_artifacts.insert(r.artifact_name());
      if (k->digest_name() != "sha256") {
        ++t->signatures_not_checkable;  // needs the artifact itself
        continue;
      }
      auto raw = HexDecode(r.signed_sha256());
      if (!raw.ok() || !k->VerifyDigest(*raw, r.signature())) {
        fail(r.signed_sha256(), "the signature of artifact '" + r.artifact_name() +
                                    "' does not verify under key " + Short(k->fingerprint()));
        continue;
      }
      ++t->signatures_verified;
      continue;
    }
    const bool is_manifest = r.role() == "manifest";
    if (!is_manifest && r.role() != "vsa") {
      fail(r.signed_sha256(), "a signature with the unknown role '" + r.role() + "'");
      continue;
    }
    (is_manifest ? manifest_signed : vsa_signed) = true;
    const EvidenceDir::Bytes& payload = is_manifest ? manifest : vsa;
    if (!payload) continue;  // already a failure of check "evidence"
    std::string pae = policy::PreAuthEncoding(policy::kInTotoPayloadType, *payload);
    ++t->hashes;
    if (Sha256Hex(pae) != r.signed_sha256()) {
      fail(r.signed_sha256(), "the " + r.role() + " signature is recorded over " +
                                  r.signed_sha256() + ", not the DSSE encoding of the stored " +
                                  r.role() + " payload");
      continue;
    }
    if (!k->Verify(pae, r.signature())) {
      fail(r.signed_sha256(),
           "the " + r.role() + " signature does not verify under key " + Short(k->fingerprint()));
      continue;
    }
    ++t->signatures_verified;
  }
  if (!key) fail("", "the event names no usable signing key (key_public_key_pem)");
  for (const auto& [name, digest] : artifact_digest)
    if (!signed_artifacts.count(name))
      fail(digest, "artifact '" + name + "' has no recorded signature");
  if (!manifest_signed) fail(s.manifest_sha256(), "no manifest signature is recorded");
  if (!vsa_signed && !s.vsa_sha256().empty()) fail(s.vsa_sha256(), "no VSA signature is recorded");
  if (t->failure_count == failed_before) t->Pass("signature");
}

std::string Reasons(const policy::Decision& d) {
  std::string out;
  for (const policy::Failure& f : d.failures) {
    if (out.size() > 600) return out + "; ...";
    out += (out.empty() ? "" : "; ") + policy::FormatFailure(f);
  }
  return out;
}

template <typename A, typename B>
bool SameSet(const A& a, const B& b) {
  return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
}

// The bindings the gate gives now against those the event records.
std::string BindingsMismatch(const v1::SigningBindings& b, const v1::SigningEvent& s) {
  auto diff = [](const std::string& field, const std::string& now, const std::string& then) {
    return field + " is " + (now.empty() ? "\"\"" : now) + " on re-run, the event records " +
           (then.empty() ? "\"\"" : then);
  };
  if (b.key_authorization_id() != s.key_authorization_id())
    return diff("the key authorization", b.key_authorization_id(), s.key_authorization_id());
  if (b.policy_digest() != s.policy_sha256())
    return diff("the policy", b.policy_digest(), s.policy_sha256());
  if (b.policy_version() != s.policy_version())
    return diff("the policy version", std::to_string(b.policy_version()),
                std::to_string(s.policy_version()));
  if (b.approval_digest() != s.approval_sha256())
    return diff("the approval", b.approval_digest(), s.approval_sha256());
  if (b.provenance_digest() != s.provenance_sha256())
    return diff("the provenance", b.provenance_digest(), s.provenance_sha256());
  if (b.builder_id() != s.builder_id()) return diff("the builder", b.builder_id(), s.builder_id());
  if (b.keyless_provenance().SerializeAsString() != s.keyless_provenance().SerializeAsString())
    return diff(
        "the keyless provenance (identity, certificate, Rekor entry)",
        b.keyless_provenance().identity() + " cert " + b.keyless_provenance().certificate_sha256() +
            " log index " + std::to_string(b.keyless_provenance().rekor_log_index()),
        s.keyless_provenance().identity() + " cert " + s.keyless_provenance().certificate_sha256() +
            " log index " + std::to_string(s.keyless_provenance().rekor_log_index()));
  if (!SameSet(b.evidence_digests(), s.evidence_sha256()))
    return "the test evidence that counted differs from the event's evidence_sha256";
  if (b.vex_digest() != s.vex_sha256()) return diff("the VEX", b.vex_digest(), s.vex_sha256());
  if (b.vex_signer_fingerprint() != s.vex_signer_fingerprint())
    return diff("the VEX signer", b.vex_signer_fingerprint(), s.vex_signer_fingerprint());
  std::vector<std::string> docs_now, docs_then;
  for (const auto& d : b.documents()) docs_now.push_back(d.kind() + "=" + d.sha256());
  for (const auto& d : s.documents()) docs_then.push_back(d.kind() + "=" + d.sha256());
  if (!SameSet(docs_now, docs_then))
    return "the bound documents that counted differ from the event's documents";
  std::vector<std::string> approvers;
  for (const auto& a : s.approvers()) approvers.push_back(a.fingerprint());
  if (!SameSet(b.approver_fingerprints(), approvers))
    return "the approvers that counted differ from the event's approvers";
  return "";
}

void RunSigning(const Job& j, const EvidenceDir& ev, Tally* t) {
  const v1::SigningEvent& s = j.event->signing();
  Reads r(ev, j.index, t);
  auto approval = r.Get("approval", s.approval_sha256());
  auto provenance = r.Get("provenance", s.provenance_sha256());
  std::vector<std::string> evidence;
  for (const std::string& d : s.evidence_sha256())
    if (auto b = r.Get("test evidence", d)) evidence.push_back(*b);
  EvidenceDir::Bytes vex;
  if (!s.vex_sha256().empty()) vex = r.Get("VEX", s.vex_sha256());
  std::vector<policy::Artifact> documents;
  for (const auto& d : s.documents())
    if (r.Get("document " + d.name(), d.sha256())) documents.push_back({d.name(), d.sha256()});
  auto manifest = r.Get("manifest payload", s.manifest_sha256());
  EvidenceDir::Bytes vsa;
  if (!s.vsa_sha256().empty()) vsa = r.Get("VSA payload", s.vsa_sha256());
  // A keyless builder's bundle is verified again against the trusted root
  // of the policy then in force, read back from the store by its digest.
  EvidenceDir::Bytes root;
  if (s.has_keyless_provenance() && j.policy)
    root = r.Get("Sigstore trusted root of policy version " +
                     std::to_string(j.policy->loaded.policy.version()),
                 j.policy->loaded.policy.sigstore_trusted_root_sha256());
  if (r.ok()) t->Pass("evidence");
  CheckSignatures(j, manifest, vsa, t);

  if (!j.policy) {
    t->Fail(j.index, "gate", j.policy_sha256,
            j.policy_sha256.empty()
                ? "no policy was installed before this SIGNING event"
                : "the policy in force (" + j.policy_sha256 +
                      ") could not be read: give the station's policy directory with --policies");
    return;
  }
  if (!approval || !provenance || static_cast<int>(evidence.size()) != s.evidence_sha256_size() ||
      (!s.vex_sha256().empty() && !vex) ||
      static_cast<int>(documents.size()) != s.documents_size() ||
      (s.has_keyless_provenance() && !root))
    return;  // named by check "evidence"; the gate cannot be re-run without them
  policy::SigningRequest req;
  req.product = s.product();
  req.version = s.version();
  for (const auto& a : s.artifacts()) req.artifacts.push_back({a.name(), a.sha256()});
  req.key_fingerprint = s.key_fingerprint();
  policy::GateInputs in;
  in.policy = j.policy->envelope;
  in.parsed_policy = &j.policy->loaded;
  in.approval = *approval;
  in.provenance = *provenance;
  in.evidence = std::move(evidence);
  if (vex) in.vex = *vex;
  in.documents = std::move(documents);
  if (root) in.trusted_root = *root;
  policy::Decision d = policy::Evaluate(req, in, *j.facts, j.at);
  if (!d.allowed()) {
    t->Fail(j.index, "gate", s.approval_sha256(),
            "the policy in force (version " + std::to_string(j.policy->loaded.policy.version()) +
                ") refuses this release on re-run: " + Reasons(d));
    return;
  }
  if (std::string m = BindingsMismatch(d.bindings, s); !m.empty()) {
    t->Fail(j.index, "gate", s.approval_sha256(), "the gate allows it on re-run, but " + m);
    return;
  }
  t->Pass("gate");
}

bool IsDocumentRole(const std::string& role) {
  return role == "approval" || role == "provenance" || role.starts_with("evidence[") ||
         role == "vex" || role.starts_with("document[");
}

void RunRefusal(const Job& j, const EvidenceDir& ev, Tally* t) {
  const v1::RefusalEvent& r = j.event->refusal();
  auto presented = [&](const std::string& role) {
    return std::any_of(r.inputs().begin(), r.inputs().end(),
                       [&](const v1::PresentedInput& in) { return in.role() == role; });
  };
  std::string not_rerun;
  for (const auto& reason : r.reasons()) {
    ReasonClass c = ClassifyReason(reason.code());
    std::string why;
    if (!c.rerunnable)
      why = std::string(c.why);
    else if (IsDocumentRole(reason.input()) && !presented(reason.input()))
      why = "its " + reason.input() + " was not stored (not read)";
    if (!why.empty()) not_rerun += (not_rerun.empty() ? "" : "; ") + reason.code() + ": " + why;
  }
  if (r.reasons_size() == 0) not_rerun = "no reason recorded";
  if (!not_rerun.empty()) return t->NotRerun(j.index, "not re-runnable: " + not_rerun);

  Reads reads(ev, j.index, t);
  policy::SigningRequest req;
  req.product = r.product();
  req.version = r.version();
  req.key_fingerprint = r.key_fingerprint();
  req.artifacts.reserve(r.inputs_size());
  // Each presented document is checked (in the store, hashing to its
  // digest) at every event that presents it; its bytes are copied into the
  // gate's inputs only if the full re-run below needs them.
  EvidenceDir::Bytes policy_bytes, approval, provenance, vex;
  std::string policy_digest;
  std::vector<EvidenceDir::Bytes> evidence;
  std::vector<policy::Artifact> documents;
  for (const auto& p : r.inputs()) {
    if (p.role() == "artifact") {
      req.artifacts.push_back({p.name(), p.sha256()});
      continue;
    }
    auto b = reads.Get(p.role(), p.sha256());
    if (!b) continue;
    if (p.role() == "policy") {
      policy_bytes = std::move(b);
      policy_digest = p.sha256();
    } else if (p.role() == "approval") {
      approval = std::move(b);
    } else if (p.role() == "provenance") {
      provenance = std::move(b);
    } else if (p.role().starts_with("evidence[")) {
      std::size_t k = std::strtoul(p.role().c_str() + 9, nullptr, 10);
      if (k >= policy::kMaxEvidence) continue;
      if (evidence.size() <= k) evidence.resize(k + 1);
      evidence[k] = std::move(b);
    } else if (p.role() == "vex") {
      vex = std::move(b);
    } else if (p.role().starts_with("document[")) {
      documents.push_back({p.name(), p.sha256()});
    }
  }
  if (!reads.ok()) return;  // named by check "evidence"
  t->Pass("evidence");
  // The policy presented is the policy in force when its envelope's digest
  // is: the bytes were just checked against that digest.
  const policy::LoadedPolicy* parsed_policy = nullptr;
  if (j.policy && (policy_bytes ? policy_digest == j.policy->envelope_sha256 : true))
    parsed_policy = &j.policy->loaded;
  // Refused only for reasons the gate decides before it reads a document
  // (an "already signed" retry): the gate given the policy alone finds them
  // as the full re-run would; otherwise (or if it does not) the full re-run
  // below is the judge.
  if (std::all_of(r.reasons().begin(), r.reasons().end(),
                  [](const auto& x) { return DecidedWithoutDocuments(x.code()); })) {
    std::optional<policy::Checked<policy::LoadedPolicy>> own;
    const policy::LoadedPolicy* lp = parsed_policy;
    if (lp == nullptr && policy_bytes) {
      own = policy::ParsePolicy(*policy_bytes, "policy");
      if (own->ok()) lp = &own->value();
    }
    if (lp != nullptr || !policy_bytes) {
      std::vector<std::string> found =
          policy::EvaluateWithoutDocuments(req, lp, *j.facts, j.at).ReasonNames();
      if (std::all_of(r.reasons().begin(), r.reasons().end(), [&](const auto& x) {
            return std::find(found.begin(), found.end(), x.code()) != found.end();
          }))
        return t->Pass("refusal");
    }
  }
  policy::GateInputs in;
  in.parsed_policy = parsed_policy;
  if (policy_bytes)
    in.policy = *policy_bytes;
  else if (j.policy)
    in.policy = j.policy->envelope;
  if (approval) in.approval = *approval;
  if (provenance) in.provenance = *provenance;
  for (const EvidenceDir::Bytes& e : evidence) in.evidence.push_back(e ? *e : std::string());
  if (vex) in.vex = *vex;
  in.documents = std::move(documents);
  // The trusted root as the station held it: a refusal for a missing root
  // (TRUSTED_ROOT_MISSING) is judged again without it.
  if (j.policy && !j.policy->loaded.policy.sigstore_trusted_root_sha256().empty())
    if (auto root = ev.GetShared(j.policy->loaded.policy.sigstore_trusted_root_sha256()); root.ok())
      in.trusted_root = **root;
  policy::Decision d = policy::Evaluate(req, in, *j.facts, j.at);
  if (d.allowed())
    return t->Fail(j.index, "refusal", "",
                   "the gate allows this release on re-run, but the event records it refused "
                   "for " +
                       r.reasons(0).code());
  std::vector<std::string> now = d.ReasonNames();
  std::set<std::string> now_set(now.begin(), now.end());
  for (const auto& reason : r.reasons()) {
    if (!now_set.count(reason.code())) {
      std::string list;
      for (const std::string& n : now) list += (list.empty() ? "" : ", ") + n;
      return t->Fail(j.index, "refusal", "",
                     "the event records the reason " + reason.code() +
                         ", which the gate does not find on re-run (it finds: " + list + ")");
    }
  }
  t->Pass("refusal");
}

// A LIFECYCLE_RECORDED event, or a REFUSAL of a lifecycle record (input
// role "record"): the stored envelope hashes to the digest the event names,
// and judging it again with the policy in force and the release as signed
// before it accepts it with the same fields and signer (refuses it for at
// least the recorded reasons). Check "record".
void RunRecord(const Job& j, const EvidenceDir& ev, Tally* t) {
  const bool recorded = j.event->kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED;
  std::string digest;
  if (recorded) {
    digest = j.event->lifecycle_recorded().envelope_sha256();
  } else {
    const v1::RefusalEvent& r = j.event->refusal();
    std::string not_rerun;
    for (const auto& reason : r.reasons())
      if (ReasonClass c = ClassifyReason(reason.code()); !c.rerunnable)
        not_rerun += (not_rerun.empty() ? "" : "; ") + reason.code() + ": " + std::string(c.why);
    for (const auto& in : r.inputs())
      if (in.role() == "record") digest = in.sha256();
    if (digest.empty())
      not_rerun += (not_rerun.empty() ? "" : "; ") + std::string("the record was not read");
    if (!not_rerun.empty()) return t->NotRerun(j.index, "not re-runnable: " + not_rerun);
  }
  Reads reads(ev, j.index, t);
  EvidenceDir::Bytes bytes = reads.Get("lifecycle record", digest);
  if (!bytes) return;  // named by check "evidence"
  t->Pass("evidence");
  std::optional<release::SignedReleaseFacts> signed_release;
  for (const policy::SignedRelease& s : j.facts->signed_releases)
    if (s.event_index)
      signed_release = release::SignedReleaseFacts{*s.event_index, s.artifact_sha256};
  std::vector<std::string> now;
  release::RecordJudgement judged;
  auto parsed = release::ParseLifecycleRecord(*bytes);
  if (parsed.ok()) {
    judged = release::JudgeLifecycleRecord(*parsed, j.policy ? &j.policy->loaded : nullptr,
                                           signed_release);
    for (const auto& f : judged.failures) now.push_back(std::string(policy::ReasonName(f.reason)));
  } else {
    now.push_back(std::string(policy::ReasonName(parsed.failure().reason)));
  }
  std::string list;
  for (const std::string& n : now) list += (list.empty() ? "" : ", ") + n;
  if (recorded) {
    if (!now.empty())
      return t->Fail(j.index, "record", digest,
                     "the event records a " + j.event->lifecycle_recorded().record_type() +
                         " record accepted, but judged again with the policy in force it is "
                         "refused: " +
                         list);
    if (std::string m = release::RecordedEventMismatch(j.event->lifecycle_recorded(),
                                                       release::RecordedEventOf(*parsed, judged));
        !m.empty())
      return t->Fail(j.index, "record", digest,
                     "the event does not say what the record says: " + m);
    return t->Pass("record");
  }
  std::set<std::string> now_set(now.begin(), now.end());
  for (const auto& reason : j.event->refusal().reasons())
    if (!now_set.count(reason.code()))
      return t->Fail(j.index, "record", digest,
                     "the event records the reason " + reason.code() +
                         ", which judging the record again does not find (it finds: " +
                         (list.empty() ? "none: it would be accepted" : list) + ")");
  t->Pass("record");
}

}  // namespace

void RunJob(const Job& job, const EvidenceDir& evidence, Tally* tally) {
  if (job.event->kind() == v1::EVENT_KIND_SIGNING)
    RunSigning(job, evidence, tally);
  else if (job.event->kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED)
    RunRecord(job, evidence, tally);
  else if (std::any_of(job.event->refusal().inputs().begin(), job.event->refusal().inputs().end(),
                       [](const v1::PresentedInput& in) { return in.role() == "record"; }))
    RunRecord(job, evidence, tally);
  else
    RunRefusal(job, evidence, tally);
}

}  // namespace sr::audit::internal

namespace sr::audit::internal {

void EvidenceNames(const Job& job, std::vector<std::string>* names) {
  const v1::Event& e = *job.event;
  auto add = [&](const std::string& d) {
    if (!d.empty()) names->push_back(d);
  };
  if (e.kind() == v1::EVENT_KIND_SIGNING) {
    const v1::SigningEvent& s = e.signing();
    add(s.approval_sha256());
    add(s.provenance_sha256());
    for (const std::string& d : s.evidence_sha256()) add(d);
    add(s.vex_sha256());
    for (const auto& d : s.documents()) add(d.sha256());
    add(s.manifest_sha256());
    add(s.vsa_sha256());
  } else if (e.kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED) {
    add(e.lifecycle_recorded().envelope_sha256());
  } else {
    for (const v1::PresentedInput& in : e.refusal().inputs())
      if (in.role() != "artifact") add(in.sha256());
  }
}

}  // namespace sr::audit::internal
