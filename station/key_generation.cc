#include "station/key_generation.h"

#include <unistd.h>

#include <optional>
#include <string>

#include "base/file.h"
#include "station/layout.h"

namespace sr {
namespace {

namespace v1 = strongroom::v1;

// A REFUSAL of `key generate` (station-side code KEY_GENERATION_FAILED),
// appended and signed; "" when it could be recorded (the text says where),
// else why it could not.
std::string LogGenerationFailure(StationLog& log, std::string_view label,
                                 const hsm::KeyInfo* destroyed, const std::string& message,
                                 std::optional<std::uint64_t>* index) {
  v1::Event e;
  e.set_kind(v1::EVENT_KIND_REFUSAL);
  auto* r = e.mutable_refusal();
  r->set_key_label(std::string(label));
  if (destroyed != nullptr) r->set_key_fingerprint(destroyed->fingerprint_hex);
  auto* reason = r->add_reasons();
  reason->set_code(std::string(kReasonKeyGenerationFailed));
  reason->set_message(message);
  reason->set_input("station");
  auto* in = r->add_inputs();
  in->set_role("action");
  in->set_name("key generate");
  auto logged = log.AppendAndCommit(std::move(e));
  if (!logged.ok()) return logged.status().ToString();
  *index = *logged;
  return "";
}

// " (refusal logged as event N)" or " (the refusal could not be recorded: ...)".
std::string Recorded(const std::string& why_not, const std::optional<std::uint64_t>& index) {
  if (index) return " (refusal logged as event " + std::to_string(*index) + ")";
  return " (the refusal could not be recorded in the log either: " + why_not + ")";
}

}  // namespace

Result<LoggedKey> GenerateLoggedKey(Station& station, StationLog& log, hsm::Session& session,
                                    std::string_view label, hsm::Algorithm algorithm,
                                    const std::vector<hsm::Algorithm>* offered) {
  // Step 1: the room the key's record needs, before the HSM is touched.
  auto reserve =
      SpaceReservation::Make(layout::SpaceReserve(station.dir()), kKeyRecordReserveBytes);
  if (!reserve.ok()) {
    std::string msg =
        "no key was generated: the station's disk cannot hold the record of a "
        "new key (" +
        reserve.status().message() + "); free space on it, then run `key generate` again";
    std::optional<std::uint64_t> index;
    std::string why_not = LogGenerationFailure(log, label, nullptr, msg, &index);
    return Status(reserve.status().code(), msg + Recorded(why_not, index));
  }
  // Steps 2 and 3.
  std::optional<hsm::KeyInfo> made;
  Status freed = Status::Ok();
  auto key = GenerateStationKey(station, session, label, algorithm, offered,
                                [&](const hsm::KeyInfo& info) {
                                  made = info;
                                  freed = reserve->Release();
                                });
  Status failed = !key.ok() ? key.status() : freed;
  std::optional<std::uint64_t> appended;
  if (failed.ok()) {
    auto event = KeyGeneratedEvent(*key, session.token().serial);
    auto index =
        event.ok() ? log.Append(std::move(event).value()) : Result<std::uint64_t>(event.status());
    if (index.ok()) appended = *index;
    failed = index.ok() ? log.Commit().status() : index.status();
  }
  if (failed.ok()) return LoggedKey{std::move(key).value(), *appended};
  failed = NoteFullDisk(station.dir(), failed);
  if (!made) {
    // A mistake in the request (a taken label) logs nothing, as before; a
    // station that failed (the HSM, the disk) records the attempt.
    if (failed.code() != Code::kHsm && failed.code() != Code::kIo)
      return failed.Annotate("no key was generated");
    std::string msg = "no key was generated: " + failed.message();
    std::optional<std::uint64_t> refusal;
    std::string why_not = LogGenerationFailure(log, label, nullptr, msg, &refusal);
    return Status(failed.code(), msg + Recorded(why_not, refusal));
  }
  if (appended) {
    // The event is durable: the key is recorded; only the checkpoint over
    // it is missing, which the next command (or `log recover`) signs.
    return failed.Annotate("the key '" + made->label + "' was generated and logged as event " +
                           std::to_string(*appended) +
                           " (durable), but the checkpoint over it could not be signed; once "
                           "the cause is fixed, `strongroom log recover` signs it");
  }
  // Step 4: a key exists that the log does not hold.
  const std::string base = JoinPath(station.KeysDir(), made->label);
  for (const std::string& f : {base + ".pem", base + ".pop", base + ".pop.sig"})
    if (PathExists(f)) ::unlink(f.c_str());
  Status destroyed = session.DestroyKey(*made);
  if (!destroyed.ok()) {
    return failed.Annotate(
        "the key '" + made->label + "' (fingerprint " + made->fingerprint_hex + ", " + made->uri +
        ") was generated but its KEY_GENERATED event could not be written, and destroying it "
        "failed too (" +
        destroyed.ToString() +
        "): it is in the token without a record. Do not use it; once the cause is fixed, "
        "delete it from the token (pkcs11-tool --delete-object) and generate a new key");
  }
  std::string msg = "the key '" + made->label + "' (fingerprint " + made->fingerprint_hex +
                    ") was generated, but its KEY_GENERATED event could not be written (" +
                    failed.message() +
                    "), so it was destroyed in the token: no key without a record remains. "
                    "Once the cause is fixed (a full disk: once space is free), run `key "
                    "generate` again";
  std::optional<std::uint64_t> refusal;
  std::string why_not = LogGenerationFailure(log, label, &*made, msg, &refusal);
  return Status(failed.code(), msg + Recorded(why_not, refusal));
}

}  // namespace sr
