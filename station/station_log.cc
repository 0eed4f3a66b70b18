#include "station/station_log.h"

#include <google/protobuf/util/time_util.h>

#include <utility>

#include "base/hash.h"
#include "log/reader.h"
#include "policy/gate.h"
#include "proto/log_facts.pb.h"
#include "station/facts_index.h"
#include "station/layout.h"

namespace sr {

std::string LogOrigin(const strongroom::v1::Station& record) {
  return "strongroom/" + record.station_id();
}

std::string LogDir(const Station& station) { return layout::LogDir(station.dir()); }

Result<std::unique_ptr<HsmNoteSigner>> OpenLogSigner(Station& station, const SecretBytes& log_pin) {
  SR_ASSIGN_OR_RETURN(std::unique_ptr<LogKeySigner> key, LogKeySigner::Open(station, log_pin));
  return std::make_unique<HsmNoteSigner>(LogOrigin(station.record()), std::move(key));
}

Status StationLog::Create(Station& station, HsmNoteSigner& signer) {
  SR_RETURN_IF_ERROR(
      log::LogWriter::Create(LogDir(station), signer).Annotate("creating the station log"));
  return RebuildFactsIndex(station.dir(), signer)
      .status()
      .Annotate("creating the log's facts index");
}

Result<std::unique_ptr<StationLog>> StationLog::Open(Station& station, const SecretBytes& log_pin,
                                                     const log::EventVisitor& visit) {
  SR_ASSIGN_OR_RETURN(std::unique_ptr<HsmNoteSigner> signer, OpenLogSigner(station, log_pin));
  return Open(station, std::move(signer), visit);
}

Result<std::unique_ptr<StationLog>> StationLog::Open(Station& station,
                                                     std::unique_ptr<HsmNoteSigner> signer,
                                                     const log::EventVisitor& visit) {
  std::unique_ptr<StationLog> sl(new StationLog(station, LogDir(station), std::move(signer)));
  auto writer = log::LogWriter::Open(sl->dir_, *sl->signer_, /*wait=*/true, visit);
  if (!writer.ok()) return writer.status().Annotate("opening the station log " + sl->dir_);
  sl->writer_ = std::move(writer).value();
  SR_RETURN_IF_ERROR(sl->ReadLastEvent());
  return sl;
}

Result<std::unique_ptr<StationLog>> StationLog::OpenIndexed(Station& station,
                                                            const SecretBytes& log_pin) {
  SR_ASSIGN_OR_RETURN(std::unique_ptr<HsmNoteSigner> signer, OpenLogSigner(station, log_pin));
  std::unique_ptr<StationLog> sl(new StationLog(station, LogDir(station), std::move(signer)));
  auto writer = log::LogWriter::Open(sl->dir_, *sl->signer_, /*wait=*/true, {},
                                     /*check_events=*/false);
  if (!writer.ok()) return writer.status().Annotate("opening the station log " + sl->dir_);
  sl->writer_ = std::move(writer).value();
  return sl;
}

namespace {

std::optional<std::chrono::system_clock::time_point> ParseEventTime(const std::string& text) {
  google::protobuf::Timestamp ts;
  if (!google::protobuf::util::TimeUtil::FromString(text, &ts)) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(ts.seconds()));
}

// Events recorded with whatever time the clock reads, even behind the log:
// a refusal (of a clock behind the log, among others), the record of a
// repair, a witnessed clock correction, and a key revocation or retirement
// (they only take trust away, and an emergency revocation must not wait for
// the clock; verify judges them by log index first).
bool MayGoBackInTime(strongroom::v1::EventKind kind) {
  return kind == strongroom::v1::EVENT_KIND_REFUSAL ||
         kind == strongroom::v1::EVENT_KIND_LOG_RECOVERED ||
         kind == strongroom::v1::EVENT_KIND_CLOCK_CHECKED ||
         kind == strongroom::v1::EVENT_KIND_KEY_REVOKED ||
         kind == strongroom::v1::EVENT_KIND_KEY_RETIRED;
}

}  // namespace

Result<std::optional<StationLog::LastEvent>> ReadClockFloor(std::string_view log_dir) {
  std::optional<StationLog::LastEvent> floor;
  SR_ASSIGN_OR_RETURN(log::LogReader reader, log::LogReader::Open(log_dir));
  strongroom::v1::facts::EventFacts facts;
  for (std::uint64_t i = reader.indexed_size(); i-- > 0;) {
    SR_ASSIGN_OR_RETURN(std::string bytes, reader.ReadEvent(i));
    if (!facts.ParseFromString(bytes))
      return DataLoss("event " + std::to_string(i) + " of the log in " + std::string(log_dir) +
                      " is not a valid Event");
    auto t = ParseEventTime(facts.time());
    if (!floor || (t && (!floor->time || *t > *floor->time)))
      floor = StationLog::LastEvent{i, facts.time(), t};
    const auto kind = static_cast<strongroom::v1::EventKind>(facts.kind());
    if (kind == strongroom::v1::EVENT_KIND_CLOCK_CHECKED || !MayGoBackInTime(kind)) break;
  }
  return floor;
}

StationLog::LastEvent ClockFloorAfter(const std::optional<StationLog::LastEvent>& floor,
                                      std::uint64_t index, strongroom::v1::EventKind kind,
                                      const std::string& time_text) {
  // ReadClockFloor walks back from the last event and keeps an older one
  // only when it is strictly later in time; forwards, the new event is the
  // floor unless the floor so far is strictly later (and the run of
  // may-go-back events reaches it).
  StationLog::LastEvent e{index, time_text, ParseEventTime(time_text)};
  if (kind == strongroom::v1::EVENT_KIND_CLOCK_CHECKED || !MayGoBackInTime(kind) || !floor)
    return e;
  if (floor->time && (!e.time || *floor->time > *e.time)) return *floor;
  return e;
}

Status StationLog::ReadLastEvent() {
  if (writer_->size() == 0) return Status::Ok();
  SR_ASSIGN_OR_RETURN(last_event_, ReadClockFloor(dir_));
  return Status::Ok();
}

void StationLog::NoteAppended(std::uint64_t index, const strongroom::v1::Event& event) {
  auto t = ParseEventTime(event.time());
  if (event.kind() == strongroom::v1::EVENT_KIND_CLOCK_CHECKED || !last_event_ ||
      (t && (!last_event_->time || *t > *last_event_->time)))
    last_event_ = LastEvent{index, event.time(), t};
}

Status StationLog::RefuseIfClockBehind(std::string_view action) {
  if (!last_event_) return Status::Ok();
  auto f = policy::CheckClockAgainstLog(std::chrono::system_clock::now(), last_event_->time,
                                        last_event_->index, last_event_->time_text);
  if (!f) return Status::Ok();
  return LogRefusal(*f, action).Annotate(std::string(action));
}

Status StationLog::LogRefusal(const policy::Failure& f, std::string_view action) {
  strongroom::v1::Event e;
  e.set_kind(strongroom::v1::EVENT_KIND_REFUSAL);
  *e.mutable_refusal()->add_reasons() = policy::RefusalReasonOf(f);
  auto* in = e.mutable_refusal()->add_inputs();
  in->set_role("action");
  in->set_name(std::string(action));
  Status refused = policy::FailureToStatus(f);
  auto logged = AppendAndCommit(std::move(e));
  if (!logged.ok())
    return refused.Annotate("(the refusal could not be logged: " + logged.status().ToString() +
                            ")");
  return refused.Annotate("refusal logged as event " + std::to_string(*logged));
}

void StationLog::FillDefaults(strongroom::v1::Event& event) const {
  if (event.time().empty()) event.set_time(NowRfc3339());
  if (event.station_id().empty()) event.set_station_id(station_.record().station_id());
  if (event.operators_size() == 0) {
    for (const auto& op : operators_) event.add_operators(op);
  }
  if (event.session_id().empty()) event.set_session_id(session_id_);
  if (event.pin_share_fingerprints_size() == 0) {
    for (const auto& f : share_fingerprints_) event.add_pin_share_fingerprints(f);
  }
}

Result<std::uint64_t> StationLog::Append(strongroom::v1::Event event) {
  FillDefaults(event);
  if (!MayGoBackInTime(event.kind())) SR_RETURN_IF_ERROR(RefuseIfClockBehind("logging an event"));
  strongroom::v1::Event stamp;
  stamp.set_kind(event.kind());
  stamp.set_time(event.time());
  SR_ASSIGN_OR_RETURN(std::uint64_t index, writer_->Append(std::move(event)));
  NoteAppended(index, stamp);
  return index;
}

Result<std::uint64_t> StationLog::AppendMany(std::vector<strongroom::v1::Event>& events) {
  bool check = false;
  for (auto& e : events) {
    FillDefaults(e);
    check = check || !MayGoBackInTime(e.kind());
  }
  if (check) SR_RETURN_IF_ERROR(RefuseIfClockBehind("logging events"));
  SR_ASSIGN_OR_RETURN(std::uint64_t first, writer_->AppendMany(events));
  for (std::size_t i = 0; i < events.size(); ++i) NoteAppended(first + i, events[i]);
  return first;
}

Result<std::string> StationLog::Commit() {
  SR_ASSIGN_OR_RETURN(std::string note, CommitCheckpoint());
  // Derived, like the tree: see the contract in station_log.h.
  UpdateIndex().IgnoreError();
  return note;
}

Result<std::string> StationLog::CommitCheckpoint() { return writer_->Commit(); }

Status StationLog::UpdateIndex() {
  std::shared_ptr<IndexedFacts> loaded = std::exchange(loaded_facts_, nullptr);
  return UpdateFactsIndex(station_.dir(), *writer_, *signer_, loaded.get());
}

Result<std::uint64_t> StationLog::AppendAndCommit(strongroom::v1::Event event) {
  SR_ASSIGN_OR_RETURN(std::uint64_t index, Append(std::move(event)));
  SR_ASSIGN_OR_RETURN(std::string note, Commit());
  return index;
}

Result<strongroom::v1::Event> KeyGeneratedEvent(const GeneratedKey& key,
                                                std::string_view token_serial) {
  SR_ASSIGN_OR_RETURN(std::string pem, ReadFile(key.pem_path));
  SR_ASSIGN_OR_RETURN(std::string statement, ReadFile(key.statement_path));
  SR_ASSIGN_OR_RETURN(std::string sig, ReadFile(key.signature_path));
  strongroom::v1::Event e;
  e.set_kind(strongroom::v1::EVENT_KIND_KEY_GENERATED);
  e.set_time(key.created);
  auto* k = e.mutable_key_generated();
  k->set_key_label(key.info.label);
  k->set_algorithm(std::string(hsm::AlgorithmName(key.info.algorithm)));
  k->set_fingerprint(key.info.fingerprint_hex);
  k->set_public_key_pem(pem);
  k->set_token_serial(std::string(token_serial));
  k->set_proof_of_possession_sha256(Sha256Hex(statement + sig));
  return e;
}

}  // namespace sr
