// Internal to audit/replay.cc: the per-event work that runs on the worker
// threads (evidence reads, signature checks, gate re-runs), and the tally
// each thread keeps of it. A Job carries everything the event is judged
// against, copied out of the replay's state at that point of the log, so
// workers share nothing mutable.
#ifndef STRONGROOM_AUDIT_REPLAY_JOBS_H_
#define STRONGROOM_AUDIT_REPLAY_JOBS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audit/evidence.h"
#include "audit/replay.h"
#include "policy/gate.h"
#include "policy/keys.h"
#include "policy/trust_policy.h"
#include "proto/event.pb.h"

namespace sr::audit::internal {

// A policy the log records as installed, with its envelope as installed.
struct PolicyInForce {
  std::string envelope;         // the signed envelope's bytes
  std::string envelope_sha256;  // their SHA-256 (hex)
  policy::LoadedPolicy loaded;
};

struct Job {
  std::uint64_t index = 0;
  // A SIGNING, a REFUSAL or a LIFECYCLE_RECORDED, parsed on the arena of
  // the batch that carries the job (it lives as long as the batch).
  const strongroom::v1::Event* event = nullptr;
  // The policy in force at that index (null: none installed, or its
  // envelope could not be read: named by policy_sha256).
  std::shared_ptr<const PolicyInForce> policy;
  std::string policy_sha256;
  // The log's facts before the decision (never null in a queued job);
  // shared by the events judged against the same facts (a run of refused
  // retries).
  std::shared_ptr<const policy::LogFacts> facts;
  policy::Clock::time_point at;  // when the gate decided
  // Keys the log published (KEY_GENERATED), for the release key (when the
  // event carries no PEM) and the station attestation key (the VSA's).
  std::shared_ptr<const policy::PublicKey> release_key, attestation_key;
};

// What one thread found; merged once all threads are done.
struct Tally {
  std::size_t max_kept = 1000;
  std::map<std::string, CheckCount> checks;
  std::vector<ReplayFailure> failures;
  std::uint64_t failure_count = 0;
  std::vector<NotRerunnable> not_rerunnable;
  std::uint64_t not_rerunnable_count = 0;
  std::uint64_t signatures_verified = 0, signatures_not_checkable = 0, hashes = 0;

  void Pass(const std::string& check) { ++checks[check].passed; }
  void Fail(std::uint64_t index, const std::string& check, std::string digest, std::string message);
  void NotRerun(std::uint64_t index, std::string reason);
  void Merge(Tally&& other);
};

// Judges one event (Job::event is a SIGNING or a REFUSAL) into *tally.
void RunJob(const Job& job, const EvidenceDir& evidence, Tally* tally);

// Appends the evidence objects RunJob reads for this job (the names the
// events give: what to read ahead, EvidenceDir::Prefetch).
void EvidenceNames(const Job& job, std::vector<std::string>* names);

}  // namespace sr::audit::internal

#endif  // STRONGROOM_AUDIT_REPLAY_JOBS_H_
