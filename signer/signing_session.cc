#include "signer/signing_session.h"

#include <signal.h>
#include <stdlib.h>

#include <future>
#include <string_view>
#include <thread>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/proof.h"
#include "policy/dsse.h"
#include "policy/trust_policy.h"
#include "release/outputs.h"
#include "signer/evidence_store.h"
#include "signer/output_staging.h"
#include "signer/signing_internal.h"
#include "station/layout.h"
#include "station/station_log.h"
#include "station/trusted_root_store.h"

namespace sr::signer {
namespace v1 = strongroom::v1;
using internal::Prepared;
using internal::SessionContext;

namespace {

constexpr std::uint64_t kMaxPolicyBytes = 4u << 20;
// Output directories of at most this many files in all are created on the
// session's thread, not on a second one, while the HSM signs.
constexpr std::size_t kOutputFilesOnThisThread = 32;

void At(const SessionOptions& o, std::string_view step) {
  if (o.at) o.at(step);
}

Result<std::string> ReadInstalledPolicy(const Station& st) {
  std::string path = layout::CurrentPolicy(st.dir());
  if (!PathExists(path)) return std::string();
  return ReadFile(path, kMaxPolicyBytes);
}

std::map<std::string, std::string> ApproverNames(const std::optional<policy::LoadedPolicy>& lp) {
  std::map<std::string, std::string> out;
  if (!lp) return out;
  for (const auto& prod : lp->policy.products())
    for (const auto& k : prod.approvers().keys())
      if (const policy::PublicKey* pk = lp->Key(k)) out[pk->fingerprint()] = k.name();
  return out;
}

// The trusted root the policy names, "" when none or unreadable: the gate
// refuses a keyless builder's bundle then with TRUSTED_ROOT_MISSING, logged.
std::string TrustedRootOf(const Station& st, const policy::LoadedPolicy& lp) {
  auto root = ReadTrustedRoot(st.dir(), lp.policy);
  return root.ok() ? std::move(*root) : std::string();
}

std::optional<policy::LoadedPolicy> ParseOnce(const std::string& bytes) {
  if (bytes.empty()) return std::nullopt;
  auto lp = policy::ParsePolicy(bytes, "policy");
  if (!lp.ok()) return std::nullopt;  // the gate parses it again and reports why
  return std::move(lp).value();
}

// What the evidence store keeps of a release, so that its decision can be
// re-verified later: every input presented, and the payloads an allowed
// release will have signed.
void EvidenceOf(const Prepared& p, std::vector<std::string_view>& out) {
  for (const internal::PresentedFile& f : p.inputs) out.push_back(f.bytes);
  if (!p.manifest_payload.empty()) out.push_back(p.manifest_payload);
  if (!p.vsa_payload.empty()) out.push_back(p.vsa_payload);
}

// Puts every object, then one file-system sync makes them all durable.
template <typename Objects>
Status KeepEvidence(EvidenceStore& store, const Objects& objects) {
  for (const auto& o : objects) SR_RETURN_IF_ERROR(store.Put(o, /*durable=*/false).status());
  return store.Sync();
}

v1::SignatureRecord Record(std::string role, std::string artifact, const hsm::KeyInfo& key,
                           std::string sig, std::string signed_sha256) {
  v1::SignatureRecord r;
  r.set_role(std::move(role));
  r.set_artifact_name(std::move(artifact));
  r.set_algorithm(std::string(hsm::AlgorithmName(key.algorithm)));
  r.set_signature(std::move(sig));
  r.set_signed_sha256(std::move(signed_sha256));
  r.set_key_fingerprint(key.fingerprint_hex);
  return r;
}

// Step 5 for one release: every artifact, the manifest, the VSA.
Status SignInHsm(SessionContext& ctx, LogKeySigner& station_keys, Prepared& p,
                 const SessionOptions& o, bool first) {
  const hsm::KeyInfo& k = p.key->info;
  for (const internal::HashedArtifact& a : p.artifacts) {
    Result<std::string> sig =
        k.algorithm == hsm::Algorithm::kEd25519     ? ctx.release.Sign(*p.key, a.bytes)
        : k.algorithm == hsm::Algorithm::kEcdsaP384 ? ctx.release.SignDigest(*p.key, a.sha384)
                                                    : ctx.release.SignDigest(*p.key, a.sha256);
    SR_RETURN_IF_ERROR(sig.status().Annotate("signing artifact " + a.name));
    p.signatures.push_back(
        Record("artifact", a.name, k, std::move(sig).value(), HexEncode(a.sha256)));
    if (first && p.signatures.size() == 1) At(o, "mid-hsm");
  }
  std::string pae = policy::PreAuthEncoding(policy::kInTotoPayloadType, p.manifest_payload);
  SR_ASSIGN_OR_RETURN(std::string msig, ctx.release.Sign(*p.key, pae));
  p.signatures.push_back(Record("manifest", "", k, std::move(msig), Sha256Hex(pae)));
  std::string vpae = policy::PreAuthEncoding(policy::kInTotoPayloadType, p.vsa_payload);
  SR_ASSIGN_OR_RETURN(std::string vsig, station_keys.SignAttestation(vpae));
  p.signatures.push_back(
      Record("vsa", "", station_keys.attestation_key(), std::move(vsig), Sha256Hex(vpae)));
  return Status::Ok();
}

ReleaseResult ResultOf(const Prepared& p) {
  ReleaseResult r;
  r.product = p.request->product;
  r.version = p.request->version;
  r.out_dir = p.out_dir;
  r.failures = p.failures;
  r.mistake = p.mistake;
  if (!p.failures.empty()) {
    r.outcome = Outcome::kRefused;
  } else {
    // Allowed: Complete() sets the outcome once the outputs are written.
    r.outcome = Outcome::kFailed;
    r.error = p.error.ok() ? Internal("the signing did not complete") : p.error;
  }
  return r;
}

// When the release token cannot be used at all: every release is logged as
// failed, with the reason, and nothing is signed.
std::vector<ReleaseResult> FailAll(StationLog& log, const std::vector<ReleaseRequest>& releases,
                                   const Status& error) {
  std::vector<ReleaseResult> results;
  std::vector<v1::Event> events;
  std::vector<Prepared> ps(releases.size());
  for (std::size_t i = 0; i < releases.size(); ++i) {
    ps[i].request = &releases[i];
    ps[i].out_dir = releases[i].out_dir;
    ps[i].error = error;
    events.push_back(internal::FailedEvent(ps[i]));
    results.push_back(ResultOf(ps[i]));
  }
  auto first = log.AppendMany(events);
  if (first.ok() && log.Commit().ok()) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      results[i].logged = true;
      results[i].event_index = *first + i;
    }
  }
  return results;
}

// Steps 6 and 7: the signing events (or, in the same slot, the failure of a
// release the HSM could not sign), one checkpoint, then the outputs, with the
// facts index updated beside them.
void Complete(SessionContext& ctx, StationLog& log, const std::vector<Prepared*>& allowed,
              std::vector<Result<std::unique_ptr<OutputStaging>>>& staging, const SessionOptions& o,
              std::vector<ReleaseResult*>& results) {
  std::vector<v1::Event> events;
  const hsm::KeyInfo& attest = log.hsm_signer().keys().attestation_key();
  for (Prepared* p : allowed)
    events.push_back(p->error.ok() ? internal::SigningEvent(ctx, *p, attest)
                                   : internal::FailedEvent(*p));
  auto first = log.AppendMany(events);
  Status st = first.status();
  const bool durable = st.ok();
  if (durable) At(o, "after-append");
  if (durable) st = log.CommitCheckpoint().status();
  if (st.ok()) At(o, "after-commit");
  // The facts index (derived: its failure is not the release's, see
  // StationLog::Commit) is brought up to the checkpoint on a second thread
  // while the outputs are written: on a disk both mostly wait for the
  // device. Joined before this returns; nothing appends meanwhile.
  std::jthread index;
  if (st.ok()) index = std::jthread([&log] { log.UpdateIndex().IgnoreError(); });
  const std::string attest_pem = ctx.station.record().attestation_key().public_key_pem();
  bool first_output = true;
  for (std::size_t j = 0; j < allowed.size(); ++j) {
    Prepared& p = *allowed[j];
    ReleaseResult& r = *results[j];
    if (!durable) {
      r.outcome = Outcome::kFailed;
      r.error = st.Annotate(
          "logging the signing event (nothing was logged as signed and no output was written: "
          "the signatures were discarded; once the cause is fixed, run the same `sign` again)");
      continue;
    }
    r.logged = true;
    r.event_index = p.signing_index;
    if (!p.error.ok()) {
      r.outcome = Outcome::kFailed;
      r.error = st.ok() ? p.error
                        : p.error.Annotate("(logged as event " + std::to_string(p.signing_index) +
                                           "; the checkpoint over it could not be signed: " +
                                           st.ToString() + ")");
      continue;
    }
    if (!st.ok()) {
      // The SIGNING event is durable: the release is signed, whatever
      // happens to the checkpoint; only its outputs wait for one.
      const std::string n = std::to_string(p.signing_index);
      r.outcome = Outcome::kFailed;
      r.error = st.Annotate(
          "the release is signed and logged as event " + n +
          " (durable), but the checkpoint over it could not be signed, so no output was "
          "written; once the cause is fixed (a full disk: once space is free), write its "
          "outputs with `strongroom log outputs --station " +
          ctx.station.dir() + " --index " + n +
          " --out DIR --log-pin-source SRC`, which signs the checkpoint first");
      continue;
    }
    // Against the checkpoint the writer just signed and checked.
    auto proof = log::ProveInclusion(log.dir(), p.signing_index, log.writer().checkpoint_note(),
                                     log.writer().checkpoint());
    Result<std::vector<OutputFile>> files =
        proof.ok() ? release::AssembleOutputs(events[j], p.manifest_payload, p.vsa_payload,
                                              proof->Format(), attest_pem)
                   : Result<std::vector<OutputFile>>(proof.status());
    Status w = files.status();
    if (w.ok()) {
      w = (*staging[j])->Commit(*files, [&] {
        if (first_output) At(o, "mid-output");
        first_output = false;
      });
    }
    if (!w.ok()) {
      r.outcome = Outcome::kFailed;
      r.error = w.Annotate(
          "the release is signed and logged as event " + std::to_string(p.signing_index) +
          ", but its outputs could not be written; once the cause is fixed "
          "(a full disk: once space is free), rewrite them with "
          "`strongroom log outputs --station " +
          ctx.station.dir() + " --index " + std::to_string(p.signing_index) + " --out DIR`");
      continue;
    }
    r.outcome = Outcome::kSigned;
    r.error = Status::Ok();
    for (const OutputFile& f : *files) r.files.push_back(f.name);
  }
  if (index.joinable()) index.join();
  At(o, "after-output");
}

// Steps 3 and 4: evidence kept, then one durable append of every refusal and
// every intent. Returns false (with every result marked failed) when the
// log could not take them: then nothing is signed.
// A refusal's inputs are durable before its event. When nothing is refused,
// the store's writes and its sync (mostly waiting for the device) run on
// another thread beside the intents' append and the HSM's signatures, and
// `evidence` holds their outcome: SignReleases waits for it before any
// SIGNING event (whose payloads `log outputs` reads back from the store).
bool LogDecisions(SessionContext& ctx, StationLog& log, EvidenceStore& store,
                  std::vector<Prepared>& ps, std::vector<Prepared*>& allowed,
                  std::vector<ReleaseResult>& results, std::future<Status>& evidence) {
  std::vector<v1::Event> events;
  std::vector<std::size_t> refused;
  std::uint64_t base = log.writer().size();
  std::size_t n_refused = 0;
  for (const Prepared& p : ps) n_refused += p.allowed() ? 0 : 1;
  std::uint64_t next_intent = base + n_refused;
  std::uint64_t next_signing = base + n_refused + (ps.size() - n_refused);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    Prepared& p = ps[i];
    if (!p.allowed()) {
      refused.push_back(i);
      events.push_back(internal::RefusalEvent(p));
      continue;
    }
    p.intent_index = next_intent++;
    p.signing_index = next_signing++;
    allowed.push_back(&p);
  }
  for (Prepared* p : allowed) {
    internal::BuildPayloads(ctx, *p, log.hsm_signer().Name());
    events.push_back(internal::IntentEvent(*p));
  }
  std::vector<std::string_view> objects;
  for (const Prepared& p : ps) EvidenceOf(p, objects);
  Status st = Status::Ok();
  if (refused.empty()) {
    std::vector<std::string> copies(objects.begin(), objects.end());
    evidence = std::async(std::launch::async, [&store, copies = std::move(copies)] {
      return KeepEvidence(store, copies);
    });
  } else {
    st = KeepEvidence(store, objects).Annotate("keeping the inputs in the evidence store");
  }
  if (st.ok() && !events.empty()) st = log.AppendMany(events).status();
  if (!st.ok()) {
    for (auto& r : results) {
      r.outcome = Outcome::kFailed;
      r.error = st.Annotate("logging the decisions (nothing was signed)");
    }
    return false;
  }
  for (std::size_t k = 0; k < refused.size(); ++k) {
    results[refused[k]].logged = true;
    results[refused[k]].event_index = base + k;
  }
  return true;
}

}  // namespace

Result<std::vector<ReleaseResult>> SignReleases(Station& station, const SecretBytes& log_pin,
                                                const SecretBytes& release_pin,
                                                const std::vector<ReleaseRequest>& releases,
                                                const SessionOptions& o) {
  LogState state;
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> log, OpenLogWithState(station, log_pin, &state));
  log->set_operators(o.operators);
  log->set_session_id(o.session_id);
  log->set_pin_share_fingerprints(o.pin_share_fingerprints);
  auto release = station.OpenSessionBesideLog(TokenRole::kRelease, release_pin, log_pin);
  if (!release.ok()) return FailAll(*log, releases, release.status());
  auto policy_bytes = ReadInstalledPolicy(station);
  if (!policy_bytes.ok()) return FailAll(*log, releases, policy_bytes.status());
  auto store = EvidenceStore::Open(layout::EvidenceDir(station.dir()));
  if (!store.ok()) return FailAll(*log, releases, store.status());
  std::optional<policy::LoadedPolicy> parsed = ParseOnce(*policy_bytes);
  std::map<std::string, std::string> approver_names = ApproverNames(parsed);
  SessionContext ctx{station,
                     **release,
                     std::move(*policy_bytes),
                     std::move(parsed),
                     std::move(approver_names),
                     std::move(state),
                     {},
                     o.prehash,
                     {}};
  if (ctx.policy) ctx.trusted_root = TrustedRootOf(station, *ctx.policy);

  std::vector<Prepared> ps;
  ps.reserve(releases.size());
  for (const ReleaseRequest& r : releases) {
    ps.push_back(internal::Prepare(ctx, r));
    const Prepared& p = ps.back();
    if (p.allowed()) {
      std::vector<std::string> digests;
      for (const auto& a : p.artifacts) digests.push_back(HexEncode(a.sha256));
      ctx.state.AddPending(r.product, r.version, std::move(digests));
    }
  }
  std::vector<ReleaseResult> results;
  for (const Prepared& p : ps) results.push_back(ResultOf(p));
  std::vector<Prepared*> allowed;
  std::future<Status> evidence;  // joined before ps and the store go
  if (!LogDecisions(ctx, *log, *store, ps, allowed, results, evidence)) return results;
  if (allowed.empty()) {
    if (Status c = log->Commit().status(); !c.ok()) {
      for (auto& r : results) r.error = c.Annotate("signing the checkpoint over the refusals");
    }
    return results;
  }
  At(o, "before-hsm");
  // While the HSM signs, another thread prepares each output directory (its
  // files created empty: on a disk, allocating a thousand inodes costs as
  // much as the signatures). Nothing is written into them before step 7.
  // A few files are created on this thread instead: starting a thread costs
  // more than that, and it competes with the HSM for the CPU.
  std::vector<Result<std::unique_ptr<OutputStaging>>> staging;
  std::vector<std::vector<std::string>> outputs;  // each release's file names
  std::size_t files = 0;
  for (const Prepared* p : allowed) {
    std::vector<std::string> names;
    for (const internal::HashedArtifact& a : p->artifacts) names.push_back(a.name);
    outputs.push_back(release::OutputNames(names));
    files += outputs.back().size();
  }
  auto prepare = [&] {
    for (std::size_t j = 0; j < allowed.size(); ++j)
      staging.push_back(OutputStaging::Create(allowed[j]->out_dir, outputs[j]));
  };
  // A jthread: should the signing loop throw, it is joined on the way out
  // (before staging and outputs go) instead of std::terminate.
  std::jthread prepare_outputs;
  if (files > kOutputFilesOnThisThread) {
    prepare_outputs = std::jthread(prepare);
  } else {
    prepare();
  }
  LogKeySigner& station_keys = log->hsm_signer().keys();
  for (std::size_t j = 0; j < allowed.size(); ++j)
    allowed[j]->error = SignInHsm(ctx, station_keys, *allowed[j], o, j == 0);
  if (prepare_outputs.joinable()) prepare_outputs.join();
  // No SIGNING event before its inputs and payloads are durable in the store:
  // without them the release is logged as failed, as below.
  if (evidence.valid()) {
    Status kept = evidence.get();
    for (Prepared* p : allowed)
      if (p->error.ok() && !kept.ok())
        p->error = kept.Annotate("keeping the inputs in the evidence store (nothing was released)");
  }
  // A release whose outputs cannot be written is not released: logged as
  // failed, its signatures never leave the process.
  for (std::size_t j = 0; j < allowed.size(); ++j) {
    if (allowed[j]->error.ok() && !staging[j].ok())
      allowed[j]->error =
          staging[j].status().Annotate("preparing the output directory (nothing was released)");
  }
  At(o, "after-hsm");
  std::vector<ReleaseResult*> allowed_results;
  for (Prepared* p : allowed) allowed_results.push_back(&results[p - ps.data()]);
  Complete(ctx, *log, allowed, staging, o, allowed_results);
  return results;
}

std::function<void(std::string_view)> CrashPointsFromEnvironment() {
  const char* v = ::getenv("STRONGROOM_TEST_CRASH_AT");
  if (v == nullptr || *v == '\0') return {};
  std::string step(v);
  return [step](std::string_view at) {
    if (at == step) ::raise(SIGKILL);
  };
}

}  // namespace sr::signer
