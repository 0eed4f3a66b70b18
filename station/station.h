// The station directory (see docs/hsm.md for the layout): its metadata
// (station.json), its PKCS#11 module and tokens, its key files, and the
// cross-process lock (station.lock) that serializes HSM use.
//
// Ownership: a Station holds station.lock for its whole lifetime, and the
// module it loaded; Sessions it opens keep the module alive. Not thread-safe
// (one Station per process); the Sessions it opens are.
// Failure: kNotFound for a missing station, kUnavailable when another
// process holds the lock, kHsm for PKCS#11 errors (with the CKR_ name).
#ifndef STRONGROOM_STATION_STATION_H_
#define STRONGROOM_STATION_STATION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/secret.h"
#include "base/status.h"
#include "hsm/key.h"
#include "hsm/module.h"
#include "hsm/session.h"
#include "proto/station.pb.h"
#include "station/layout.h"
#include "station/pin_source.h"

namespace sr {

enum class TokenRole { kRelease, kLog };
std::string_view TokenRoleName(TokenRole role);  // "release", "log"
Result<TokenRole> ParseTokenRole(std::string_view name);

inline constexpr std::string_view kLogKeyLabel = "log";
// The station's attestation key in the log token: it signs the SLSA
// Verification Summary Attestations of `sign` (never checkpoints, never
// releases), so the log key keeps a single purpose. `station init` makes it
// ECDSA P-256 (stations made before 2026-12 have an Ed25519 one, which still
// works): a DSSE signature has no reason to be Ed25519 (a checkpoint must
// be), and SoftHSMv2 rebuilds an Ed25519 key through OpenSSL 3's decoders at
// every C_SignInit, ~0.15 ms against ~0.05 ms for ECDSA.
inline constexpr std::string_view kAttestationKeyLabel = "attest";
inline constexpr hsm::Algorithm kAttestationKeyAlgorithm = hsm::Algorithm::kEcdsaP256;

// The station's own keys, chosen from what the log token's module offers
// (hsm/mechanisms.h): the log key is Ed25519 where the module has it (C2SP:
// "Logs SHOULD use Ed25519"), else ECDSA P-256 (note signature type 0x02);
// the attestation key is ECDSA P-256, else Ed25519. kFailedPrecondition
// naming what the module offers when it has neither.
struct StationKeyChoice {
  hsm::Algorithm log = hsm::Algorithm::kEd25519;
  hsm::Algorithm attestation = kAttestationKeyAlgorithm;
};
Result<StationKeyChoice> ChooseStationKeys(const std::vector<hsm::Algorithm>& offered,
                                           std::string_view module);

struct InitPins;  // station.cc
namespace custody {
struct IssueOptions;  // station/custody.h
}

// How long a command waits for STATION/station.lock when another process
// holds it, unless --wait says otherwise (docs/cli.md, "Locks").
inline constexpr int kDefaultLockWaitSeconds = 60;

// How Station::Open treats station.lock.
struct StationLockOptions {
  // false: a read-only use (key list, key export) that neither takes nor
  // waits for the lock; the token files are then not repaired (token_guard.h).
  bool take = true;
  // Seconds to wait while another process holds the lock, telling stderr who
  // holds it; 0 fails at once. Then kUnavailable naming the holder.
  int wait_seconds = kDefaultLockWaitSeconds;
  // The command, as the lock's holder record shows it to whoever waits
  // ("key generate", "sign").
  std::string verb;

  // Takes the lock for verb, waiting at most wait_seconds.
  static StationLockOptions Take(std::string verb, int wait_seconds = kDefaultLockWaitSeconds) {
    StationLockOptions o;
    o.verb = std::move(verb);
    o.wait_seconds = wait_seconds;
    return o;
  }
  // A read-only use: no lock.
  static StationLockOptions ReadOnly() {
    StationLockOptions o;
    o.take = false;
    return o;
  }
};

struct StationInitOptions {
  std::string dir;                // must not exist yet, or be an empty directory
  std::string module_path;        // empty: the embedded SoftHSMv2 with its own tokens
  std::string release_token_uri;  // with module_path: the existing release token
  std::string log_token_uri;      // with module_path: the existing log token (default: release)
  // PIN sources. The embedded SoftHSMv2 needs all four; an external module
  // only log_user (tokens there are initialized by their own administrators).
  PinSource* release_so = nullptr;
  PinSource* release_user = nullptr;
  PinSource* log_so = nullptr;
  PinSource* log_user = nullptr;
  // Embedded SoftHSMv2 only: the station generates the release token's user
  // PIN and both SO PINs (release_so, release_user and log_so are unused)
  // and splits each among these custodians (station/custody.h), writing
  // their share files and custody records, and logging
  // CUSTODY_SHARES_ISSUED for each. The log user PIN stays the operator's.
  const custody::IssueOptions* custody = nullptr;
};

class Station {
 public:
  // Creates the station: directories, softhsm2.conf, two tokens, the Ed25519
  // log key (with its public key and proof of possession in keys/), and
  // station.json, written last. Reads every PIN before changing anything.
  static Result<std::unique_ptr<Station>> Init(const StationInitOptions& options);

  // Opens an existing station and, unless lock.take is false, takes
  // station.lock (a flock) and writes the holder record into the file:
  // "pid=N\nverb=...\nsince=RFC3339\n". While another process holds it, says
  // on stderr that it waits and for whom, and gives up after
  // lock.wait_seconds with kUnavailable naming the holder.
  static Result<std::unique_ptr<Station>> Open(std::string_view dir,
                                               const StationLockOptions& lock);
  // The older form: waits kDefaultLockWaitSeconds when wait_for_lock, else
  // not at all.
  static Result<std::unique_ptr<Station>> Open(std::string_view dir, bool wait_for_lock = false);

  // Clears the lock's holder record before the lock is released.
  ~Station();

  const strongroom::v1::Station& record() const { return record_; }
  const std::string& dir() const { return dir_; }
  std::string KeysDir() const { return layout::KeysDir(dir_); }
  hsm::Module& module() { return *module_; }

  // A session on the token of role; logged in as user when pin is given.
  Result<std::unique_ptr<hsm::Session>> OpenSession(TokenRole role, const SecretBytes* pin);
  // A logged-in session on role's token for a process that already holds a
  // logged-in session on the log token (StationLog). When both roles are
  // bound to one token (--module with a single token), PKCS#11 shares the
  // login per process and a second C_Login fails, so the session uses the
  // existing login; pin must then equal log_pin (kPermissionDenied otherwise).
  // The log session must outlive the one returned.
  Result<std::unique_ptr<hsm::Session>> OpenSessionBesideLog(TokenRole role, const SecretBytes& pin,
                                                             const SecretBytes& log_pin);
  // Changes the user PIN (with so: the SO PIN) of role's token with
  // C_SetPIN (hsm::Session::ChangePin) and returns that token. No Session of
  // this process may be logged in to the token meanwhile.
  Result<hsm::TokenInfo> ChangePin(TokenRole role, bool so, const SecretBytes& old_pin,
                                   const SecretBytes& new_pin);
  // True when the release and log roles are bound to the same token.
  bool RolesShareToken() const;

 private:
  Station(std::string dir, std::optional<FileLock> lock)
      : dir_(std::move(dir)), lock_(std::move(lock)) {}
  Status LoadModule();
  // Embedded SoftHSMv2 only: repairs token files a kill left empty (token_guard.h).
  Status GuardTokens();
  static Result<std::unique_ptr<Station>> InitPrepared(const std::string& dir,
                                                       const StationInitOptions& o,
                                                       const InitPins& pins,
                                                       std::vector<std::string>& share_files);

  // The token bound to t: from tokens_seen_ when an earlier look-up read it
  // on its way, else from the module.
  Result<hsm::TokenInfo> FindToken(const strongroom::v1::TokenBinding& t);

  std::string dir_;
  std::optional<FileLock> lock_;  // empty for a read-only Open
  strongroom::v1::Station record_;
  std::shared_ptr<hsm::Module> module_;
  // The tokens the last module look-up read (a sign opens both of the
  // station's tokens, and SoftHSMv2 reads a token's files three times for
  // each C_GetTokenInfo).
  std::vector<hsm::TokenInfo> tokens_seen_;
};

// Files written for a generated key, in STATION/keys/.
struct GeneratedKey {
  hsm::KeyInfo info;
  std::string created;         // RFC 3339 UTC
  std::string pem_path;        // <label>.pem: SubjectPublicKeyInfo PEM
  std::string statement_path;  // <label>.pop: the proof-of-possession statement
  std::string signature_path;  // <label>.pop.sig: its signature, as openssl verifies it
};

// The domain-separated statement a new key signs to prove it is in the token:
// "strongroom proof-of-possession v1\nfingerprint: ...\nlabel: ...\n
//  algorithm: ...\ntime: ...\n".
std::string ProofOfPossessionStatement(const hsm::KeyInfo& key, std::string_view time);

// Generates a key in session's token, exports its public key, signs and
// writes the proof of possession. kAlreadyExists for a taken label (in the
// token or in keys/).
// An algorithm the token's module does not offer is refused
// (kFailedPrecondition listing what it offers) before anything is generated;
// offered, when given, is that list as the caller already read it.
// on_generated, when given, is called once the key exists in the token,
// before any file is written (key_generation.h gives back its reserved space
// there, and learns which key to destroy should what follows fail).
Result<GeneratedKey> GenerateStationKey(
    Station& station, hsm::Session& session, std::string_view label, hsm::Algorithm algorithm,
    const std::vector<hsm::Algorithm>* offered = nullptr,
    const std::function<void(const hsm::KeyInfo&)>& on_generated = {});
// s, when it is a PKCS#11 failure (kHsm) or an I/O error while the file
// system holding the station has less than kLowSpaceBytes free, annotated
// to say so: SoftHSMv2 keeps its token files there and reports a full disk
// as CKR_FUNCTION_FAILED (or CKR_DEVICE_MEMORY). Otherwise s unchanged.
inline constexpr std::uint64_t kLowSpaceBytes = 1u << 20;
Status NoteFullDisk(std::string_view station_dir, Status s);

// Signs with the station's keys in the log token: the log key (for C2SP
// checkpoints: Ed25519, or ECDSA P-256 on a module without Ed25519) and the
// attestation key (for VSAs). One session (one login: PKCS#11 allows one per
// token and process), one key lookup each, then any number of Sign calls.
// Thread-safe.
class LogKeySigner {
 public:
  static Result<std::unique_ptr<LogKeySigner>> Open(Station& station, const SecretBytes& pin);
  // A signature over message by the log key: 64 bytes of pure Ed25519, or a
  // DER ECDSA signature over SHA-256(message).
  Result<std::string> Sign(std::string_view message);
  // The public key as a note verifier key carries it: the raw 32-byte
  // Ed25519 key, or the P-256 SubjectPublicKeyInfo DER.
  std::string PublicKey() const;
  // log::kNoteEd25519 or log::kNoteEcdsa.
  std::uint8_t NoteSignatureType() const;
  // A signature by the attestation key; kNotFound when the station has none.
  Result<std::string> SignAttestation(std::string_view message);
  // The attestation key (empty info when the station has none).
  const hsm::KeyInfo& attestation_key() const { return attest_.info; }

 private:
  LogKeySigner(std::unique_ptr<hsm::Session> s, hsm::KeyHandle k, hsm::KeyHandle a)
      : session_(std::move(s)), key_(std::move(k)), attest_(std::move(a)) {}
  std::unique_ptr<hsm::Session> session_;
  hsm::KeyHandle key_;
  hsm::KeyHandle attest_;
};

// RFC 3339 UTC of now, to the second.
std::string NowRfc3339();

// Who holds STATION/station.lock, from the record its holder wrote:
// "pid 1234 (key generate, since 2026-12-06T11:20:00Z)"; a holder that wrote
// none (flock(1), a process still starting) is "a process that has not
// recorded itself". For messages; the flock itself is the lock.
std::string DescribeStationLockHolder(std::string_view dir);

}  // namespace sr

#endif  // STRONGROOM_STATION_STATION_H_
