// `strongroom record`: verify and log a signed lifecycle record about a
// release signed on this station (signer/lifecycle_record.h). Parses, calls
// signer::RecordLifecycle, prints.
#include <iostream>

#include "cli/common.h"
#include "cli/json.h"
#include "policy/lifecycle_record.h"
#include "signer/lifecycle_record.h"
#include "station/pin_source.h"
#include "station/station.h"

extern char** environ;

namespace sr::cli {
namespace {

struct RecordArgs {
  std::string station, in, log_pin_source = "prompt";
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

Json ReasonsJson(const std::vector<policy::Failure>& fs) {
  Json out = Json::array();
  for (const auto& f : fs)
    out.push_back(
        {{"reason", policy::ReasonName(f.reason)}, {"input", f.input}, {"message", f.message}});
  return out;
}

void PrintRecorded(const signer::RecordResult& r) {
  const auto& e = r.recorded;
  std::cout << (r.already_recorded ? "ALREADY RECORDED " : "RECORDED ") << e.record_type() << " "
            << e.outcome() << " for " << e.product() << " " << e.version();
  if (!e.cohort().empty()) std::cout << ", cohort " << e.cohort();
  if (!e.configuration().empty()) std::cout << ", configuration " << e.configuration();
  std::cout << " (log event " << r.event_index << ")\n"
            << "  signed by " << e.signer_name() << " (" << e.signer_fingerprint().substr(0, 16)
            << "...)\n"
            << "  envelope kept as evidence/" << e.envelope_sha256() << "\n";
  if (!e.follow_up_date().empty()) std::cout << "  follow-up date " << e.follow_up_date() << "\n";
  if (!e.owner().empty()) std::cout << "  owner " << e.owner() << "\n";
  if (!e.expires().empty()) std::cout << "  expires " << e.expires() << "\n";
  if (r.already_recorded)
    std::cout << "  this envelope was recorded before; nothing was appended to the log\n";
}

int RunRecord(Context& ctx, const RecordArgs& a) {
  if (Status s = RefusePinsInEnvironment(environ); !s.ok()) return ReportError(ctx, s);
  auto logsrc = ParsePinSource(a.log_pin_source, "log token user PIN");
  if (!logsrc.ok()) return ReportError(ctx, logsrc.status().Annotate("--log-pin-source"));
  auto station = Station::Open(a.station, StationLockOptions::Take("record", a.wait));
  if (!station.ok()) return ReportError(ctx, station.status());
  auto log_pin = (*logsrc)->ReadPin();
  if (!log_pin.ok()) return ReportError(ctx, log_pin.status());
  auto r = signer::RecordLifecycle(**station, *log_pin, {a.in, a.operators});
  if (!r.ok()) return ReportError(ctx, r.status().Annotate("record"));
  if (ctx.json) {
    Json j = {{"ok", r->accepted},
              {"accepted", r->accepted},
              {"already_recorded", r->already_recorded},
              {"logged", r->logged},
              {"event_index", r->event_index},
              {"envelope_sha256", r->envelope_sha256}};
    if (r->accepted) j["record"] = MessageJson(r->recorded, /*proto_names=*/false);
    if (!r->failures.empty()) j["reasons"] = ReasonsJson(r->failures);
    PrintJson(j);
  } else if (r->accepted) {
    PrintRecorded(*r);
  } else {
    std::cerr << "strongroom: REFUSED record " << a.in << " (log event " << r->event_index
              << "):\n";
    for (const auto& f : r->failures) std::cerr << "  " << policy::FormatFailure(f) << "\n";
  }
  if (r->accepted) return kExitOk;
  return r->mistake != Code::kOk ? ExitCodeFor(Status(r->mistake, "")) : kExitRefused;
}

}  // namespace

void RegisterRecordCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<RecordArgs>();
  CLI::App* c = app.add_subcommand(
      "record",
      "Verify and log a signed lifecycle record about a release signed on this station: a\n"
      "DSSE envelope of an in-toto Statement with predicateType\n"
      "https://strongroom.dev/attestations/lifecycle-record/v1 (docs/formats.md, \"Lifecycle\n"
      "records\"). Record types: " +
          policy::RecordTypeList() +
          ".\n"
          "It must be signed by a key the policy's recordSigners trust for its type, name a\n"
          "release the log shows signed, and have valid fields for its type. Accepted: the\n"
          "envelope is kept in STATION/evidence/<sha256> and LIFECYCLE_RECORDED is logged (exit\n"
          "0; the same envelope again: exit 0, nothing logged). Otherwise a REFUSAL naming\n"
          "input `record` and every reason is logged (exit 1; 4 for a file that does not\n"
          "exist). Needs only the log token's PIN.");
  AddStationOption(c, a->station)->required();
  c->add_option("--in", a->in, "The signed record (a DSSE envelope, JSON; at most 1 MiB)")
      ->required();
  AddLogPinSourceOption(c, a->log_pin_source);
  AddOperatorOption(c, a->operators);
  AddWaitOption(c, a->wait);
  c->callback([&ctx, a] { ctx.exit_code = RunRecord(ctx, *a); });
}

}  // namespace sr::cli
