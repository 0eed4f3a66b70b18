// Where PINs come from. A PIN is read from a file (file:PATH), an inherited
// file descriptor (fd:N) or a no-echo terminal prompt, straight into
// sr::SecretBytes. PINs on the command line (pass:..., --pin) and in the
// environment (any variable whose name contains "PIN") are refused with
// kPermissionDenied, because both leak to other processes (/proc/*/cmdline,
// /proc/*/environ), shell history and crash reports.
//
// A PIN held by custodians (docs/custody.md) comes from shares:FILE[,FILE...]
// or shares:prompt: the shares are checked against the station's custody
// record (station/custody.h) and the PIN is recombined in SecretBytes only;
// ShareFingerprints() then says which shares were used, for the log.
// Implementations are not thread-safe; each ReadPin() call reads a fresh PIN
// (a file is re-read, an fd is read to EOF).
#ifndef STRONGROOM_STATION_PIN_SOURCE_H_
#define STRONGROOM_STATION_PIN_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace sr {

// PKCS#11 tokens commonly accept 4..255 bytes; SoftHSMv2 does.
inline constexpr std::size_t kMinPinBytes = 4;
inline constexpr std::size_t kMaxPinBytes = 255;

class PinSource {
 public:
  virtual ~PinSource() = default;
  // Returns the PIN: kMinPinBytes..kMaxPinBytes bytes, no NUL, CR or LF
  // (one trailing newline, "\n" or "\r\n", is stripped). Errors name the
  // source (never the PIN).
  virtual Result<SecretBytes> ReadPin() = 0;
  // "file:/path", "fd:3", "terminal prompt": for messages.
  virtual std::string Describe() const = 0;
  // After a successful ReadPin of custodian shares: the fingerprints of the
  // shares combined (SHA-256 hex, never a share), for
  // Event.pin_share_fingerprints. Empty for every other source.
  virtual std::vector<std::string> ShareFingerprints() const { return {}; }
};

// Which station PIN a source is for: a shares: source checks its shares
// against STATION/custody/<token>-<pin>.json when ReadPin is called (the
// station need not exist when the source is parsed).
struct PinTarget {
  std::string station_dir;
  std::string token = "release";  // "release" or "log"
  std::string pin = "user";       // "user" or "so"
};

// Builds a source from an operator's spec: "file:PATH", "fd:N", "prompt" or
// "" (both mean the terminal prompt, showing prompt_text). "pass:" and "env:"
// are refused with kPermissionDenied; anything else is kInvalidArgument.
// "shares:..." needs a target (the overload below): here kInvalidArgument.
Result<std::unique_ptr<PinSource>> ParsePinSource(std::string_view spec, std::string prompt_text);

// As above, and "shares:ITEM[,ITEM...]" (at most kMaxShareItems) or
// "shares:prompt" for target's PIN. An ITEM is a share file's path,
// optionally followed by "?passphrase=SPEC" (SPEC: file:PATH, fd:N or
// prompt) for a share protected by a passphrase; an encrypted share without
// one is asked for at the terminal. shares:prompt asks on the terminal for
// one share at a time (a file path, or the share's text pasted or typed,
// ended by its checksum line) until the threshold is reached. ReadPin then
// fails naming the bad share (station/custody.h, Reconstruct).
inline constexpr std::size_t kMaxShareItems = 16;
Result<std::unique_ptr<PinSource>> ParsePinSource(std::string_view spec, std::string prompt_text,
                                                  const PinTarget& target);

// As ParsePinSource, for a PIN being set (station init, station change-pin):
// the terminal prompt asks for it twice and accepts it only when both entries
// match, re-asking after a mismatch or an unusable PIN, at most
// kNewPinPromptTries times (then kInvalidArgument: nothing was set). A typo in
// a new SO PIN would otherwise lock the operator out of the token. file: and
// fd: sources are read once, as they are.
inline constexpr int kNewPinPromptTries = 3;
Result<std::unique_ptr<PinSource>> ParseNewPinSource(std::string_view spec,
                                                     std::string prompt_text);

// Validates and normalizes raw bytes read from a source: strips one trailing
// newline, checks length and forbidden bytes. what names the source.
Result<SecretBytes> NormalizePin(SecretBytes raw, std::string_view what);

// kPermissionDenied naming the variable (never its value) if a variable of
// envp (NULL-terminated, e.g. environ) could carry a strongroom or PKCS#11
// PIN: a name with the word PIN (any case, words split on '_' and '-': PIN,
// SO_PIN, PKCS11_PIN, USER_PINS, SOPIN), or a STRONGROOM*, PKCS11*, P11* or
// SOFTHSM* name containing "PIN" anywhere. Other tools' settings that merely
// contain the letters (GnuPG's PINENTRY_USER_DATA) are left alone.
Status RefusePinsInEnvironment(char** envp);

// kPermissionDenied if argv carries a PIN: an option whose name contains
// "pin" other than --*pin-source (e.g. --pin, --so-pin=...), or a pin source
// spec of the pass: or env: kind. The message never repeats the value.
Status RefusePinsInArgv(int argc, char** argv);

}  // namespace sr

#endif  // STRONGROOM_STATION_PIN_SOURCE_H_
