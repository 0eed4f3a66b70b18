#include "station/pin_source.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>

#include "base/file.h"
#include "station/custody.h"

namespace sr {
namespace {

// Reads up to kMaxPinBytes + 3 bytes from fd into SecretBytes (more means
// too long: the caller reports it), as few reads as the source allows.
// stop_at_newline is for terminals, whose reads end at the line.
Result<SecretBytes> ReadBounded(int fd, std::string_view what, bool stop_at_newline) {
  SecretBytes out(kMaxPinBytes + 3);
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("reading PIN from", what, errno);
    if (n == 0) break;
    const auto* nl =
        stop_at_newline
            ? static_cast<const std::uint8_t*>(std::memchr(out.data() + got, '\n', std::size_t(n)))
            : nullptr;
    if (nl != nullptr) {
      got = std::size_t(nl - out.data());
      break;
    }
    got += std::size_t(n);
  }
  // Whatever was read past the PIN (a terminal's line after its newline) is
  // wiped now, not only when the buffer is released.
  OPENSSL_cleanse(out.data() + got, out.size() - got);
  out.resize(got);
  return out;
}

class FilePinSource final : public PinSource {
 public:
  explicit FilePinSource(std::string path) : path_(std::move(path)) {}
  Result<SecretBytes> ReadPin() override {
    // OpenReadOnly never blocks (a FIFO is refused, not waited on).
    auto opened = OpenReadOnly(path_);
    if (!opened.ok()) return opened.status().Annotate("PIN file");
    UniqueFd fd = std::move(opened).value();
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("inspecting PIN file", path_, errno);
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Status(Code::kPermissionDenied,
                    "PIN file " + path_ + " has mode " + mode +
                        ": other users or its group may read or change it; run `chmod 600 " +
                        path_ + "` and try again");
    }
    SR_ASSIGN_OR_RETURN(SecretBytes raw, ReadBounded(fd.get(), Describe(), false));
    return NormalizePin(std::move(raw), Describe());
  }
  std::string Describe() const override { return "file:" + path_; }

 private:
  std::string path_;
};

class FdPinSource final : public PinSource {
 public:
  explicit FdPinSource(int fd) : fd_(fd) {}
  Result<SecretBytes> ReadPin() override {
    SR_ASSIGN_OR_RETURN(SecretBytes raw, ReadBounded(fd_, Describe(), false));
    return NormalizePin(std::move(raw), Describe());
  }
  std::string Describe() const override { return "fd:" + std::to_string(fd_); }

 private:
  int fd_;
};

// Restores the terminal's echo setting on every path out.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      struct termios t = saved_;
      t.c_lflag &= ~(ECHO | ECHONL);
      t.c_lflag |= ICANON;
      ok_ = ::tcsetattr(fd_, TCSAFLUSH, &t) == 0;
    }
  }
  ~EchoOff() {
    if (ok_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  bool ok() const { return ok_; }

 private:
  int fd_;
  struct termios saved_ {};
  bool ok_ = false;
};

class TerminalPinSource final : public PinSource {
 public:
  TerminalPinSource(std::string prompt, bool confirm)
      : prompt_(std::move(prompt)), confirm_(confirm) {}
  Result<SecretBytes> ReadPin() override {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty.valid()) {
      return FailedPrecondition("no terminal to prompt for the " + prompt_ +
                                "; give it with a --*pin-source file:PATH or fd:N option instead");
    }
    if (!confirm_) return ReadOnce(tty.get(), prompt_);
    // A new PIN: typed twice, kept only when both entries match.
    for (int attempt = 1; attempt <= kNewPinPromptTries; ++attempt) {
      Result<SecretBytes> first = ReadOnce(tty.get(), "new " + prompt_);
      if (first.status().code() == Code::kInvalidArgument) {  // too short, too long, ...
        SR_RETURN_IF_ERROR(WriteAll(tty.get(), first.status().message() + "\n", "/dev/tty"));
        continue;
      }
      if (!first.ok()) return first.status();
      SR_ASSIGN_OR_RETURN(SecretBytes second,
                          ReadOnce(tty.get(), "new " + prompt_ + " again, to confirm"));
      if (SecretEquals(*first, second)) return std::move(first).value();
      SR_RETURN_IF_ERROR(
          WriteAll(tty.get(),
                   "the two entries of the new " + prompt_ + " differ; " +
                       (attempt < kNewPinPromptTries ? "try again\n" : "giving up\n"),
                   "/dev/tty"));
    }
    return InvalidArgument("no matching entries of the new " + prompt_ + " after " +
                           std::to_string(kNewPinPromptTries) +
                           " tries at the terminal prompt; nothing was set");
  }
  std::string Describe() const override { return "terminal prompt for the " + prompt_; }

 private:
  Result<SecretBytes> ReadOnce(int tty, const std::string& prompt) {
    Result<SecretBytes> raw = Status(Code::kInternal, "unread");
    {
      EchoOff echo(tty);
      if (!echo.ok()) return FailedPrecondition("cannot turn off terminal echo for the PIN prompt");
      std::string p = prompt + ": ";
      SR_RETURN_IF_ERROR(WriteAll(tty, p, "/dev/tty"));
      raw = ReadBounded(tty, Describe(), true);
    }
    SR_RETURN_IF_ERROR(WriteAll(tty, "\n", "/dev/tty"));
    if (!raw.ok()) return raw.status();
    return NormalizePin(std::move(raw).value(), Describe());
  }

  std::string prompt_;
  bool confirm_;
};


// Reads a share file into SecretBytes (a share is a secret), bounded.
Result<SecretBytes> ReadShareFile(const std::string& path) {
  auto opened = OpenReadOnly(path);
  if (!opened.ok()) return opened.status().Annotate("share file");
  UniqueFd fd = std::move(opened).value();
  SecretBytes out(custody::kMaxShareTextBytes + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("reading share file", path, errno);
    if (n == 0) break;
    got += std::size_t(n);
  }
  out.resize(got);
  return out;
}

struct ShareItem {
  std::string path;
  std::string passphrase_spec;  // empty: ask at the terminal if needed
};

// A passphrase getter for a share: from spec, or the terminal.
std::function<Result<SecretBytes>()> PassphraseFor(const std::string& spec,
                                                  const std::string& what) {
  return [spec, what]() -> Result<SecretBytes> {
    SR_ASSIGN_OR_RETURN(auto src, ParsePinSource(spec.empty() ? "prompt" : spec,
                                                 "passphrase of " + what));
    return src->ReadPin();
  };
}

class SharesPinSource final : public PinSource {
 public:
  SharesPinSource(std::vector<ShareItem> items, PinTarget target)
      : items_(std::move(items)), target_(std::move(target)) {}
  Result<SecretBytes> ReadPin() override {
    fingerprints_.clear();
    std::vector<custody::ShareInput> inputs;
    if (items_.empty()) {
      SR_RETURN_IF_ERROR(AskAtTerminal(inputs));
    } else {
      for (const ShareItem& item : items_) {
        custody::ShareInput in;
        in.what = "share file " + item.path;
        SR_ASSIGN_OR_RETURN(in.text, ReadShareFile(item.path));
        in.passphrase = PassphraseFor(item.passphrase_spec, in.what);
        inputs.push_back(std::move(in));
      }
    }
    SR_ASSIGN_OR_RETURN(custody::Reconstructed r,
                        custody::Reconstruct(target_.station_dir, target_.token, target_.pin,
                                             inputs));
    fingerprints_ = r.fingerprints;
    return NormalizePin(std::move(r.pin), Describe());
  }
  std::string Describe() const override {
    std::string d = "shares:";
    if (items_.empty()) return d + "prompt";
    for (std::size_t i = 0; i < items_.size(); ++i) d += (i ? "," : "") + items_[i].path;
    return d;
  }
  std::vector<std::string> ShareFingerprints() const override { return fingerprints_; }

 private:
  // shares:prompt: one share at a time on the terminal, as many as the
  // custody record's threshold.
  Status AskAtTerminal(std::vector<custody::ShareInput>& inputs) {
    SR_ASSIGN_OR_RETURN(custody::CustodyRecord rec,
                        custody::ReadRecord(target_.station_dir, target_.token, target_.pin));
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty.valid())
      return FailedPrecondition("no terminal to ask for PIN shares; give them as shares:FILE,FILE");
    const unsigned need = rec.current.threshold;
    for (unsigned k = 1; k <= need; ++k) {
      std::string ask = "share " + std::to_string(k) + " of " + std::to_string(need) +
                        " needed (the path of a share file, or the share's text ending with "
                        "its checksum line): ";
      SR_RETURN_IF_ERROR(WriteAll(tty.get(), ask, "/dev/tty"));
      custody::ShareInput in;
      in.what = "share " + std::to_string(k) + " given at the prompt";
      SR_ASSIGN_OR_RETURN(SecretBytes first, ReadBounded(tty.get(), "/dev/tty", true));
      std::string_view line(reinterpret_cast<const char*>(first.data()), first.size());
      if (line.empty()) return InvalidArgument("no share given at the prompt");
      if (line.starts_with("#") || line.starts_with(custody::kShareMagic)) {
        in.text = first;
        in.text.push_back('\n');
        for (int lines = 0; lines < 64; ++lines) {
          SR_ASSIGN_OR_RETURN(SecretBytes next, ReadBounded(tty.get(), "/dev/tty", true));
          in.text.insert(in.text.end(), next.begin(), next.end());
          in.text.push_back('\n');
          std::string_view l(reinterpret_cast<const char*>(next.data()), next.size());
          if (l.starts_with("checksum:") || l.empty()) break;
        }
      } else {
        std::string path(line);
        in.what = "share file " + path;
        SR_ASSIGN_OR_RETURN(in.text, ReadShareFile(path));
      }
      in.passphrase = PassphraseFor("", in.what);
      inputs.push_back(std::move(in));
    }
    return Status::Ok();
  }

  std::vector<ShareItem> items_;
  PinTarget target_;
  std::vector<std::string> fingerprints_;
};

Result<std::unique_ptr<PinSource>> MakeSharesSource(std::string_view list,
                                                    const PinTarget& target) {
  if (target.station_dir.empty())
    return InvalidArgument("a shares: pin source opens a station token's PIN held by custodians; "
                           "it cannot be used here");
  if (list == "prompt")
    return std::unique_ptr<PinSource>(new SharesPinSource({}, target));
  std::vector<ShareItem> items;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    ShareItem s;
    std::size_t q = item.find("?passphrase=");
    s.path = std::string(item.substr(0, q));
    if (q != std::string_view::npos) {
      s.passphrase_spec = std::string(item.substr(q + 12));
      if (s.passphrase_spec.starts_with("pass:") || s.passphrase_spec.starts_with("env:"))
        return Status(Code::kPermissionDenied,
                      "a share passphrase on the command line or in the environment is refused; "
                      "use ?passphrase=file:PATH, fd:N or prompt");
    }
    if (s.path.empty()) return InvalidArgument("pin source shares: has an empty file name");
    items.push_back(std::move(s));
    if (items.size() > kMaxShareItems)
      return InvalidArgument("pin source shares: takes at most " +
                             std::to_string(kMaxShareItems) + " share files");
  }
  if (items.empty())
    return InvalidArgument("pin source shares: needs share files (shares:A,B) or prompt");
  return std::unique_ptr<PinSource>(new SharesPinSource(std::move(items), target));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// True when one of name's words (split on '-' and '_') is a PIN word: "pin",
// "pins", "sopin", "userpin", "pincode". "pinentry" (GnuPG) or "spinner" are
// other words, not PINs.
bool HasPinWord(std::string_view name) {
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find_first_of("-_", pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view word = name.substr(pos, end - pos);
    for (std::string_view w : {"pin", "pins", "sopin", "userpin", "pincode"})
      if (EqualsIgnoreCase(word, w)) return true;
    pos = end + 1;
  }
  return false;
}

// True for option names with a word "pin" (--pin, --so-pin, --user_pin),
// but not for --*pin-source or words that merely contain the letters.
bool IsPinOption(std::string_view name) {
  if (name.ends_with("pin-source")) return false;
  return HasPinWord(name);
}

// The environment variables that could carry a strongroom or PKCS#11 PIN
// (docs/hsm.md, "PINs"): a name with a PIN word (PIN, SO_PIN, PKCS11_PIN,
// SOFTHSM2_USER_PIN, MY_TOKEN_PINS, ...), and any STRONGROOM_ or PKCS11
// variable whose name contains "PIN" at all. Other tools' settings that only
// contain the letters (PINENTRY_USER_DATA, SPINNER_STYLE) are not refused.
bool MayCarryPin(std::string_view name) {
  if (HasPinWord(name)) return true;
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool ours = upper.starts_with("STRONGROOM") || upper.starts_with("PKCS11") ||
              upper.starts_with("P11") || upper.starts_with("SOFTHSM");
  return ours && upper.find("PIN") != std::string::npos;
}

}  // namespace

Result<SecretBytes> NormalizePin(SecretBytes raw, std::string_view what) {
  if (!raw.empty() && raw.back() == '\n') {
    raw.pop_back();
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
  }
  if (raw.size() < kMinPinBytes || raw.size() > kMaxPinBytes) {
    return InvalidArgument("PIN from " + std::string(what) + " must be " +
                           std::to_string(kMinPinBytes) + " to " + std::to_string(kMaxPinBytes) +
                           " bytes long");
  }
  for (unsigned char c : raw) {
    if (c == 0 || c == '\n' || c == '\r') {
      return InvalidArgument("PIN from " + std::string(what) +
                             " contains a NUL or line break inside it");
    }
  }
  return raw;
}

namespace {

Result<std::unique_ptr<PinSource>> MakePinSource(std::string_view spec, std::string prompt_text,
                                                 bool confirm_new,
                                                 const PinTarget* target = nullptr) {
  if (spec.starts_with("shares:")) {
    if (confirm_new || target == nullptr)
      return InvalidArgument("a shares: pin source opens a station token's PIN held by "
                             "custodians; it cannot be used here");
    return MakeSharesSource(spec.substr(7), *target);
  }
  if (spec.empty() || spec == "prompt") {
    return std::unique_ptr<PinSource>(new TerminalPinSource(std::move(prompt_text), confirm_new));
  }
  if (spec.starts_with("file:") && spec.size() > 5) {
    return std::unique_ptr<PinSource>(new FilePinSource(std::string(spec.substr(5))));
  }
  if (spec.starts_with("fd:")) {
    int fd = -1;
    std::string_view n = spec.substr(3);
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), fd);
    if (ec != std::errc() || p != n.data() + n.size() || fd < 0) {
      return InvalidArgument("pin source 'fd:' needs a file descriptor number, as in fd:3");
    }
    return std::unique_ptr<PinSource>(new FdPinSource(fd));
  }
  if (spec.starts_with("pass:") || spec.starts_with("env:")) {
    return Status(Code::kPermissionDenied,
                  "a PIN on the command line or in the environment is refused (pin source '" +
                      std::string(spec.substr(0, spec.find(':') + 1)) +
                      "...'); use file:PATH, fd:N or the terminal prompt");
  }
  return InvalidArgument(
      "unknown pin source kind; use file:PATH, fd:N, prompt or (for a PIN held by custodians) "
      "shares:FILE,FILE");
}

}  // namespace

Result<std::unique_ptr<PinSource>> ParsePinSource(std::string_view spec, std::string prompt_text) {
  return MakePinSource(spec, std::move(prompt_text), false);
}

Result<std::unique_ptr<PinSource>> ParsePinSource(std::string_view spec, std::string prompt_text,
                                                  const PinTarget& target) {
  return MakePinSource(spec, std::move(prompt_text), false, &target);
}

Result<std::unique_ptr<PinSource>> ParseNewPinSource(std::string_view spec,
                                                     std::string prompt_text) {
  return MakePinSource(spec, std::move(prompt_text), true);
}

Status RefusePinsInEnvironment(char** envp) {
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string_view var(*e);
    std::string_view name = var.substr(0, var.find('='));
    if (MayCarryPin(name)) {
      return Status(Code::kPermissionDenied,
                    "environment variable " + std::string(name) +
                        " looks like it carries a PIN; PINs in the environment are refused "
                        "(other processes can read them); unset it and use a --*pin-source "
                        "option (docs/hsm.md, \"PINs\", says which names are refused)");
    }
  }
  return Status::Ok();
}

Status RefusePinsInArgv(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    if (!a.starts_with("-")) continue;
    std::string_view name = a.substr(0, a.find('='));
    bool pin_option = IsPinOption(name);
    bool pin_value = name.ends_with("pin-source") &&
                     ((a.find("=pass:") != std::string_view::npos ||
                       a.find("=env:") != std::string_view::npos) ||
                      (i + 1 < argc && (std::string_view(argv[i + 1]).starts_with("pass:") ||
                                        std::string_view(argv[i + 1]).starts_with("env:"))));
    if (pin_option || pin_value) {
      return Status(Code::kPermissionDenied,
                    "a PIN on the command line is refused (" + std::string(name) +
                        "): command lines are visible to every process; use a --*pin-source "
                        "option with file:PATH, fd:N or the terminal prompt");
    }
  }
  return Status::Ok();
}

}  // namespace sr
