// A software TPM with tpm2-pkcs11 tokens for one test: swtpm, a private D-Bus
// session bus and tpm2-abrmd, started by tests/testing/tpm_up.sh in a
// temporary directory, in a process group of their own. The destructor kills
// that group (SIGTERM, then SIGKILL) and waits for it, so nothing keeps
// running after the test, whether it passed, failed or threw; everything on
// disk goes with the TempDir. Nothing system-wide is touched.
//
// Start() fails the test (it is never skipped) with the reason and the tails
// of the daemons' logs when the TPM cannot start, e.g. "swtpm is not
// installed: run scripts/install-deps".
//
// The module's variables (DBUS_SESSION_BUS_ADDRESS, TPM2_PKCS11_TCTI,
// TPM2_PKCS11_STORE) are set in this process's environment, so commands the
// test runs (and their children) reach the tokens. Not thread-safe.
#ifndef STRONGROOM_TESTS_TESTING_TPM_H_
#define STRONGROOM_TESTS_TESTING_TPM_H_

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {

// Debian's path of tpm2-pkcs11 (libtpm2-pkcs11-1).
inline constexpr const char* kTpm2Pkcs11Module =
    "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so";

struct TpmToken {
  std::string label, so_pin, user_pin;
};

class SoftwareTpm {
 public:
  explicit SoftwareTpm(std::vector<TpmToken> tokens) : tokens_(std::move(tokens)) {}
  SoftwareTpm(const SoftwareTpm&) = delete;
  SoftwareTpm& operator=(const SoftwareTpm&) = delete;
  ~SoftwareTpm() { Stop(); }

  // Starts the TPM and makes the tokens; REQUIREs that it worked.
  void Start() {
    REQUIRE_MESSAGE(::access(kTpm2Pkcs11Module, R_OK) == 0, kTpm2Pkcs11Module,
                    " is missing: install libtpm2-pkcs11-1 (scripts/install-deps)");
    std::string pins = dir_.Sub("pins");
    REQUIRE(MakeDirs(pins, 0700).ok());
    std::vector<std::string> args = {
        "bash", std::string(STRONGROOM_SOURCE_DIR) + "/tests/testing/tpm_up.sh", dir_.Sub("tpm"),
        std::to_string(FreePortPair())};
    for (const TpmToken& t : tokens_) {
      std::string so = pins + "/" + t.label + ".so", user = pins + "/" + t.label + ".user";
      REQUIRE(WriteFileAtomic(so, t.so_pin, 0600).ok());
      REQUIRE(WriteFileAtomic(user, t.user_pin, 0600).ok());
      args.push_back(t.label + ":" + so + ":" + user);
    }
    REQUIRE(MakeDirs(dir_.Sub("tpm"), 0700).ok());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);  // the group the destructor kills
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("bash", argv.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);  // also from here: no race with the kill
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!PathExists(dir_.Sub("tpm/ready"))) {
      if (PathExists(dir_.Sub("tpm/failed")) || std::chrono::steady_clock::now() > deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto why = ReadFile(dir_.Sub("tpm/failed"), 1 << 20);
        Stop();
        FAIL("the software TPM did not start: ",
             why.ok() ? *why : "no answer within 60 s\n" + Logs());
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        auto why = ReadFile(dir_.Sub("tpm/failed"), 1 << 20);
        FAIL("the software TPM did not start: ", why.ok() ? *why : std::string("tpm_up.sh exited"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto env = ReadFile(dir_.Sub("tpm/env"), 1 << 16);
    REQUIRE(env.ok());
    std::string text = *env;
    for (std::size_t at = 0; at < text.size();) {
      std::size_t nl = text.find('\n', at);
      std::string line = text.substr(at, nl - at);
      at = nl == std::string::npos ? text.size() : nl + 1;
      std::size_t eq = line.find('=');
      if (eq != std::string::npos) ::setenv(line.substr(0, eq).c_str(), line.c_str() + eq + 1, 1);
    }
  }

  // Kills the process group and waits for it; safe to call twice.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 40; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);  // whatever ignored SIGTERM (the group outlives its leader)
    ::waitpid(pid_, nullptr, WNOHANG);
    pid_ = -1;
  }

  // The folder for the test's own files (removed at the end).
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }
  // The file holding token label's user PIN.
  std::string UserPinFile(const std::string& label) const {
    return dir_.Sub("pins/" + label + ".user");
  }

 private:
  // The daemons' and tpm2_ptool's logs, for a failure message.
  std::string Logs() const {
    std::string out;
    for (const char* f : {"swtpm.log", "dbus.log", "abrmd.log", "ptool.log"}) {
      auto text = ReadFile(dir_.Sub(std::string("tpm/") + f), 1 << 20);
      if (!text.ok()) continue;
      out += std::string("--- ") + f + "\n" +
             text->substr(text->size() > 2000 ? text->size() - 2000 : 0);
    }
    return out;
  }

  // A port P such that P and P+1 are free now (swtpm's server and control
  // ports: its TCTI finds the control port at P+1). P is the kernel's pick.
  static int FreePortPair() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      int a = Bind(0);
      REQUIRE(a >= 0);
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      REQUIRE(::getsockname(a, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
      int port = ntohs(addr.sin_port);
      int b = port < 65535 ? Bind(port + 1) : -1;
      ::close(a);
      if (b >= 0) {
        ::close(b);
        return port;
      }
    }
    FAIL("found no two consecutive free local ports for swtpm");
    return 0;
  }
  // A TCP socket bound to 127.0.0.1:port, or -1.
  static int Bind(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  TempDir dir_{"sr-tpm"};
  std::vector<TpmToken> tokens_;
  pid_t pid_ = -1;
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_TPM_H_
