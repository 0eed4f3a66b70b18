// `strongroom record`: a signed lifecycle record about a release signed on
// this station (deployment result, rollback, recovery, exclusion decision,
// risk acceptance, withdrawal, customer notification; docs/formats.md,
// "Lifecycle records") brought in on media, judged and logged:
//
//   1. read the envelope (bounded, release::kMaxRecordBytes; a FIFO or
//      device is refused without waiting on it)
//   2. open the log with its facts (the facts index: was product@version
//      signed, and with which artifacts) and the installed policy
//   3. the same envelope already logged (its digest is in the evidence store
//      and a LIFECYCLE_RECORDED names it): nothing is appended, the earlier
//      event is returned (already_recorded)
//   4. judge it (release::JudgeLifecycleRecord)
//   5. keep the envelope (and the installed policy's envelope, which the
//      decision rests on) in STATION/evidence/<sha256>, durably
//   6. append LIFECYCLE_RECORDED (accepted) or a REFUSAL naming input
//      "record" and every reason (refused), and sign a checkpoint
// A crash before 6 leaves at most an evidence object no event names: the
// same record is judged and logged again by the next `record`.
//
// Ownership: borrows the Station (which holds station.lock). Not
// thread-safe. Failure: a non-OK Result only when nothing could be judged or
// logged (log, policy store, disk); a refusal is a result, already logged.
#ifndef STRONGROOM_SIGNER_LIFECYCLE_RECORD_H_
#define STRONGROOM_SIGNER_LIFECYCLE_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "policy/reason.h"
#include "proto/event.pb.h"
#include "station/station.h"

namespace sr::signer {

struct RecordRequest {
  std::string in_path;
  std::vector<std::string> operators;  // --operator, unauthenticated
};

struct RecordResult {
  bool accepted = false;                  // a LIFECYCLE_RECORDED event names it
  bool already_recorded = false;          // ... an earlier one: nothing was appended
  bool logged = false;                    // the event below was appended by this call
  std::uint64_t event_index = 0;          // the LIFECYCLE_RECORDED or REFUSAL event
  std::vector<policy::Failure> failures;  // refused: every reason
  // Refused because the file named does not exist (kNotFound): a mistake in
  // the command line rather than in the record.
  Code mistake = Code::kOk;
  strongroom::v1::LifecycleRecordedEvent recorded;  // accepted: what the event says
  std::string envelope_sha256;                      // "" when the file was not read
};

Result<RecordResult> RecordLifecycle(Station& station, const SecretBytes& log_pin,
                                     const RecordRequest& request);

}  // namespace sr::signer

#endif  // STRONGROOM_SIGNER_LIFECYCLE_RECORD_H_
