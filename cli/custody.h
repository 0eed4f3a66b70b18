// Options of the verbs that issue custodian shares (`station init --custody`,
// `custody resplit`), parsed once here.
#ifndef STRONGROOM_CLI_CUSTODY_H_
#define STRONGROOM_CLI_CUSTODY_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "station/custody.h"

namespace sr::cli {

struct CustodyArgs {
  std::string split;       // "M-of-N" (station init) ...
  unsigned threshold = 0;  // ... or M (custody resplit)
  std::vector<std::string> custodians;
  std::vector<std::string> passphrase_sources;  // NAME=SPEC
  std::string shares_out;
};

// --custodian NAME (repeat), --passphrase-source NAME=SPEC (repeat),
// --shares-out DIR. Returns --shares-out.
CLI::Option* AddCustodyIssueOptions(CLI::App* cmd, CustodyArgs& a);

// The IssueOptions of a, passphrases read (a prompt asks twice). M comes
// from a.split ("2-of-3", N must be the number of custodians) when set,
// else a.threshold.
Result<custody::IssueOptions> ReadCustodyIssueOptions(const CustodyArgs& a);

}  // namespace sr::cli

#endif  // STRONGROOM_CLI_CUSTODY_H_
