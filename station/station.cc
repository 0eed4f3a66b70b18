#include "station/station.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <thread>

#include "base/encoding.h"
#include "hsm/mechanisms.h"
#include "hsm/uri.h"
#include "policy/json.h"
#include "station/custody.h"
#include "station/layout.h"
#include "station/station_log.h"
#include "station/token_guard.h"

namespace sr {
namespace {

constexpr std::uint64_t kMaxStationJsonBytes = 64 * 1024;

// A dir that does not exist, or exists and is empty, becomes the station.
Status PrepareStationDir(const std::string& dir) {
  if (PathExists(dir)) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoError("opening station directory", dir, errno);
    int entries = 0;
    while (dirent* e = ::readdir(d)) {
      std::string_view n(e->d_name);
      if (n != "." && n != "..") ++entries;
    }
    ::closedir(d);
    if (entries > 0) {
      return Status(Code::kAlreadyExists,
                    "station directory " + dir + " is not empty; refusing to initialize over it");
    }
  }
  SR_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  for (std::string_view sub : {layout::kTokensDir, layout::kKeysDir, layout::kEvidenceDir}) {
    SR_RETURN_IF_ERROR(MakeDirs(JoinPath(dir, sub), 0700));
  }
  return Status::Ok();
}

Result<std::string> AbsolutePath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return ErrnoError("resolving", path, errno);
  return std::string(buf);
}

Result<SecretBytes> ReadRequiredPin(PinSource* source, std::string_view what) {
  if (source == nullptr) {
    return InvalidArgument("station init needs a pin source for the " + std::string(what));
  }
  return source->ReadPin();
}

std::string RandomHex(std::size_t bytes) {
  std::string b(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), b.size()) != 1) return {};
  return HexEncode(b);
}

Status WriteStationJson(const std::string& dir, const strongroom::v1::Station& record) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(record, &json, opts).ok()) {
    return Internal("encoding station.json failed");
  }
  return WriteFileAtomic(layout::StationJson(dir), json, 0644, /*exclusive=*/true);
}

void AddToken(strongroom::v1::Station& record, TokenRole role, const hsm::TokenInfo& t) {
  auto* b = record.add_tokens();
  b->set_role(std::string(TokenRoleName(role)));
  b->set_label(t.label);
  b->set_serial(t.serial);
  hsm::Pkcs11Uri u;
  u.token = t.label;
  u.serial = t.serial;
  b->set_uri(u.ToString());
}

// Takes station.lock as o says (see Station::Open) and records the holder.
Result<FileLock> TakeStationLock(const std::string& dir, const StationLockOptions& o) {
  using Clock = std::chrono::steady_clock;
  const std::string path = layout::LockFile(dir);
  const auto deadline = Clock::now() + std::chrono::seconds(std::max(0, o.wait_seconds));
  std::string announced;
  for (;;) {
    auto lock = FileLock::Acquire(path, /*wait=*/false);
    if (lock.ok()) {
      // The flock is the lock; this record only tells waiters who holds it.
      std::string record = "pid=" + std::to_string(::getpid()) +
                           "\nverb=" + (o.verb.empty() ? std::string("strongroom") : o.verb) +
                           "\nsince=" + NowRfc3339() + "\n";
      int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        UniqueFd guard(fd);
        (void)WriteAll(fd, record, path);
      }
      return lock;
    }
    if (lock.status().code() != Code::kUnavailable) return lock.status();
    std::string holder = DescribeStationLockHolder(dir);
    if (Clock::now() >= deadline) {
      return Status(
          Code::kUnavailable,
          "the station lock " + path + " is held by " + holder +
              (o.wait_seconds > 0 ? "; gave up after waiting " + std::to_string(o.wait_seconds) +
                                        " s (--wait SECONDS waits longer)"
                                  : "; not waiting (--wait 0)"));
    }
    if (holder != announced) {
      std::fprintf(stderr, "strongroom: waiting up to %d s for the station lock %s, held by %s\n",
                   o.wait_seconds, path.c_str(), holder.c_str());
      announced = holder;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

std::string DescribeStationLockHolder(std::string_view dir) {
  auto text = ReadFile(layout::LockFile(dir), 4096);
  std::string pid, verb, since;
  if (text.ok()) {
    std::string_view rest = *text;
    while (!rest.empty()) {
      std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      std::size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
      if (k == "pid") pid = v;
      if (k == "verb") verb = v;
      if (k == "since") since = v;
    }
  }
  if (pid.empty()) return "a process that has not recorded itself (e.g. flock(1))";
  int n = std::atoi(pid.c_str());
  if (n > 0 && ::kill(n, 0) != 0 && errno == ESRCH) {
    return "a process that has not recorded itself (the record names pid " + pid +
           ", which has exited)";
  }
  return "pid " + pid + " (" + (verb.empty() ? "strongroom" : verb) +
         (since.empty() ? "" : ", since " + since) + ")";
}

struct InitPins {
  SecretBytes release_so, release_user, log_so, log_user;
};

namespace {

// Reads every PIN the init needs before anything on disk changes.
Result<InitPins> ReadInitPins(const StationInitOptions& o) {
  InitPins p;
  if (o.custody != nullptr) {
    if (!o.module_path.empty())
      return InvalidArgument("--custody is for the embedded SoftHSMv2: an external module's "
                             "tokens keep the PINs their administrators set");
    SR_RETURN_IF_ERROR(custody::ValidateIssueOptions(*o.custody));
    SR_ASSIGN_OR_RETURN(p.release_so, custody::GeneratePin());
    SR_ASSIGN_OR_RETURN(p.release_user, custody::GeneratePin());
    SR_ASSIGN_OR_RETURN(p.log_so, custody::GeneratePin());
    SR_ASSIGN_OR_RETURN(p.log_user, ReadRequiredPin(o.log_user, "log token user PIN"));
    return p;
  }
  if (!o.module_path.empty()) {
    SR_ASSIGN_OR_RETURN(p.log_user, ReadRequiredPin(o.log_user, "log token user PIN"));
    return p;
  }
  // In the order an operator expects to be prompted.
  SR_ASSIGN_OR_RETURN(p.release_so, ReadRequiredPin(o.release_so, "release token SO PIN"));
  SR_ASSIGN_OR_RETURN(p.release_user, ReadRequiredPin(o.release_user, "release token user PIN"));
  SR_ASSIGN_OR_RETURN(p.log_so, ReadRequiredPin(o.log_so, "log token SO PIN"));
  SR_ASSIGN_OR_RETURN(p.log_user, ReadRequiredPin(o.log_user, "log token user PIN"));
  if (SecretEquals(p.release_user, p.log_user)) {
    return InvalidArgument(
        "the release token and the log token must have different user PINs: the release PIN "
        "belongs to the custodians, the log PIN to the station operator");
  }
  return p;
}

// Embedded SoftHSMv2: two fresh tokens in the station's own token folder.
Status InitEmbeddedTokens(hsm::Module& module, const InitPins& p, strongroom::v1::Station& record) {
  SR_ASSIGN_OR_RETURN(hsm::TokenInfo rel,
                      module.InitToken("release", p.release_so, p.release_user));
  AddToken(record, TokenRole::kRelease, rel);
  SR_ASSIGN_OR_RETURN(hsm::TokenInfo log, module.InitToken("log", p.log_so, p.log_user));
  AddToken(record, TokenRole::kLog, log);
  return Status::Ok();
}

Status BindExternalTokens(hsm::Module& module, const StationInitOptions& o,
                          strongroom::v1::Station& record) {
  if (o.release_token_uri.empty()) {
    return InvalidArgument("--module needs --token URI naming the release token");
  }
  std::string log_uri = o.log_token_uri.empty() ? o.release_token_uri : o.log_token_uri;
  for (auto [role, text] :
       {std::pair{TokenRole::kRelease, o.release_token_uri}, std::pair{TokenRole::kLog, log_uri}}) {
    SR_ASSIGN_OR_RETURN(hsm::Pkcs11Uri uri, hsm::Pkcs11Uri::Parse(text));
    if (uri.token.empty()) return InvalidArgument("token URI " + text + " has no token= label");
    SR_ASSIGN_OR_RETURN(hsm::TokenInfo t, module.FindToken(uri.token, uri.serial));
    AddToken(record, role, t);
  }
  return Status::Ok();
}

Status RecordStationKey(const GeneratedKey& key, strongroom::v1::LogKey* lk) {
  lk->set_label(key.info.label);
  lk->set_uri(key.info.uri);
  lk->set_algorithm(std::string(hsm::AlgorithmName(key.info.algorithm)));
  if (key.info.algorithm == hsm::Algorithm::kEd25519) {
    // An Ed25519 SubjectPublicKeyInfo is 12 bytes of prefix and the 32-byte key.
    if (key.info.spki_der.size() != 44) return Internal("an Ed25519 key's SPKI is not 44 bytes");
    lk->set_public_key(Base64Encode(key.info.spki_der.substr(12)));
  }
  SR_ASSIGN_OR_RETURN(std::string pem, ReadFile(key.pem_path));
  lk->set_public_key_pem(pem);
  lk->set_fingerprint(key.info.fingerprint_hex);
  return Status::Ok();
}

// Creates STATION/log with its first events: the station's birth, its log key
// and its attestation key.
Status CreateStationLog(Station& st, const SecretBytes& log_pin, const GeneratedKey& log_key,
                        const GeneratedKey& attest_key,
                        std::vector<strongroom::v1::Event> more) {
  const strongroom::v1::Station& r = st.record();
  SR_ASSIGN_OR_RETURN(std::unique_ptr<HsmNoteSigner> signer, OpenLogSigner(st, log_pin));
  SR_RETURN_IF_ERROR(StationLog::Create(st, *signer));
  strongroom::v1::Event born;
  born.set_kind(strongroom::v1::EVENT_KIND_STATION_INITIALIZED);
  born.set_time(r.created());
  auto* p = born.mutable_station_initialized();
  p->set_hsm_module(r.module_path());
  std::string log_serial;
  for (const auto& t : r.tokens()) {
    p->add_token_labels(t.label());
    p->add_token_serials(t.serial());
    if (t.role() == "log") log_serial = t.serial();
  }
  p->set_log_verifier_key(log::VerifierKeyOf(*signer));
  SR_ASSIGN_OR_RETURN(strongroom::v1::Event key_event, KeyGeneratedEvent(log_key, log_serial));
  SR_ASSIGN_OR_RETURN(strongroom::v1::Event attest_event,
                      KeyGeneratedEvent(attest_key, log_serial));
  SR_ASSIGN_OR_RETURN(std::unique_ptr<StationLog> sl, StationLog::Open(st, std::move(signer)));
  SR_RETURN_IF_ERROR(sl->Append(std::move(born)).status());
  SR_RETURN_IF_ERROR(sl->Append(std::move(key_event)).status());
  SR_RETURN_IF_ERROR(sl->Append(std::move(attest_event)).status());
  for (auto& e : more) SR_RETURN_IF_ERROR(sl->Append(std::move(e)).status());
  return sl->Commit().status();
}

// --custody: splits the generated release user PIN and both SO PINs among
// the custodians; the share files written are added to files (for removal
// if the init fails), the CUSTODY_SHARES_ISSUED events to events.
Status IssueInitCustody(Station& st, const custody::IssueOptions& o, const InitPins& pins,
                        std::vector<std::string>& files,
                        std::vector<strongroom::v1::Event>& events) {
  struct Pin {
    TokenRole role;
    const char* kind;
    const SecretBytes* value;
  };
  for (const Pin& p : {Pin{TokenRole::kRelease, "user", &pins.release_user},
                       Pin{TokenRole::kRelease, "so", &pins.release_so},
                       Pin{TokenRole::kLog, "so", &pins.log_so}}) {
    const std::string role(TokenRoleName(p.role));
    SR_ASSIGN_OR_RETURN(custody::Issued issued,
                        custody::IssueShares(st.record().station_id(), role, p.kind, *p.value, o));
    files.insert(files.end(), issued.files.begin(), issued.files.end());
    custody::CustodyRecord rec;
    rec.station_id = st.record().station_id();
    rec.token = role;
    rec.pin = p.kind;
    rec.current = issued.split;
    SR_RETURN_IF_ERROR(custody::WriteRecord(st.dir(), rec));
    hsm::TokenInfo token;
    for (const auto& t : st.record().tokens())
      if (t.role() == role) token.label = t.label(), token.serial = t.serial();
    events.push_back(custody::SharesIssuedEvent(token, role, p.kind, issued.split));
  }
  return Status::Ok();
}

}  // namespace

std::string_view TokenRoleName(TokenRole role) {
  return role == TokenRole::kRelease ? "release" : "log";
}

Result<TokenRole> ParseTokenRole(std::string_view name) {
  if (name == "release") return TokenRole::kRelease;
  if (name == "log") return TokenRole::kLog;
  return InvalidArgument("unknown token '" + std::string(name) + "'; expected release or log");
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status Station::LoadModule() {
  if (!record_.softhsm2_conf().empty()) {
    // The embedded SoftHSMv2 reads its token folder from this file; it is
    // ours, so it overrides whatever SOFTHSM2_CONF the caller had.
    std::string conf = JoinPath(dir_, record_.softhsm2_conf());
    if (::setenv("SOFTHSM2_CONF", conf.c_str(), 1) != 0) return ErrnoError("setenv", conf, errno);
    // Repairing token files is for the lock's holder; a read-only Open
    // without the lock leaves them to it.
    if (lock_.has_value()) SR_RETURN_IF_ERROR(GuardTokens());
  }
  SR_ASSIGN_OR_RETURN(module_, hsm::Module::Load(record_.module_path()));
  return Status::Ok();
}

static int RemoveEntry(const char* path, const struct stat*, int, struct FTW* ftw) {
  if (ftw->level > 0) ::remove(path);
  return 0;
}

Status Station::GuardTokens() {
  SR_ASSIGN_OR_RETURN(std::vector<std::string> restored,
                      GuardTokenObjects(layout::TokensDir(dir_), layout::TokenBackupsDir(dir_)));
  for (const std::string& t : restored) {
    std::fprintf(stderr,
                 "strongroom: warning: restored the token file of %s/tokens/%s from the station's "
                 "copy: a previous process was killed while SoftHSMv2 rewrote it\n",
                 dir_.c_str(), t.c_str());
  }
  return Status::Ok();
}

Result<std::unique_ptr<Station>> Station::Init(const StationInitOptions& o) {
  if (o.dir.empty()) return InvalidArgument("station init needs --station DIR");
  SR_ASSIGN_OR_RETURN(InitPins pins, ReadInitPins(o));
  SR_RETURN_IF_ERROR(PrepareStationDir(o.dir));
  SR_ASSIGN_OR_RETURN(std::string dir, AbsolutePath(o.dir));
  std::vector<std::string> share_files;
  auto st = InitPrepared(dir, o, pins, share_files);
  if (!st.ok()) {
    // Shares of a station that does not exist would only confuse custodians.
    for (const std::string& f : share_files) ::unlink(f.c_str());
    // The directory was empty (or absent) before: empty it again so a fixed
    // command line can simply be rerun. Nothing outside it is touched.
    ::nftw(dir.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  }
  return st;
}

Result<std::unique_ptr<Station>> Station::InitPrepared(const std::string& dir,
                                                       const StationInitOptions& o,
                                                       const InitPins& pins,
                                                       std::vector<std::string>& share_files) {
  SR_ASSIGN_OR_RETURN(
      FileLock lock,
      TakeStationLock(dir, StationLockOptions::Take("station init", 0)));
  std::unique_ptr<Station> st(new Station(dir, std::move(lock)));
  strongroom::v1::Station& r = st->record_;
  r.set_format_version(1);
  r.set_station_id(RandomHex(16));
  r.set_created(NowRfc3339());
  bool embedded = o.module_path.empty();
  r.set_module_path(embedded ? std::string(hsm::kSoftHsmModulePath) : o.module_path);
  if (embedded) {
    r.set_softhsm2_conf(std::string(layout::kSoftHsmConf));
    std::string conf =
        "# strongroom station " + r.station_id() +
        ": SoftHSMv2 configuration\ndirectories.tokendir = " + layout::TokensDir(dir) +
        "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    SR_RETURN_IF_ERROR(WriteFileAtomic(layout::SoftHsmConf(dir), conf, 0600, true));
  }
  SR_RETURN_IF_ERROR(st->LoadModule());
  SR_RETURN_IF_ERROR(embedded ? InitEmbeddedTokens(*st->module_, pins, r)
                              : BindExternalTokens(*st->module_, o, r));
  SR_ASSIGN_OR_RETURN(auto session, st->OpenSession(TokenRole::kLog, &pins.log_user));
  // The module's mechanisms, read once: Ed25519 where it has it, else P-256.
  SR_ASSIGN_OR_RETURN(std::vector<hsm::Algorithm> offered,
                      hsm::OfferedAlgorithms(*st->module_, session->token().slot));
  SR_ASSIGN_OR_RETURN(StationKeyChoice choice, ChooseStationKeys(offered, session->Describe()));
  SR_ASSIGN_OR_RETURN(GeneratedKey key,
                      GenerateStationKey(*st, *session, kLogKeyLabel, choice.log, &offered));
  SR_RETURN_IF_ERROR(RecordStationKey(key, r.mutable_log_key()));
  SR_ASSIGN_OR_RETURN(GeneratedKey attest, GenerateStationKey(*st, *session, kAttestationKeyLabel,
                                                              choice.attestation, &offered));
  SR_RETURN_IF_ERROR(RecordStationKey(attest, r.mutable_attestation_key()));
  session.reset();  // one login per token per process: the log signer logs in next
  std::vector<strongroom::v1::Event> custody_events;
  if (o.custody != nullptr)
    SR_RETURN_IF_ERROR(IssueInitCustody(*st, *o.custody, pins, share_files, custody_events));
  SR_RETURN_IF_ERROR(CreateStationLog(*st, pins.log_user, key, attest, std::move(custody_events)));
  SR_RETURN_IF_ERROR(WriteStationJson(dir, r));
  if (embedded) SR_RETURN_IF_ERROR(st->GuardTokens());  // the first copies
  return st;
}

Result<std::unique_ptr<Station>> Station::Open(std::string_view dir, bool wait_for_lock) {
  return Open(dir, StationLockOptions::Take("strongroom",
                                            wait_for_lock ? kDefaultLockWaitSeconds : 0));
}

Result<std::unique_ptr<Station>> Station::Open(std::string_view dir_in,
                                               const StationLockOptions& lock_options) {
  std::string dir(dir_in);
  std::string json_path = layout::StationJson(dir);
  if (!PathExists(json_path)) {
    return NotFound("no station at " + dir + " (missing " + json_path +
                    "); create one with `strongroom station init --station " + dir + "`");
  }
  SR_ASSIGN_OR_RETURN(std::string json, ReadFile(json_path, kMaxStationJsonBytes));
  std::optional<FileLock> lock;
  if (lock_options.take) {
    SR_ASSIGN_OR_RETURN(FileLock taken, TakeStationLock(dir, lock_options));
    lock.emplace(std::move(taken));
  }
  std::unique_ptr<Station> st(new Station(dir, std::move(lock)));
  if (auto ok = policy::ParseJsonMessage(json, &st->record_, json_path, kMaxStationJsonBytes);
      !ok.ok()) {
    return InvalidArgument(json_path + " is not a valid station record: " + ok.failure().message);
  }
  if (st->record_.format_version() != 1 || st->record_.module_path().empty()) {
    return InvalidArgument(json_path + " has an unsupported format_version or no module_path");
  }
  SR_RETURN_IF_ERROR(st->LoadModule());
  return st;
}

Station::~Station() {
  // Whoever takes the lock next writes its own record; until then nobody
  // should be named as its holder.
  if (lock_.has_value() && ::truncate(layout::LockFile(dir_).c_str(), 0) != 0) {
    // Best effort: a stale record names a pid that has exited, which
    // DescribeStationLockHolder says.
  }
}

bool Station::RolesShareToken() const {
  const strongroom::v1::TokenBinding* rel = nullptr;
  const strongroom::v1::TokenBinding* log = nullptr;
  for (const auto& t : record_.tokens()) (t.role() == "release" ? rel : log) = &t;
  return rel && log && rel->label() == log->label() && rel->serial() == log->serial();
}

Result<std::unique_ptr<hsm::Session>> Station::OpenSessionBesideLog(TokenRole role,
                                                                    const SecretBytes& pin,
                                                                    const SecretBytes& log_pin) {
  if (role == TokenRole::kRelease && !RolesShareToken()) return OpenSession(role, &pin);
  if (!SecretEquals(pin, log_pin)) {
    return Status(Code::kPermissionDenied,
                  role == TokenRole::kLog
                      ? "the PIN given for the log token (--pin-source) differs from the log token "
                        "PIN (--log-pin-source); both name the same token"
                      : "the release PIN given differs from the log token PIN, but this station "
                        "uses one token for both; give that token's PIN to both PIN sources");
  }
  return OpenSession(role, nullptr);  // the log session's login covers this token
}

Result<hsm::TokenInfo> Station::FindToken(const strongroom::v1::TokenBinding& t) {
  for (const hsm::TokenInfo& s : tokens_seen_) {
    if (s.initialized && s.label == t.label() && (t.serial().empty() || s.serial == t.serial()))
      return s;
  }
  return module_->FindToken(t.label(), t.serial(), &tokens_seen_);
}

Result<hsm::TokenInfo> Station::ChangePin(TokenRole role, bool so, const SecretBytes& old_pin,
                                          const SecretBytes& new_pin) {
  for (const auto& t : record_.tokens()) {
    if (t.role() != TokenRoleName(role)) continue;
    SR_ASSIGN_OR_RETURN(hsm::TokenInfo info, FindToken(t));
    SR_RETURN_IF_ERROR(hsm::Session::ChangePin(module_, info, so, old_pin, new_pin));
    return info;
  }
  return NotFound("station " + dir_ + " has no " + std::string(TokenRoleName(role)) + " token");
}

Result<std::unique_ptr<hsm::Session>> Station::OpenSession(TokenRole role, const SecretBytes* pin) {
  for (const auto& t : record_.tokens()) {
    if (t.role() != TokenRoleName(role)) continue;
    SR_ASSIGN_OR_RETURN(hsm::TokenInfo info, FindToken(t));
    return hsm::Session::Open(module_, info, pin);
  }
  return NotFound("station " + dir_ + " has no " + std::string(TokenRoleName(role)) + " token");
}

}  // namespace sr
