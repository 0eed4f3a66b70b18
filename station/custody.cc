#include "station/custody.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "station/layout.h"
#include "station/station_log.h"

namespace sr::custody {
namespace {

constexpr std::string_view kRecordFormat = "strongroom-custody-record v1";
constexpr std::uint64_t kMaxRecordBytes = 64 * 1024;
constexpr std::size_t kPinRandomBytes = 32;

Result<std::string> RandomHex(std::size_t n) {
  std::string b(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), int(n)) != 1)
    return Internal("the random generator failed");
  return HexEncode(b);
}

std::string PinCheck(std::string_view salt_hex, const SecretBytes& pin) {
  Sha256Hasher h;
  h.Update("strongroom custody pin check v1\n");
  h.Update(salt_hex);
  h.Update(std::string_view(reinterpret_cast<const char*>(pin.data()), pin.size()));
  Sha256Digest d = h.Finish();
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

nlohmann::ordered_json SplitJson(const SplitRecord& s) {
  return {{"split_id", s.split_id},           {"issued", s.issued},
          {"threshold", s.threshold},         {"shares", s.shares},
          {"secret_length", s.secret_length}, {"salt", s.salt},
          {"pin_check", s.pin_check},         {"share_fingerprints", s.fingerprints},
          {"custodians", s.custodians}};
}

SplitRecord SplitFromJson(const nlohmann::json& j) {
  SplitRecord s;
  s.split_id = j.at("split_id").get<std::string>();
  s.issued = j.at("issued").get<std::string>();
  s.threshold = j.at("threshold").get<unsigned>();
  s.shares = j.at("shares").get<unsigned>();
  s.secret_length = j.at("secret_length").get<unsigned>();
  s.salt = j.at("salt").get<std::string>();
  s.pin_check = j.at("pin_check").get<std::string>();
  s.fingerprints = j.at("share_fingerprints").get<std::vector<std::string>>();
  s.custodians = j.at("custodians").get<std::vector<std::string>>();
  return s;
}

std::string PinName(std::string_view token, std::string_view pin) {
  return "the " + std::string(token) + " token's " + (pin == "so" ? "SO" : "user") + " PIN";
}

std::string Short(std::string_view fingerprint) { return std::string(fingerprint.substr(0, 16)); }

}  // namespace

Result<SecretBytes> GeneratePin() {
  SecretBytes raw(kPinRandomBytes);
  if (RAND_priv_bytes(raw.data(), int(raw.size())) != 1)
    return Internal("the random generator failed; no PIN generated");
  SecretBytes pin;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint8_t b : raw) {
    pin.push_back(std::uint8_t(kHex[b >> 4]));
    pin.push_back(std::uint8_t(kHex[b & 15]));
  }
  return pin;
}

Result<CustodyRecord> ReadRecord(std::string_view station_dir, std::string_view token,
                                 std::string_view pin) {
  std::string path = layout::CustodyRecord(station_dir, token, pin);
  if (!PathExists(path))
    return NotFound(PinName(token, pin) + " of station " + std::string(station_dir) +
                    " is not held by custodians (no " + path +
                    "); split it with `station init --custody` or `custody resplit`");
  SR_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxRecordBytes));
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format").get<std::string>() != kRecordFormat)
      return InvalidArgument(path + " is not a " + std::string(kRecordFormat));
    CustodyRecord r;
    r.station_id = j.at("station_id").get<std::string>();
    r.token = j.at("token").get<std::string>();
    r.pin = j.at("pin").get<std::string>();
    r.current = SplitFromJson(j.at("current"));
    if (j.contains("pending")) r.pending = SplitFromJson(j.at("pending"));
    return r;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(path + " is not a valid custody record: " + e.what());
  }
}

Status WriteRecord(std::string_view station_dir, const CustodyRecord& r) {
  SR_RETURN_IF_ERROR(MakeDirs(layout::CustodyDir(station_dir), 0700));
  nlohmann::ordered_json j = {{"format", kRecordFormat},
                              {"station_id", r.station_id},
                              {"token", r.token},
                              {"pin", r.pin},
                              {"current", SplitJson(r.current)}};
  if (r.pending) j["pending"] = SplitJson(*r.pending);
  return WriteFileAtomic(layout::CustodyRecord(station_dir, r.token, r.pin), j.dump(2) + "\n",
                         0600);
}

Status ValidateIssueOptions(const IssueOptions& o) {
  const std::size_t n = o.custodians.size();
  if (n < 2 || n > kMaxShares)
    return InvalidArgument("custody needs 2 to " + std::to_string(kMaxShares) +
                           " custodians (--custodian NAME, repeated); got " + std::to_string(n));
  if (o.threshold < 2 || o.threshold > n)
    return InvalidArgument("a custody threshold must be 2 to the number of custodians (" +
                           std::to_string(n) + "); got " + std::to_string(o.threshold));
  for (std::size_t i = 0; i < n; ++i) {
    if (!ValidCustodianName(o.custodians[i]))
      return InvalidArgument("custodian name \"" + o.custodians[i].substr(0, 64) +
                             "\" must be 1-64 letters, digits, '.', '_' or '-' (it names files)");
    for (std::size_t k = 0; k < i; ++k)
      if (o.custodians[k] == o.custodians[i])
        return InvalidArgument("custodian " + o.custodians[i] +
                               " is named twice; each custodian holds one share");
  }
  if (!o.passphrases.empty() && o.passphrases.size() != n)
    return Internal("passphrases must be given for every custodian or none");
  if (o.shares_out.empty()) return InvalidArgument("custody needs --shares-out DIR");
  return Status::Ok();
}

Result<Issued> IssueShares(std::string_view station_id, std::string_view token,
                           std::string_view pin_kind, const SecretBytes& pin,
                           const IssueOptions& o) {
  SR_RETURN_IF_ERROR(ValidateIssueOptions(o));
  Issued out;
  for (const std::string& c : o.custodians) {
    out.files.push_back(JoinPath(
        o.shares_out, c + "-" + std::string(token) + "-" + std::string(pin_kind) + ".share"));
    if (PathExists(out.files.back()))
      return Status(Code::kAlreadyExists, "share file " + out.files.back() +
                                              " exists; refusing to overwrite a custodian's share");
  }
  ShareHeader h;
  h.station_id = station_id;
  h.token = token;
  h.pin = pin_kind;
  SR_ASSIGN_OR_RETURN(h.split_id, RandomHex(8));
  h.threshold = o.threshold;
  h.shares = static_cast<unsigned>(o.custodians.size());
  h.issued = NowRfc3339();
  SR_ASSIGN_OR_RETURN(std::vector<Share> shares, Split(pin, h, o.custodians));
  SplitRecord& s = out.split;
  s.split_id = h.split_id;
  s.issued = h.issued;
  s.threshold = h.threshold;
  s.shares = h.shares;
  s.secret_length = static_cast<unsigned>(pin.size());
  SR_ASSIGN_OR_RETURN(s.salt, RandomHex(16));
  s.pin_check = PinCheck(s.salt, pin);
  s.custodians = o.custodians;
  SR_RETURN_IF_ERROR(MakeDirs(o.shares_out, 0700));
  for (std::size_t i = 0; i < shares.size(); ++i) {
    static const SecretBytes kNone;
    SR_ASSIGN_OR_RETURN(SecretBytes text,
                        FormatShare(shares[i], o.passphrases.empty() ? kNone : o.passphrases[i]));
    SR_RETURN_IF_ERROR(WriteFileAtomic(
        out.files[i], std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
        0600, /*exclusive=*/true));
    s.fingerprints.push_back(shares[i].fingerprint);
  }
  return out;
}

Result<Reconstructed> Reconstruct(std::string_view station_dir, std::string_view token,
                                  std::string_view pin_kind, std::vector<ShareInput>& inputs) {
  SR_ASSIGN_OR_RETURN(CustodyRecord rec, ReadRecord(station_dir, token, pin_kind));
  const std::string pin_name = PinName(token, pin_kind);
  std::vector<Share> shares;
  std::vector<const SplitRecord*> splits;
  std::map<unsigned, std::string> seen;  // index -> what gave it
  for (ShareInput& in : inputs) {
    SR_ASSIGN_OR_RETURN(ParsedShare p, ParseShare(in.text, in.what));
    const ShareHeader& h = p.header;
    if (h.station_id != rec.station_id)
      return InvalidArgument(in.what + " belongs to another station (" + h.station_id +
                             "), not this one (" + rec.station_id + ")");
    if (h.token != token || h.pin != pin_kind)
      return InvalidArgument(in.what + " is a share of " + PinName(h.token, h.pin) + ", not of " +
                             pin_name);
    const SplitRecord* split = nullptr;
    if (h.split_id == rec.current.split_id) split = &rec.current;
    if (rec.pending && h.split_id == rec.pending->split_id) split = &*rec.pending;
    if (split == nullptr)
      return Status(Code::kPermissionDenied,
                    in.what + " is from an older split of " + pin_name + " (split " + h.split_id +
                        ", issued " + h.issued + "), not the current one (split " +
                        rec.current.split_id + ", issued " + rec.current.issued +
                        "): the PIN was resplit and this share no longer opens the token");
    SecretBytes passphrase;
    if (p.encrypted) {
      if (!in.passphrase)
        return Status(Code::kPermissionDenied,
                      in.what + " is protected by a passphrase and no way to ask for it was given");
      SR_ASSIGN_OR_RETURN(passphrase, in.passphrase());
    }
    SR_ASSIGN_OR_RETURN(Share s, OpenShare(p, passphrase, in.what));
    if (h.index > split->fingerprints.size() || split->fingerprints[h.index - 1] != s.fingerprint)
      return Status(Code::kPermissionDenied,
                    in.what + " (fingerprint " + Short(s.fingerprint) +
                        "...) is not a current share of " + pin_name +
                        ": its fingerprint is not in the station's custody record");
    if (!splits.empty() && splits.front() != split)
      return InvalidArgument(in.what + " is of a different split than " + inputs.front().what +
                             " (an unfinished resplit); give shares of one split");
    if (auto it = seen.find(h.index); it != seen.end())
      return InvalidArgument(
          (it->second == in.what ? in.what + " is given twice"
                                 : in.what + " and " + it->second + " are the same share") +
          " (share " + std::to_string(h.index) + ", fingerprint " + Short(s.fingerprint) +
          "...); " + std::to_string(split->threshold) + " different shares are needed");
    seen[h.index] = in.what;
    splits.push_back(split);
    shares.push_back(std::move(s));
  }
  const SplitRecord& split = splits.empty() ? rec.current : *splits.front();
  if (shares.size() < split.threshold)
    return InvalidArgument(std::to_string(split.threshold) + " of " + std::to_string(split.shares) +
                           " shares are needed to open " + pin_name + ", " +
                           std::to_string(shares.size()) + " given");
  std::vector<const Share*> use;
  for (const Share& s : shares) use.push_back(&s);
  SR_ASSIGN_OR_RETURN(SecretBytes pin, Combine(use));
  if (PinCheck(split.salt, pin) != split.pin_check)
    return DataLoss("the shares combine to a PIN that does not match the custody record of " +
                    pin_name + " (" + layout::CustodyRecord(station_dir, token, pin_kind) + ")");
  Reconstructed out;
  out.pin = std::move(pin);
  out.pending = &split != &rec.current;
  for (const Share& s : shares) out.fingerprints.push_back(s.fingerprint);
  return out;
}

strongroom::v1::Event SharesIssuedEvent(const hsm::TokenInfo& token, std::string_view role,
                                        std::string_view pin_kind, const SplitRecord& split) {
  strongroom::v1::Event e;
  e.set_kind(strongroom::v1::EVENT_KIND_CUSTODY_SHARES_ISSUED);
  auto* p = e.mutable_custody_shares_issued();
  p->set_token_role(std::string(role));
  p->set_token_label(token.label);
  p->set_token_serial(token.serial);
  p->set_pin(std::string(pin_kind));
  p->set_threshold(split.threshold);
  for (const auto& f : split.fingerprints) p->add_share_fingerprints(f);
  for (const auto& c : split.custodians) p->add_custodians(c);
  return e;
}

bool IsShareRefusal(const PinSource& source, const Status& error) {
  if (!source.Describe().starts_with("shares:")) return false;
  Code c = error.code();
  return c == Code::kInvalidArgument || c == Code::kDataLoss || c == Code::kPermissionDenied;
}

Result<std::uint64_t> LogShareRefusal(Station& station, const SecretBytes& log_pin,
                                      std::string_view verb, const Status& why,
                                      const std::vector<std::string>& operators) {
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(station, log_pin));
  log->set_operators(operators);
  strongroom::v1::Event e;
  e.set_kind(strongroom::v1::EVENT_KIND_EXCEPTION_RECORDED);
  e.mutable_exception_recorded()->set_summary("custodian PIN shares refused by " +
                                              std::string(verb));
  e.mutable_exception_recorded()->set_detail(why.message());
  return log->AppendAndCommit(std::move(e));
}

// A share refusal, logged when the log PIN can be read and the log opened;
// the refusal is returned either way, saying whether it was logged.
Status Refused(Station& station, PinSource* log_source, std::string_view verb, const Status& why,
               const std::vector<std::string>& operators) {
  auto log_pin = log_source->ReadPin();
  if (!log_pin.ok()) return why;
  auto index = LogShareRefusal(station, *log_pin, verb, why, operators);
  if (!index.ok()) return why;
  return Status(why.code(), why.message() + " (logged as event " + std::to_string(*index) + ")");
}

Result<ResplitResult> Resplit(Station& station, const ResplitOptions& o) {
  SR_RETURN_IF_ERROR(ValidateIssueOptions(o.issue));
  const std::string role(TokenRoleName(o.role));
  const std::string kind = o.so ? "so" : "user";
  if (!o.so && (o.role == TokenRole::kLog || station.RolesShareToken()))
    return FailedPrecondition(
        "the log token's user PIN stays the station operator's and is not split among "
        "custodians; use `station change-pin --token log`");
  if (o.current == nullptr || o.log_pin == nullptr)
    return Internal("custody resplit needs the current PIN and the log PIN sources");
  auto read = o.current->ReadPin();
  if (!read.ok() && IsShareRefusal(*o.current, read.status()))
    return Refused(station, o.log_pin, "custody resplit", read.status(), o.operators);
  SR_ASSIGN_OR_RETURN(SecretBytes current, std::move(read));
  std::vector<std::string> used = o.current->ShareFingerprints();
  SR_ASSIGN_OR_RETURN(SecretBytes log_pin, o.log_pin->ReadPin());
  // The log first: a PIN changes only on a station that can record it.
  SR_ASSIGN_OR_RETURN(auto log, StationLog::Open(station, log_pin));
  log->set_operators(o.operators);
  SR_RETURN_IF_ERROR(log->RefuseIfClockBehind("custody resplit"));
  if (o.role == TokenRole::kLog || station.RolesShareToken()) log.reset();  // one login a token

  CustodyRecord rec;
  auto existing = ReadRecord(station.dir(), role, kind);
  if (existing.ok()) {
    rec = std::move(existing).value();
  } else if (existing.status().code() == Code::kNotFound) {
    rec.station_id = station.record().station_id();
    rec.token = role;
    rec.pin = kind;
  } else {
    return existing.status();
  }
  SR_ASSIGN_OR_RETURN(SecretBytes fresh, GeneratePin());
  SR_ASSIGN_OR_RETURN(Issued issued, IssueShares(rec.station_id, role, kind, fresh, o.issue));
  rec.pending = issued.split;
  SR_RETURN_IF_ERROR(WriteRecord(station.dir(), rec).Annotate("recording the new split"));
  auto token = station.ChangePin(o.role, o.so, current, fresh);
  if (!token.ok()) {
    rec.pending.reset();
    (void)WriteRecord(station.dir(), rec);
    for (const std::string& f : issued.files) ::unlink(f.c_str());
    return token.status().Annotate("changing " + PinName(role, kind) +
                                   " (nothing changed; the new share files were removed)");
  }
  rec.current = *rec.pending;
  rec.pending.reset();
  const std::string after = " WAS changed and the new shares are issued";
  SR_RETURN_IF_ERROR(WriteRecord(station.dir(), rec)
                         .Annotate(PinName(role, kind) + after +
                                   ", but the custody record still lists them as pending"));
  auto logged = [&]() -> Result<std::uint64_t> {
    if (log == nullptr) {
      SR_ASSIGN_OR_RETURN(log, StationLog::Open(station, log_pin));
    }
    log->set_operators(o.operators);
    strongroom::v1::Event e = SharesIssuedEvent(*token, role, kind, rec.current);
    for (const auto& f : used) e.add_pin_share_fingerprints(f);
    return log->AppendAndCommit(std::move(e));
  }();
  if (!logged.ok())
    return logged.status().Annotate(PinName(role, kind) + after + ", but logging it failed");
  ResplitResult r;
  r.token = *token;
  r.split = rec.current;
  r.files = issued.files;
  r.event_index = *logged;
  return r;
}

}  // namespace sr::custody
