#include "station/station_log.h"

#include "base/hash.h"
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
  return log::LogWriter::Create(LogDir(station), signer).Annotate("creating the station log");
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
  return sl;
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
  return writer_->Append(std::move(event));
}

Result<std::uint64_t> StationLog::AppendMany(std::vector<strongroom::v1::Event>& events) {
  for (auto& e : events) FillDefaults(e);
  return writer_->AppendMany(events);
}

Result<std::string> StationLog::Commit() { return writer_->Commit(); }

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
