// The station's signing-event log, with checkpoints signed by the log key in
// the station's log token (Ed25519, or ECDSA P-256 where the module has no
// Ed25519: a TPM). This is the one place where log/ meets the
// HSM: log/ only sees a log::NoteSigner.
//
// Ownership: a StationLog holds the log writer's lock and a logged-in session
// on the log token until destroyed; the Station must outlive it. Not
// thread-safe. Failure: the log writer's errors (kFailedPrecondition for a
// torn log: run `strongroom log recover`; kDataLoss for a log that disagrees
// with its signed checkpoint), kHsm for the log token.
#ifndef STRONGROOM_STATION_STATION_LOG_H_
#define STRONGROOM_STATION_STATION_LOG_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "log/note.h"
#include "log/writer.h"
#include "policy/reason.h"
#include "proto/event.pb.h"
#include "station/station.h"

namespace sr {

struct IndexedFacts;  // station/facts_index.h

// "strongroom/<station id>": the checkpoint origin and log key name.
std::string LogOrigin(const strongroom::v1::Station& record);
std::string LogDir(const Station& station);

// log::NoteSigner over the HSM log key.
class HsmNoteSigner final : public log::NoteSigner {
 public:
  HsmNoteSigner(std::string name, std::unique_ptr<LogKeySigner> key)
      : name_(std::move(name)), key_(std::move(key)) {}
  std::string Name() const override { return name_; }
  std::uint8_t SignatureType() const override { return key_->NoteSignatureType(); }
  std::string PublicKey() const override { return key_->PublicKey(); }
  Result<std::string> Sign(std::string_view msg) override { return key_->Sign(msg); }
  // The log-token signer (also holds the station attestation key).
  LogKeySigner& keys() { return *key_; }

 private:
  std::string name_;
  std::unique_ptr<LogKeySigner> key_;
};

// Opens the HSM log key of station as a NoteSigner (logs in to the log token).
Result<std::unique_ptr<HsmNoteSigner>> OpenLogSigner(Station& station, const SecretBytes& log_pin);

class StationLog {
 public:
  // Creates the empty log of a new station (STATION/log) with its first
  // signed checkpoint.
  static Status Create(Station& station, HsmNoteSigner& signer);
  // Opens the log for appending, logging in to the log token with log_pin.
  // visit sees the signed events as the open checks them
  // (log::LogWriter::Open).
  static Result<std::unique_ptr<StationLog>> Open(Station& station, const SecretBytes& log_pin,
                                                  const log::EventVisitor& visit = {});
  // The same, with a log signer the caller already opened.
  static Result<std::unique_ptr<StationLog>> Open(Station& station,
                                                  std::unique_ptr<HsmNoteSigner> signer,
                                                  const log::EventVisitor& visit = {});
  // Opens the log for appending without re-reading the signed events or
  // the clock floor (log::LogWriter::Open with check_events=false): the
  // caller vouches for them another way, i.e. OpenLogWithState with the
  // facts index (station/facts_index.h), and sets set_last_event.
  static Result<std::unique_ptr<StationLog>> OpenIndexed(Station& station,
                                                         const SecretBytes& log_pin);

  // Fills in time (now, if empty), station id and operators (if empty), and
  // appends durably (fdatasync) before returning the event's index.
  Result<std::uint64_t> Append(strongroom::v1::Event event);
  // The same for several events with one write and one sync (all durable
  // when it returns, none acknowledged on failure); fills in each event as
  // logged (defaults, sequence) and returns the first index.
  Result<std::uint64_t> AppendMany(std::vector<strongroom::v1::Event>& events);
  // The station clock against the log: the latest time the station is known
  // to have reached (the event of the log with that time, its index and
  // time), as read when the log was opened and updated by each append. A
  // refusal or recovery logged with a clock behind it does not lower it; a
  // CLOCK_CHECKED (witnessed correction) resets it.
  struct LastEvent {
    std::uint64_t index = 0;
    std::string time_text;                                      // RFC 3339, as logged
    std::optional<std::chrono::system_clock::time_point> time;  // nullopt: empty log or unparsable
  };
  const std::optional<LastEvent>& last_event() const { return last_event_; }
  void set_last_event(std::optional<LastEvent> e) { last_event_ = std::move(e); }
  // The facts index as OpenLogWithState loaded and checked it (at the signed
  // checkpoint): the next Commit catches it up and writes it without reading
  // it again. Used by one commit.
  void set_loaded_facts(std::shared_ptr<IndexedFacts> f) { loaded_facts_ = std::move(f); }
  // Refuses, with a REFUSAL event (reason CLOCK_BEHIND_LOG, both times) logged
  // and committed, when the station clock is behind the last logged event by
  // more than policy::kClockTolerance: `action` ("key generate") is what was
  // refused. Call it before an action that changes a token or the station.
  // Append and AppendMany apply the same rule to every event except
  // REFUSAL, LOG_RECOVERED, CLOCK_CHECKED, KEY_REVOKED and KEY_RETIRED (a
  // refusal, a repair, a witnessed clock correction and taking a key out of
  // service are recorded with the time the clock reads).
  Status RefuseIfClockBehind(std::string_view action);
  // Logs a REFUSAL of `action` for f (and commits); returns f as a Status
  // saying which event recorded it, or that it could not be recorded.
  Status LogRefusal(const policy::Failure& f, std::string_view action);

  // Signs a checkpoint over everything appended; returns the note. Then
  // brings the facts index (STATION/log/facts) up to the new checkpoint;
  // a failure there is not the commit's (the index is derived: the next
  // open catches it up or refuses it, and `log reindex` rebuilds it).
  Result<std::string> Commit();
  // Commit in two steps, for a caller with other work to do between them
  // (`sign` writes a release's outputs while the index is brought up to
  // date on another thread: on a disk both mostly wait for the device):
  // the checkpoint alone, then the index. Commit is exactly
  // CommitCheckpoint followed by UpdateIndex (whose failure Commit ignores).
  // UpdateIndex reads the log and signs with the log key, so nothing may
  // append meanwhile; it may run beside readers of the log (inclusion
  // proofs).
  Result<std::string> CommitCheckpoint();
  Status UpdateIndex();
  // Append + Commit, for one-event sessions (key generated, policy installed).
  Result<std::uint64_t> AppendAndCommit(strongroom::v1::Event event);

  void set_operators(std::vector<std::string> operators) { operators_ = std::move(operators); }
  void set_session_id(std::string id) { session_id_ = std::move(id); }
  // The custodian shares that opened a token for this command (their
  // fingerprints), recorded in every event appended that has none.
  void set_pin_share_fingerprints(std::vector<std::string> f) {
    share_fingerprints_ = std::move(f);
  }
  log::LogWriter& writer() { return *writer_; }
  log::NoteSigner& signer() { return *signer_; }
  HsmNoteSigner& hsm_signer() { return *signer_; }
  const std::string& dir() const { return dir_; }

 private:
  StationLog(Station& station, std::string dir, std::unique_ptr<HsmNoteSigner> signer)
      : station_(station), dir_(std::move(dir)), signer_(std::move(signer)) {}
  Station& station_;
  std::string dir_;
  std::unique_ptr<HsmNoteSigner> signer_;
  std::unique_ptr<log::LogWriter> writer_;
  std::vector<std::string> operators_;
  std::string session_id_;
  std::vector<std::string> share_fingerprints_;
  std::optional<LastEvent> last_event_;
  std::shared_ptr<IndexedFacts> loaded_facts_;
  void FillDefaults(strongroom::v1::Event& event) const;
  Status ReadLastEvent();
  void NoteAppended(std::uint64_t index, const strongroom::v1::Event& event);
};

// The latest time the station is known to have reached, from the log in
// log_dir (see StationLog::last_event): read backwards from the last event,
// past refusals and recoveries, to the last other event or CLOCK_CHECKED.
// nullopt for an empty log. Reads without a lock.
Result<std::optional<StationLog::LastEvent>> ReadClockFloor(std::string_view log_dir);
// The clock floor after event `index` (of kind, logged at time_text) is
// appended to a log whose floor was `floor`: the same as ReadClockFloor of
// the longer log, computed forwards (the facts index keeps it this way).
StationLog::LastEvent ClockFloorAfter(const std::optional<StationLog::LastEvent>& floor,
                                      std::uint64_t index, strongroom::v1::EventKind kind,
                                      const std::string& time_text);

// The KEY_GENERATED event for a key GenerateStationKey made (reads the key's
// public key and proof-of-possession files back from keys/).
Result<strongroom::v1::Event> KeyGeneratedEvent(const GeneratedKey& key,
                                                std::string_view token_serial);

}  // namespace sr

#endif  // STRONGROOM_STATION_STATION_LOG_H_
