// `strongroom audit replay`: the auditor streams a whole signing-event log
// once and checks the meaning of every event, not only its hash. Trusts only
// the verifier key (and optional older checkpoint) the auditor supplies, the
// evidence store, and stored policy envelopes; needs no HSM and no station.
//
// Checks (stable names, docs/auditor-guide.md "Replay"):
//   log           the tree and checkpoint verify (log::VerifyLog)
//   intent        each SIGNING has its SIGNING_INTENT earlier in the log, whose
//                 signing_index names it, with the same bindings
//   evidence      every object an event names (approval, provenance, test
//                 evidence, manifest and VSA payloads, refusal inputs, policy
//                 envelopes) is in the evidence store and hashes to its name
//   signature     every recorded signature verifies under the recorded key
//                 over the recorded digest (artifact: by digest; manifest and
//                 VSA: the DSSE PAE of the stored payload)
//   gate          the gate (policy::Evaluate), re-run from the evidence with
//                 the policy in force at that index, the log's facts before it
//                 and the event's time, allows the SIGNING with the same
//                 bindings (key authorization, policy, approval, provenance)
//   refusal       a REFUSAL whose reasons are all re-runnable (audit/rerun.h)
//                 is refused again, for at least the recorded reasons
//   policy-chain  each POLICY_INSTALLED follows the one before it, with a
//                 higher version, meeting the previous governance threshold
//   version-order no version of a product is signed twice or below one signed
//   key-ended     no key signs after the log records it revoked or retired
//   record        each LIFECYCLE_RECORDED's stored envelope, judged again
//                 with the policy in force at that index and the release as
//                 signed before it, is accepted, by the signer and with the
//                 fields the event records; a lifecycle record's REFUSAL is
//                 refused again for at least the recorded reasons
// Semantic state (policy in force, signed versions, ended keys) is built in
// log order on the calling thread; signature checks, evidence reads and gate
// re-runs run on all cores through a bounded queue, so memory does not grow
// with the log beyond one entry per signed (product, version). Each
// distinct envelope is verified once under each set of trusted keys (a
// bounded memo shared by the workers: audit/signature_cache.h); it is still
// read from the evidence store and hashed at every event that names it.
// Thread-compatible.
#ifndef STRONGROOM_AUDIT_REPLAY_H_
#define STRONGROOM_AUDIT_REPLAY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/verify.h"

namespace sr::audit {

struct ReplayOptions {
  std::string log_dir;
  std::string evidence_dir;  // STATION/evidence
  // Where installed policy envelopes are also looked up, as <policy
  // sha256>.json (STATION/policy); "" for the evidence store only.
  std::string policies_dir;
  std::string vkey;                  // the log's verifier key (string)
  std::optional<std::string> since;  // an older checkpoint note: events below
                                     // its size were audited before (state only)
  unsigned threads = 0;              // 0 = all cores
  // Read the evidence objects of the next batches of events ahead, many at
  // a time (io_uring, where available: audit/evidence_prefetch.h).
  bool prefetch = true;
  std::size_t max_failures_kept = 1000;
  std::function<void(std::uint64_t, std::uint64_t)> progress;  // log bytes
};

struct ReplayFailure {
  std::uint64_t index = 0;
  std::string check;   // stable name above
  std::string digest;  // the evidence digest concerned ("" when none)
  std::string message;
};

struct NotRerunnable {
  std::uint64_t index = 0;
  std::string reason;  // e.g. "INPUT_MISSING: an input file did not exist"
};

struct CheckCount {
  std::uint64_t passed = 0, failed = 0;
};

struct ReplayReport {
  bool ok = false;
  log::VerifyReport log;  // the log's own verification
  std::uint64_t events = 0, from_index = 0;
  std::map<std::string, CheckCount> checks;  // by check name
  std::uint64_t signatures_verified = 0;
  // Artifact signatures over a digest other than SHA-256 (P-384, Ed25519):
  // they need the artifact itself, which the log does not keep.
  std::uint64_t signatures_not_checkable = 0;
  std::uint64_t hashes = 0;  // evidence objects read and hashed
  // Envelope signature checks of the gate and the policy chain (approval,
  // provenance, test evidence, VEX, policy, lifecycle records): those done,
  // and those whose result was reused because the same envelope was
  // verified under the same keys earlier in the replay.
  std::uint64_t envelopes_verified = 0, envelopes_reused = 0;
  // Of the objects hashed, those read ahead (ReplayOptions::prefetch).
  std::uint64_t evidence_read_ahead = 0;
  std::uint64_t failure_count = 0;
  std::vector<ReplayFailure> failures;  // by index, at most max_failures_kept
  std::uint64_t not_rerunnable_count = 0;
  std::vector<NotRerunnable> not_rerunnable;  // at most max_failures_kept
};

// A report for any log (ok=false names what failed); a non-OK Status only for
// unusable options (unparsable vkey or since note, no such directory).
Result<ReplayReport> Replay(const ReplayOptions& options);

}  // namespace sr::audit

#endif  // STRONGROOM_AUDIT_REPLAY_H_
