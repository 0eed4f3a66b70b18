#include "log/verified_events.h"

#include "log/reader.h"

namespace sr::log {

Status VerifyFailureStatus(const VerifyReport& rep, std::string_view what) {
  const VerifyFailure& f = *rep.failure;
  std::string where;
  if (f.index >= 0) where += ", event " + std::to_string(f.index);
  if (f.offset >= 0) where += ", byte offset " + std::to_string(f.offset);
  std::string msg = "the log does not verify against its signed checkpoint (check " + f.check +
                    where + ": " + f.message + "); no " + std::string(what) + " was written";
  return f.check == "io" ? IoError(msg) : DataLoss(msg);
}

Result<VerifiedCheckpoint> ReadVerifiedEvents(std::string_view dir, std::string_view vkey,
                                              unsigned threads, std::string_view what,
                                              const ParsedEventVisitor& visit) {
  auto verifier = NoteVerifier::Parse(vkey);
  if (!verifier.ok()) return verifier.status().Annotate("the log's verifier key");
  SR_ASSIGN_OR_RETURN(LogReader reader, LogReader::Open(dir));
  auto note = reader.CheckpointNote();
  if (!note.ok()) return note.status().Annotate("the log's checkpoint");
  auto cp = OpenCheckpoint(*note, *verifier);
  if (!cp.ok())
    return DataLoss("the log's checkpoint does not verify with the verifier key you gave (" +
                    cp.status().message() + "); no " + std::string(what) + " was written");
  VerifiedCheckpoint out{verifier->ToString(), *note, *cp};

  Status parse = Status::Ok();
  VerifyOptions vo;
  vo.dir = std::string(dir);
  vo.vkey = out.vkey;
  vo.checkpoint = *cp;
  vo.signed_prefix_only = true;
  vo.threads = threads;
  vo.on_event = [&](std::uint64_t i, std::string_view bytes) {
    strongroom::v1::Event e;
    if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      if (parse.ok()) parse = DataLoss("event " + std::to_string(i) + " is not a valid Event");
      return;
    }
    visit(i, std::move(e), bytes);
  };
  auto rep = VerifyLog(vo);
  if (!rep.ok()) return rep.status();
  if (!rep->ok) return VerifyFailureStatus(*rep, what);
  SR_RETURN_IF_ERROR(parse);
  return out;
}

}  // namespace sr::log
