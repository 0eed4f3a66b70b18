// `strongroom custody resplit`, and the share-issuing options it shares with
// `station init --custody`. The protocol is station/custody.h's.
#include "cli/custody.h"

#include <charconv>
#include <iostream>

#include "cli/common.h"
#include "cli/json.h"
#include "station/pin_source.h"
#include "station/station.h"

extern char** environ;

namespace sr::cli {
namespace {

Result<unsigned> ParseSplit(const std::string& split, std::size_t custodians) {
  unsigned m = 0, n = 0;
  std::size_t of = split.find("-of-");
  auto parse = [](std::string_view s, unsigned& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (of == std::string::npos || !parse(std::string_view(split).substr(0, of), m) ||
      !parse(std::string_view(split).substr(of + 4), n))
    return InvalidArgument("--custody takes M-of-N, as in 2-of-3; got \"" + split.substr(0, 32) +
                           "\"");
  if (n != custodians)
    return InvalidArgument("--custody " + split + " names " + std::to_string(n) +
                           " custodians, but " + std::to_string(custodians) +
                           " --custodian options are given");
  return m;
}

}  // namespace

CLI::Option* AddCustodyIssueOptions(CLI::App* cmd, CustodyArgs& a) {
  cmd->add_option("--custodian", a.custodians,
                  "A custodian who receives one share (repeat, in share order); the name\n"
                  "(letters, digits, . _ -) names their share file");
  cmd->add_option("--passphrase-source", a.passphrase_sources,
                  "NAME=SPEC: protect custodian NAME's share with a passphrase read from SPEC\n"
                  "(file:PATH, fd:N or prompt, asked twice); repeat per custodian");
  return cmd->add_option("--shares-out", a.shares_out,
                         "Directory for the share files, <custodian>-<token>-<pin>.share\n"
                         "(created 0700; existing share files are never overwritten)");
}

Result<custody::IssueOptions> ReadCustodyIssueOptions(const CustodyArgs& a) {
  custody::IssueOptions o;
  o.custodians = a.custodians;
  o.shares_out = a.shares_out;
  if (!a.split.empty()) {
    SR_ASSIGN_OR_RETURN(o.threshold, ParseSplit(a.split, a.custodians.size()));
  } else {
    o.threshold = a.threshold;
  }
  SR_RETURN_IF_ERROR(custody::ValidateIssueOptions(o));
  if (a.passphrase_sources.empty()) return o;
  o.passphrases.resize(o.custodians.size());
  for (const std::string& ps : a.passphrase_sources) {
    std::size_t eq = ps.find('=');
    std::string name = ps.substr(0, eq);
    auto it = std::find(o.custodians.begin(), o.custodians.end(), name);
    if (eq == std::string::npos || it == o.custodians.end())
      return InvalidArgument("--passphrase-source takes CUSTODIAN=SPEC for a --custodian; got \"" +
                             name.substr(0, 64) + "\"");
    SR_ASSIGN_OR_RETURN(
        auto src, ParseNewPinSource(ps.substr(eq + 1), "share passphrase of custodian " + name));
    SR_ASSIGN_OR_RETURN(o.passphrases[std::size_t(it - o.custodians.begin())], src->ReadPin());
  }
  return o;
}

namespace {

struct ResplitArgs {
  std::string station, token = "release", pin_source = "shares:prompt", log_pin_source = "prompt";
  bool so = false;
  CustodyArgs custody;
  std::vector<std::string> operators;
  int wait = kDefaultLockWaitSeconds;
};

Status Resplit(Context& ctx, const ResplitArgs& a) {
  SR_RETURN_IF_ERROR(RefusePinsInEnvironment(environ));
  SR_ASSIGN_OR_RETURN(TokenRole role, ParseTokenRole(a.token));
  const std::string kind = a.so ? "so" : "user";
  const std::string what = a.token + " token " + (a.so ? "SO PIN" : "user PIN");
  SR_ASSIGN_OR_RETURN(auto current,
                      ParsePinSource(a.pin_source, "current " + what, {a.station, a.token, kind}));
  SR_ASSIGN_OR_RETURN(auto log_source, ParsePinSource(a.log_pin_source, "log token user PIN"));
  SR_ASSIGN_OR_RETURN(custody::IssueOptions issue, ReadCustodyIssueOptions(a.custody));
  SR_ASSIGN_OR_RETURN(
      auto station, Station::Open(a.station, StationLockOptions::Take("custody resplit", a.wait)));
  custody::ResplitOptions o;
  o.role = role;
  o.so = a.so;
  o.current = current.get();
  o.log_pin = log_source.get();
  o.issue = std::move(issue);
  o.operators = a.operators;
  SR_ASSIGN_OR_RETURN(custody::ResplitResult r, custody::Resplit(*station, o));
  if (ctx.json) {
    PrintJson({{"ok", true},
               {"token", a.token},
               {"token_serial", r.token.serial},
               {"pin", kind},
               {"threshold", r.split.threshold},
               {"split_id", r.split.split_id},
               {"share_files", r.files},
               {"share_fingerprints", r.split.fingerprints},
               {"event_index", r.event_index}});
    return Status::Ok();
  }
  std::cout << "Changed the " << what << " and split it " << r.split.threshold << "-of-"
            << r.split.shares << " (split " << r.split.split_id << "); old shares no longer open "
            << "the token\n";
  for (std::size_t i = 0; i < r.files.size(); ++i)
    std::cout << "  share " << i + 1 << " for " << r.split.custodians[i] << ": " << r.files[i]
              << "\n    fingerprint " << r.split.fingerprints[i] << "\n";
  std::cout << "  logged as event " << r.event_index << " (CUSTODY_SHARES_ISSUED)\n";
  return Status::Ok();
}

}  // namespace

void RegisterCustodyCommands(CLI::App& app, Context& ctx) {
  CLI::App* custody = app.add_subcommand(
      "custody", "M-of-N custody of token PINs by custodians' shares (docs/custody.md)");
  custody->require_subcommand(1);
  auto a = std::make_shared<ResplitArgs>();
  CLI::App* resplit = custody->add_subcommand(
      "resplit",
      "A custodian change: open the token's PIN from the current shares (--pin-source\n"
      "shares:FILE,FILE... or shares:prompt), change it (C_SetPIN) to a new PIN the station\n"
      "generates and nobody sees, split that among the --custodian names (M of them open it),\n"
      "write their share files into --shares-out, and log CUSTODY_SHARES_ISSUED with the\n"
      "fingerprints of the shares used and issued. The old shares no longer open the token.\n"
      "A PIN not yet held by custodians is read from any pin source and put under custody.");
  AddStationOption(resplit, a->station)->required();
  resplit->add_option("--token", a->token, "Whose PIN: release (default) or log (with --so)");
  resplit->add_flag("--so", a->so, "Resplit the token's SO PIN instead of its user PIN");
  resplit->add_option("--pin-source", a->pin_source,
                      "Where the current PIN comes from: shares:FILE,FILE... or shares:prompt\n"
                      "(default), or file:PATH / fd:N / prompt for a PIN not yet in custody");
  AddLogPinSourceOption(resplit, a->log_pin_source);
  resplit
      ->add_option("--threshold", a->custody.threshold,
                   "M: how many of the new shares open the PIN (2..number of custodians)")
      ->required();
  AddCustodyIssueOptions(resplit, a->custody)->required();
  AddOperatorOption(resplit, a->operators);
  AddWaitOption(resplit, a->wait);
  resplit->callback([&ctx, a] {
    Status s = Resplit(ctx, *a);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(ctx, s.Annotate("custody resplit"));
  });
}

}  // namespace sr::cli
