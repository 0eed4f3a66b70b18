// `ceremony run`: walks an approved ceremony definition step by step on a
// station, with authenticated participants, logging every step as it
// happens (docs/ceremonies.md).
//
//   1. The definition is loaded and validated; its approval is checked
//      against the governance of the station's installed policy (or, on a
//      station without one, of the --governance policy: approval.h). A
//      refusal is logged (REFUSAL) and nothing runs.
//   2. A fresh challenge (challenge.h); each participant present signs it;
//      one who cannot is refused, and so is the run (logged). Quorum: every
//      role's min_present, and custodian_threshold.
//   3. CEREMONY_STARTED (definition and approval digests, approvers, nonce,
//      participants); the run's inputs are kept in STATION/ceremonies/<id>/.
//   4. Each step: shown, its action run (action.h; the runner holds no lock
//      meanwhile: the child takes station.lock itself), its expected outputs
//      digested, confirmed by the present members of its confirm_roles, and
//      logged as CEREMONY_STEP. A deviation is logged as CEREMONY_EXCEPTION
//      and stops the run (interrupted: resumable) unless the answers (or the
//      people at the terminal) abort it.
//   5. CEREMONY_COMPLETED (completed, or aborted with the reason).
// Each event is appended durably and checkpointed before the next step, so a
// killed run leaves CEREMONY_STARTED without CEREMONY_COMPLETED: `ceremony
// run --resume ID` continues from the first step not logged (participants
// authenticate again; CEREMONY_STARTED with resumed = true), `ceremony abort
// ID` ends it (CEREMONY_COMPLETED, aborted).
//
// A station-initialization run starts before the station exists: its
// events are held in memory until its first step has created the station
// and its log, then written together; the challenge names the station as
// "new station at <path>".
// Not thread-safe.
#ifndef STRONGROOM_CEREMONIES_RUNNER_H_
#define STRONGROOM_CEREMONIES_RUNNER_H_

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "ceremonies/answers.h"

namespace sr::ceremonies {

struct RunOptions {
  // A new run: the definition and its approval envelope; governance_path
  // only on a station without an installed policy.
  std::string definition_path, approval_path, governance_path;
  // Or a resumption of the interrupted run resume_id.
  std::string resume_id;
  std::string station;                        // the station folder
  std::string workdir;                        // actions run here; "" = the current folder
  std::map<std::string, std::string> params;  // --param name=value
  // The runner's own log token PIN (read once), also ${log_pin_source}.
  std::string log_pin_source = "prompt";
  const Answers* answers = nullptr;  // scripted; nullptr = interactive on in/out
  std::string program = "/proc/self/exe";
  std::istream* in = &std::cin;
  std::ostream* out = &std::cout;
};

enum class Outcome { kCompleted, kAborted, kInterrupted };
std::string_view OutcomeName(Outcome o);  // "completed", "aborted", "interrupted"

struct RunResult {
  std::string ceremony_id;
  Outcome outcome = Outcome::kInterrupted;
  unsigned steps_completed = 0;  // steps logged as done, this run and earlier ones
  std::string reason;            // the deviation or the abort reason
};

// Runs (or resumes) a ceremony. A non-OK Status for a refusal (kRefused,
// already logged where the station exists) or an error before the first
// event; after CEREMONY_STARTED, deviations are results, not errors.
Result<RunResult> RunCeremony(const RunOptions& options);

// Ends the interrupted run id: CEREMONY_COMPLETED with outcome "aborted"
// and reason. kNotFound for a run the log does not have, kFailedPrecondition
// for one already completed or aborted.
Result<RunResult> AbortCeremony(const std::string& station, const std::string& id,
                                const std::string& reason, const std::string& log_pin_source,
                                const std::vector<std::string>& operators);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_RUNNER_H_
