#include "station/pin_source.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/file.h"
#include "tests/testing/temp_dir.h"

namespace {

using sr::testing::TempDir;

std::string PinFile(const std::string& dir, const std::string& content, mode_t mode = 0600) {
  std::string p = sr::JoinPath(dir, "pin");
  ::unlink(p.c_str());
  REQUIRE(sr::WriteFileAtomic(p, content).ok());
  REQUIRE(::chmod(p.c_str(), mode) == 0);
  return p;
}

std::string AsString(const sr::SecretBytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("pins: a file PIN loses exactly one trailing newline") {
  TempDir tmp("sr-pin");
  const std::string& dir = tmp.path();
  struct Case {
    std::string content, expect;
  } cases[] = {{"123456\n", "123456"}, {"123456", "123456"}, {"123456\r\n", "123456"}};
  for (const Case& c : cases) {
    auto src = sr::ParsePinSource("file:" + PinFile(dir, c.content), "test PIN");
    REQUIRE(src.ok());
    auto pin = (*src)->ReadPin();
    REQUIRE_MESSAGE(pin.ok(), pin.status().message());
    CHECK(AsString(*pin) == c.expect);
  }
  auto two = sr::ParsePinSource("file:" + PinFile(dir, "123456\n\n"), "test PIN");
  auto bad = (*two)->ReadPin();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("line break") != std::string::npos);
}

TEST_CASE("pins: too short, too long and world-readable PIN files are refused by name") {
  TempDir tmp("sr-pin");
  const std::string& dir = tmp.path();
  auto shortp = (*sr::ParsePinSource("file:" + PinFile(dir, "12\n"), "p"))->ReadPin();
  CHECK(shortp.status().message().find("4 to 255 bytes") != std::string::npos);
  auto longp = (*sr::ParsePinSource("file:" + PinFile(dir, std::string(300, '7')), "p"))->ReadPin();
  CHECK(longp.status().message().find("4 to 255 bytes") != std::string::npos);
  std::string open = PinFile(dir, "123456\n", 0644);
  auto world = (*sr::ParsePinSource("file:" + open, "p"))->ReadPin();
  CHECK(world.status().code() == sr::Code::kPermissionDenied);
  CHECK(world.status().message().find(open) != std::string::npos);
  auto missing = (*sr::ParsePinSource("file:" + dir + "/absent", "p"))->ReadPin();
  CHECK(missing.status().message().find("absent") != std::string::npos);
  std::string link = dir + "/link";
  REQUIRE(::symlink(PinFile(dir, "123456").c_str(), link.c_str()) == 0);
  CHECK_FALSE((*sr::ParsePinSource("file:" + link, "p"))->ReadPin().ok());
}

TEST_CASE("pins: an fd source reads the PIN from an inherited pipe") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], "pipe-pin\n", 9) == 9);
  ::close(fds[1]);
  auto src = sr::ParsePinSource("fd:" + std::to_string(fds[0]), "p");
  REQUIRE(src.ok());
  auto pin = (*src)->ReadPin();
  ::close(fds[0]);
  REQUIRE(pin.ok());
  CHECK(AsString(*pin) == "pipe-pin");
  CHECK(sr::ParsePinSource("fd:x", "p").status().code() == sr::Code::kInvalidArgument);
}

TEST_CASE("pins: pass: and env: sources are forbidden and the message never repeats the PIN") {
  for (const char* spec : {"pass:s3cr3t-pin", "env:MY_SECRET"}) {
    auto src = sr::ParsePinSource(spec, "p");
    REQUIRE_FALSE(src.ok());
    CHECK(src.status().code() == sr::Code::kPermissionDenied);
    CHECK(src.status().message().find("s3cr3t") == std::string::npos);
  }
  CHECK(sr::ParsePinSource("http://x", "p").status().code() == sr::Code::kInvalidArgument);
}

TEST_CASE("pins: PIN options in argv are refused but pin-source options and look-alikes are not") {
  auto check = [](std::vector<std::string> args, bool refused) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    sr::Status s = sr::RefusePinsInArgv(static_cast<int>(argv.size()), argv.data());
    INFO(args[1]);
    CHECK(s.ok() == !refused);
    if (refused) {
      CHECK(s.code() == sr::Code::kPermissionDenied);
      CHECK(s.message().find("9999") == std::string::npos);
    }
  };
  check({"strongroom", "--pin", "9999"}, true);
  check({"strongroom", "--pin=9999"}, true);
  check({"strongroom", "--so-pin=9999"}, true);
  check({"strongroom", "--release_pin", "9999"}, true);
  check({"strongroom", "--pin-source", "pass:9999"}, true);
  check({"strongroom", "--log-pin-source=env:X9999"}, true);
  check({"strongroom", "--pin-source", "file:/tmp/p"}, false);
  check({"strongroom", "--no-spinner"}, false);
  check({"strongroom", "key", "list"}, false);
}

TEST_CASE("pins: an environment variable that could carry a PIN is refused by name") {
  std::string a = "PATH=/usr/bin", b = "SOFTHSM_PIN=1234", c = "pkcs11_pin=1", d = "HOME=/root";
  char* with[] = {a.data(), b.data(), d.data(), nullptr};
  sr::Status s = sr::RefusePinsInEnvironment(with);
  CHECK(s.code() == sr::Code::kPermissionDenied);
  CHECK(s.message().find("SOFTHSM_PIN") != std::string::npos);
  CHECK(s.message().find("1234") == std::string::npos);
  char* lower[] = {c.data(), nullptr};
  CHECK_FALSE(sr::RefusePinsInEnvironment(lower).ok());
  char* clean[] = {a.data(), d.data(), nullptr};
  CHECK(sr::RefusePinsInEnvironment(clean).ok());
}

TEST_CASE("pins: the environment rule refuses PIN names and leaves other tools' settings alone") {
  struct Row {
    const char* name;
    bool refused;
  };
  const Row rows[] = {
      {"PIN", true},           {"SO_PIN", true},        {"PKCS11_PIN", true},
      {"USER_PINS", true},     {"my-token-pin", true},  {"SOPIN", true},
      {"STRONGROOM_LOGPIN", true}, {"SOFTHSM2_USERPIN", true}, {"P11PIN", true},
      {"PINENTRY_USER_DATA", false}, {"SPINNER_STYLE", false}, {"GPG_PINENTRY", false},
      {"SHIPPING_ADDRESS", false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    std::string var = std::string(r.name) + "=x";
    char* env[] = {var.data(), nullptr};
    sr::Status s = sr::RefusePinsInEnvironment(env);
    CHECK(s.ok() == !r.refused);
    if (r.refused) CHECK(s.message().find(r.name) != std::string::npos);
  }
}

TEST_CASE("pins: a PIN file its group may read is refused with the chmod to run") {
  TempDir tmp("sr-pin");
  const std::string& dir = tmp.path();
  for (mode_t mode : {0640, 0620, 0604, 0660}) {
    CAPTURE(mode);
    std::string p = PinFile(dir, "123456\n", mode);
    auto r = (*sr::ParsePinSource("file:" + p, "p"))->ReadPin();
    CHECK(r.status().code() == sr::Code::kPermissionDenied);
    CHECK(r.status().message().find("chmod 600 " + p) != std::string::npos);
  }
  CHECK((*sr::ParsePinSource("file:" + PinFile(dir, "123456\n", 0400), "p"))->ReadPin().ok());
}

TEST_CASE("pins: a FIFO given as a PIN file is refused at once, never waited on") {
  TempDir tmp("sr-pin");
  const std::string& dir = tmp.path();
  std::string fifo = dir + "/pin.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto r = (*sr::ParsePinSource("file:" + fifo, "p"))->ReadPin();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("a FIFO (named pipe), not a regular file") != std::string::npos);
}
