#include "signer/lifecycle_record.h"

#include <optional>

#include "base/file.h"
#include "base/hash.h"
#include "log/reader.h"
#include "policy/gate.h"
#include "policy/json.h"
#include "release/lifecycle_record.h"
#include "signer/evidence_store.h"
#include "signer/signing_session.h"
#include "station/layout.h"
#include "station/log_state.h"
#include "station/policy_store.h"
#include "station/station_log.h"

namespace sr::signer {
namespace {

namespace v1 = strongroom::v1;
const std::string kRecord(release::kRecordInput);

// The LIFECYCLE_RECORDED event of the log that names envelope_sha256, if any.
// Reads the log from the start: only done when the envelope is already in the
// evidence store (a repeat, or a record refused or interrupted before), never
// for a record seen for the first time.
Result<std::optional<std::pair<std::uint64_t, v1::LifecycleRecordedEvent>>> FindRecorded(
    const std::string& log_dir, const std::string& envelope_sha256) {
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  for (std::uint64_t i = 0; i < reader.indexed_size(); ++i) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    v1::Event ev;
    if (!ev.ParseFromString(bytes)) continue;  // `log verify` reports it; not ours to judge
    if (ev.kind() == v1::EVENT_KIND_LIFECYCLE_RECORDED &&
        ev.lifecycle_recorded().envelope_sha256() == envelope_sha256)
      return std::optional(std::pair(i, ev.lifecycle_recorded()));
  }
  return std::optional<std::pair<std::uint64_t, v1::LifecycleRecordedEvent>>();
}

// The release product@version as the log's facts have it: its (last)
// SIGNING event and that event's artifact digests.
Result<std::optional<release::SignedReleaseFacts>> SignedRelease(const LogState& state,
                                                                 const std::string& product,
                                                                 const std::string& version) {
  SR_ASSIGN_OR_RETURN(std::vector<std::uint64_t> events, state.SignedEvents(product, version));
  if (events.empty()) return std::optional<release::SignedReleaseFacts>();
  release::SignedReleaseFacts f;
  f.signing_index = events.back();
  SR_ASSIGN_OR_RETURN(f.artifact_sha256, state.SignedArtifacts(f.signing_index));
  return std::optional(std::move(f));
}

v1::Event RefusalOf(const RecordResult& r, const release::LifecycleRecordInput* in,
                    const std::string& path, const LogState& state) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  v1::RefusalEvent* ref = e.mutable_refusal();
  if (in != nullptr) {
    ref->set_product(in->record.product());
    ref->set_version(in->record.version());
  }
  for (const policy::Failure& f : r.failures) *ref->add_reasons() = policy::RefusalReasonOf(f);
  v1::PresentedInput* p = ref->add_inputs();
  p->set_role(kRecord);
  p->set_name(BaseName(path));
  p->set_sha256(r.envelope_sha256);
  ref->set_policy_version(state.installed_policy_version);
  ref->set_policy_sha256(state.installed_policy_digest);
  return e;
}

// Appends the refusal in r and signs a checkpoint.
Result<RecordResult> Refuse(StationLog& log, RecordResult r,
                            const release::LifecycleRecordInput* in, const std::string& path,
                            const LogState& state) {
  SR_ASSIGN_OR_RETURN(r.event_index, log.AppendAndCommit(RefusalOf(r, in, path, state)));
  r.logged = true;
  return r;
}

}  // namespace

Result<RecordResult> RecordLifecycle(Station& station, const SecretBytes& log_pin,
                                     const RecordRequest& req) {
  RecordResult r;
  // Read before the log is opened: a FIFO or an oversized file is refused at
  // once (OpenReadOnly never waits), and logged below.
  Result<std::string> bytes = ReadFile(req.in_path, release::kMaxRecordBytes);
  LogState state;
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> log, OpenLogWithState(station, log_pin, &state));
  log->set_operators(req.operators);
  if (!bytes.ok()) {
    r.failures.push_back(
        UnreadableInput(kRecord, req.in_path, bytes.status(), release::kMaxRecordBytes));
    if (bytes.status().code() == Code::kNotFound) r.mistake = Code::kNotFound;
    return Refuse(*log, std::move(r), nullptr, req.in_path, state);
  }
  r.envelope_sha256 = Sha256Hex(*bytes);
  SR_ASSIGN_OR_RETURN(EvidenceStore store, EvidenceStore::Open(layout::EvidenceDir(station.dir())));
  const bool seen = PathExists(JoinPath(store.dir(), r.envelope_sha256));
  // Kept whatever the decision, so an auditor can read what was refused too.
  SR_ASSIGN_OR_RETURN(std::string stored, store.Put(*bytes));
  (void)stored;
  if (seen) {
    SR_ASSIGN_OR_RETURN(auto earlier, FindRecorded(log->dir(), r.envelope_sha256));
    if (earlier) {
      r.accepted = r.already_recorded = true;
      r.event_index = earlier->first;
      r.recorded = std::move(earlier->second);
      return r;
    }
  }
  auto parsed = release::ParseLifecycleRecord(*bytes);
  if (!parsed.ok()) {
    r.failures.push_back(parsed.failure());
    return Refuse(*log, std::move(r), nullptr, req.in_path, state);
  }
  SR_ASSIGN_OR_RETURN(std::optional<policy::LoadedPolicy> installed,
                      InstalledPolicy(station.dir(), state));
  if (installed) {
    // The policy the decision rests on, kept beside the record as `sign`
    // keeps it, so `audit replay` needs nothing but the evidence store.
    SR_ASSIGN_OR_RETURN(std::string envelope,
                        ReadFile(layout::InstalledPolicy(station.dir(), installed->digest),
                                 policy::kMaxDocumentBytes));
    SR_RETURN_IF_ERROR(store.Put(envelope).status());
  }
  SR_ASSIGN_OR_RETURN(std::optional<release::SignedReleaseFacts> signed_release,
                      SignedRelease(state, parsed->record.product(), parsed->record.version()));
  release::RecordJudgement j =
      release::JudgeLifecycleRecord(*parsed, installed ? &*installed : nullptr, signed_release);
  if (!j.accepted()) {
    r.failures = std::move(j.failures);
    return Refuse(*log, std::move(r), &*parsed, req.in_path, state);
  }
  v1::Event ev;
  ev.set_kind(v1::EVENT_KIND_LIFECYCLE_RECORDED);
  *ev.mutable_lifecycle_recorded() = release::RecordedEventOf(*parsed, j);
  r.recorded = ev.lifecycle_recorded();
  SR_ASSIGN_OR_RETURN(r.event_index, log->AppendAndCommit(std::move(ev)));
  r.accepted = r.logged = true;
  return r;
}

}  // namespace sr::signer
