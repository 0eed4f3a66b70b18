// M-of-N custody of a token PIN (docs/custody.md). The station generates the
// PIN (32 random bytes, hex: no NUL, CR or LF), splits it among custodians
// (station/share.h) and keeps, in STATION/custody/<token>-<pin>.json, the
// custody record: which split is current, its threshold, the share
// fingerprints, and a salted SHA-256 of the PIN, so a reconstruction is
// verified before the PIN reaches the token and every bad share is named.
//
// Failure: kNotFound when a PIN has no custody record; kInvalidArgument for
// shares of another station, token or PIN, too few, or a duplicate;
// kDataLoss for a damaged share; kPermissionDenied for a share of an older
// split or a wrong passphrase. Messages name the share, never its content.
// Not thread-safe (a Station is not).
#ifndef STRONGROOM_STATION_CUSTODY_H_
#define STRONGROOM_STATION_CUSTODY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "proto/event.pb.h"
#include "station/pin_source.h"
#include "station/share.h"
#include "station/station.h"

namespace sr::custody {

// 32 bytes from RAND_priv_bytes, as 64 lower-case hex characters.
Result<SecretBytes> GeneratePin();

// One split as the custody record keeps it (no secret: the PIN check is a
// salted hash of a 256-bit random PIN).
struct SplitRecord {
  std::string split_id, issued;
  unsigned threshold = 0, shares = 0, secret_length = 0;
  std::string salt;       // hex
  std::string pin_check;  // SHA-256 hex of "strongroom custody pin check v1\n" || salt || PIN
  std::vector<std::string> fingerprints, custodians;  // in share-index order
};

struct CustodyRecord {
  std::string station_id, token, pin;
  SplitRecord current;
  // A resplit in progress: its shares are written and the record names them
  // before C_SetPIN, so a crash leaves a token some set of shares opens.
  std::optional<SplitRecord> pending;
};

Result<CustodyRecord> ReadRecord(std::string_view station_dir, std::string_view token,
                                 std::string_view pin);
// Replaces the record atomically (temp + fsync + rename).
Status WriteRecord(std::string_view station_dir, const CustodyRecord& record);

// How a split is issued: M, one custodian per share (ValidCustodianName),
// optional passphrases (empty, or one per custodian; an empty one leaves that
// share in the clear), and the directory the share files go to.
struct IssueOptions {
  unsigned threshold = 0;
  std::vector<std::string> custodians;
  std::vector<SecretBytes> passphrases;
  std::string shares_out;
};
Status ValidateIssueOptions(const IssueOptions& o);

struct Issued {
  SplitRecord split;
  std::vector<std::string> files;  // share files written, in index order
};

// Splits pin among o.custodians and writes one share file per custodian,
// SHARES_OUT/<custodian>-<token>-<pin>.share (mode 0600, never over an
// existing file), each durable before this returns. Does not touch the record.
Result<Issued> IssueShares(std::string_view station_id, std::string_view token,
                           std::string_view pin_kind, const SecretBytes& pin,
                           const IssueOptions& o);

// A share as given: what names it in messages ("share file a.share"), its
// text, and how to get its passphrase if it is encrypted.
struct ShareInput {
  std::string what;
  SecretBytes text;
  std::function<Result<SecretBytes>()> passphrase;  // may be empty: none available
};

struct Reconstructed {
  SecretBytes pin;
  std::vector<std::string> fingerprints;  // of the shares used, in the order given
  bool pending = false;                   // from a resplit that had not finished
};

// Checks every share against the station's record for token/pin_kind and
// recombines the PIN, verified against the record's salted hash. At least
// threshold distinct valid shares of one split (the current one, or a
// pending one) are needed; more are fine.
Result<Reconstructed> Reconstruct(std::string_view station_dir, std::string_view token,
                                  std::string_view pin_kind, std::vector<ShareInput>& inputs);

// The CUSTODY_SHARES_ISSUED event of a split.
strongroom::v1::Event SharesIssuedEvent(const hsm::TokenInfo& token, std::string_view role,
                                        std::string_view pin_kind, const SplitRecord& split);

// Whether a PIN source's failure is a refusal of the custodian shares it
// was given (source describes "shares:..."; a damaged, foreign, old,
// duplicated or missing share, a wrong passphrase), which the log records.
bool IsShareRefusal(const PinSource& source, const Status& error);

// Records a refusal of custodian shares in the log as EXCEPTION_RECORDED
// (summary "custodian PIN shares refused by <verb>", detail: the message,
// which names the share, never its content), with operators. Returns the
// event's index.
Result<std::uint64_t> LogShareRefusal(Station& station, const SecretBytes& log_pin,
                                      std::string_view verb, const Status& why,
                                      const std::vector<std::string>& operators);

// `custody resplit`: the PIN of role's token (user, or SO with so) changes to
// a new generated one, split among new custodians; old shares stop working.
struct ResplitOptions {
  TokenRole role = TokenRole::kRelease;
  bool so = false;
  PinSource* current = nullptr;  // the current PIN (shares:..., or any source before custody)
  PinSource* log_pin = nullptr;  // the log token's user PIN
  IssueOptions issue;
  std::vector<std::string> operators;
};
struct ResplitResult {
  hsm::TokenInfo token;
  SplitRecord split;
  std::vector<std::string> files;
  std::uint64_t event_index = 0;
};
// Steps (docs/custody.md has the crash table): read and verify the current
// PIN; open the log; write the new shares; record them as pending; C_SetPIN;
// make them current; log CUSTODY_SHARES_ISSUED with the fingerprints of the
// shares that were used.
Result<ResplitResult> Resplit(Station& station, const ResplitOptions& o);

}  // namespace sr::custody

#endif  // STRONGROOM_STATION_CUSTODY_H_
