// End-to-end tests of `strongroom station init` and `strongroom key ...`: the
// real binary, a real SoftHSMv2 token folder in a temp station, and the
// openssl and pkcs11-tool command lines as independent checkers.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/file.h"
#include "cli/common.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace {

using sr::testing::CmdResult;
using sr::testing::Run;
using sr::testing::TempDir;

const std::string kBin = STRONGROOM_BINARY;

// A temp dir with four 0600 PIN files and a station created from them.
struct TempStation {
  TempDir tmp{"sr-cli"};
  std::string root = tmp.path(), dir, pins;
  explicit TempStation(bool init = true) {
    dir = root + "/station";
    pins = root + "/pins";
    REQUIRE(sr::MakeDirs(pins, 0700).ok());
    for (const char* name : {"release-so", "release", "log-so", "log"}) {
      std::string p = pins + "/" + name;
      REQUIRE(sr::WriteFileAtomic(p, std::string("pin-of-") + name + "\n", 0600).ok());
      REQUIRE(::chmod(p.c_str(), 0600) == 0);
    }
    if (init) {
      CmdResult r = Run(InitCommand());
      REQUIRE_MESSAGE(r.rc == 0, r.out);
    }
  }
  std::string InitCommand() const {
    return kBin + " station init --station " + dir + " --release-so-pin-source file:" + pins +
           "/release-so --release-pin-source file:" + pins +
           "/release --log-so-pin-source file:" + pins + "/log-so --log-pin-source file:" + pins +
           "/log";
  }
  CmdResult Generate(const std::string& label, const std::string& alg,
                     const std::string& pin = "release", const std::string& log_pin = "log") {
    return Run(kBin + " key generate --station " + dir + " --label " + label + " --algorithm " +
               alg + " --pin-source file:" + pins + "/" + pin + " --log-pin-source file:" + pins +
               "/" + log_pin);
  }
  std::string Key(const std::string& f) const { return dir + "/keys/" + f; }
};

}  // namespace

TEST_CASE("cli: keys of all four algorithms have proofs of possession that openssl verifies") {
  TempStation st;
  const char* algs[] = {"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss-3072"};
  for (const char* alg : algs) {
    CmdResult r = st.Generate(std::string("k-") + alg, alg);
    REQUIRE_MESSAGE(r.rc == 0, r.out);
    CHECK(r.out.find("fingerprint: ") != std::string::npos);
  }
  auto verify = [&](const std::string& label, const std::string& how) {
    std::string k = st.Key(label);
    std::string cmd = how == "ed25519"
                          ? "openssl pkeyutl -verify -pubin -inkey " + k + ".pem -rawin -in " + k +
                                ".pop -sigfile " + k + ".pop.sig"
                          : "openssl dgst " + how + " -verify " + k + ".pem -signature " + k +
                                ".pop.sig " + k + ".pop";
    return Run(cmd);
  };
  const std::string pss = "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32";
  CHECK(verify("k-ecdsa-p256", "-sha256").rc == 0);
  CHECK(verify("k-ecdsa-p384", "-sha384").rc == 0);
  CHECK(verify("k-ed25519", "ed25519").rc == 0);
  CHECK(verify("k-rsa-pss-3072", pss).rc == 0);
  CHECK(verify("log", "ed25519").rc == 0);  // the station's log key, made by station init
  // The proof binds the key: a statement edited after signing no longer verifies.
  CmdResult stmt = Run("cat " + st.Key("k-ed25519.pop"));
  CHECK(stmt.out.starts_with("strongroom proof-of-possession v1\nfingerprint: "));
  REQUIRE(Run("sed -i s/k-ed25519/k-evil/ " + st.Key("k-ed25519.pop")).rc == 0);
  CHECK(verify("k-ed25519", "ed25519").rc != 0);

  CmdResult list = Run(kBin + " --json key list --station " + st.dir);
  REQUIRE_MESSAGE(list.rc == 0, list.out);
  for (const char* alg : algs) {
    CHECK(list.out.find(std::string("\"label\":\"k-") + alg + "\",\"algorithm\":\"" + alg) !=
          std::string::npos);
  }
  CHECK(list.out.find("\"label\":\"log\",\"algorithm\":\"ed25519\"") != std::string::npos);
  std::string out = st.root + "/exported.pem";
  CmdResult exp =
      Run(kBin + " key export --station " + st.dir + " --label k-ecdsa-p384 --out " + out);
  REQUIRE_MESSAGE(exp.rc == 0, exp.out);
  CHECK(Run("cmp " + out + " " + st.Key("k-ecdsa-p384.pem")).rc == 0);
}

TEST_CASE("cli: pkcs11-tool shows generated private keys sensitive and never extractable") {
  TempStation st;
  REQUIRE(st.Generate("fw", "ecdsa-p256").rc == 0);
  REQUIRE(st.Generate("fw-ed", "ed25519").rc == 0);
  // pkcs11-tool has no PIN file option; this throwaway test PIN is the only
  // PIN that ever appears on a command line in strongroom's tree.
  CmdResult r =
      Run("SOFTHSM2_CONF=" + st.dir + "/softhsm2.conf pkcs11-tool --module " +
          "/usr/lib/softhsm/libsofthsm2.so --token-label release --login --pin pin-of-release " +
          "--list-objects");
  REQUIRE_MESSAGE(r.rc == 0, r.out);
  std::size_t privs = 0;
  for (std::size_t pos = 0; (pos = r.out.find("Private Key Object", pos)) != std::string::npos;
       ++pos) {
    ++privs;
    std::size_t access = r.out.find("Access:", pos);
    std::string line = r.out.substr(access, r.out.find('\n', access) - access);
    INFO(line);
    CHECK(line.find("sensitive") != std::string::npos);
    CHECK(line.find("never extractable") != std::string::npos);
  }
  CHECK(privs == 2);
}

TEST_CASE("cli: a PIN in argv or in the environment is refused with the forbidden exit code") {
  TempStation st;
  std::string gen = kBin + " key generate --station " + st.dir + " --label x --algorithm ed25519";
  for (const std::string& extra :
       {std::string(" --pin 123456"), std::string(" --pin-source pass:123456"),
        std::string(" --pin-source=env:SOMEVAR")}) {
    CmdResult r = Run(gen + extra);
    INFO(extra);
    CHECK(r.rc == sr::cli::kExitForbidden);
    CHECK(r.out.find("refused") != std::string::npos);
    CHECK(r.out.find("123456") == std::string::npos);
  }
  for (const char* var : {"STRONGROOM_PIN", "SOFTHSM_PIN", "PKCS11_PIN", "MY_PIN_CODE"}) {
    CmdResult r =
        Run(std::string(var) + "=123456 " + gen + " --pin-source file:" + st.pins + "/release");
    INFO(var);
    CHECK(r.rc == sr::cli::kExitForbidden);
    CHECK(r.out.find(var) != std::string::npos);
  }
  CHECK(Run("test -e " + st.Key("x.pem")).rc != 0);
}

TEST_CASE("cli: a wrong PIN says CKR_PIN_INCORRECT and many wrong tries do not lock the token") {
  TempStation st;
  REQUIRE(sr::WriteFileAtomic(st.pins + "/wrong", "not-the-pin\n", 0600).ok());
  for (int i = 0; i < 10; ++i) {
    CmdResult r = st.Generate("k", "ed25519", "wrong");
    CHECK(r.rc == sr::cli::kExitHsm);
    CHECK(r.out.find("CKR_PIN_INCORRECT") != std::string::npos);
    CHECK(r.out.find("token 'release'") != std::string::npos);
  }
  CmdResult ok = st.Generate("k", "ed25519");
  CHECK_MESSAGE(ok.rc == 0, ok.out);
  // The log key cannot be used with the release PIN: the tokens are separate.
  CmdResult cross = st.Generate("k2", "ed25519", "release");
  CHECK(cross.rc == 0);
  CmdResult log_wrong =
      Run(kBin + " key generate --station " + st.dir +
          " --token log --label k3 --algorithm ed25519 --pin-source file:" + st.pins +
          "/release --log-pin-source file:" + st.pins + "/log");
  CHECK(log_wrong.rc == sr::cli::kExitForbidden);
  CHECK(log_wrong.out.find("differs from the log token PIN") != std::string::npos);
  CmdResult log_bad = Run(kBin + " key generate --station " + st.dir +
                          " --label k4 --algorithm ed25519 --pin-source file:" + st.pins +
                          "/release --log-pin-source file:" + st.pins + "/release");
  CHECK(log_bad.rc == sr::cli::kExitHsm);
  CHECK(log_bad.out.find("CKR_PIN_INCORRECT") != std::string::npos);
  CHECK(log_bad.out.find("token 'log'") != std::string::npos);
  CHECK(Run("test -e " + st.Key("k4.pem")).rc != 0);  // no key made on a station that cannot log it
}

TEST_CASE("cli: duplicate labels, missing stations and reused directories fail with their codes") {
  TempStation st;
  REQUIRE(st.Generate("dup", "ecdsa-p256").rc == 0);
  CmdResult dup = st.Generate("dup", "ed25519");
  CHECK(dup.rc == sr::cli::kExitExists);
  CHECK(dup.out.find("'dup'") != std::string::npos);
  CmdResult none = Run(kBin + " key list --station " + st.root + "/nowhere");
  CHECK(none.rc == sr::cli::kExitNotFound);
  CmdResult again = Run(st.InitCommand());
  CHECK(again.rc == sr::cli::kExitExists);
  CHECK(again.out.find("not empty") != std::string::npos);
  CmdResult bad_alg = st.Generate("k", "dsa-1024");
  CHECK(bad_alg.rc == sr::cli::kExitInvalidInput);
  CHECK(bad_alg.out.find("dsa-1024") != std::string::npos);
  CmdResult bad_label = st.Generate("../k", "ed25519");
  CHECK(bad_label.rc == sr::cli::kExitInvalidInput);
  CmdResult missing_export = Run(kBin + " key export --station " + st.dir + " --label nope");
  CHECK(missing_export.rc == sr::cli::kExitNotFound);
}

TEST_CASE("cli: every station and key verb has --help text") {
  for (const char* verb :
       {"station", "station init", "key", "key generate", "key list", "key export"}) {
    CmdResult r = Run(kBin + " " + verb + " --help");
    INFO(verb);
    CHECK(r.rc == 0);
    bool described = r.out.find("--station") != std::string::npos ||
                     r.out.find("init") != std::string::npos ||
                     r.out.find("generate") != std::string::npos;
    CHECK(described);
  }
}

TEST_CASE("cli: sign, verify and every log verb explain themselves and their options in --help") {
  const std::pair<const char*, std::vector<const char*>> verbs[] = {
      {"sign",
       {"--approval", "--provenance", "--evidence", "--key", "--out", "--batch", "--pin-source",
        "--log-pin-source", "refus"}},
      {"verify", {"--release", "--artifact", "--key", "--policy", "--vkey", "No network"}},
      {"log verify", {"--vkey", "--since"}},
      {"log show", {"--index", "--count"}},
      {"log prove", {"--index", "--out"}},
      {"log consistency", {"--from"}},
      {"log verify-proof", {"--vkey", "--event"}},
      {"log vkey", {"--station"}},
      {"log recover", {"--station", "--log-pin-source", "torn"}},
      {"log outputs", {"--station", "--index", "--out"}},
      {"log export", {"--station", "--tiles", "--since"}},
      {"log witness-key", {"--name", "--out", "--vkey-out"}},
      {"log cosign", {"--witness-key", "--witness-vkey", "--log", "--state", "--vkey", "--init"}},
      {"log add-cosignature", {"--cosignature", "--witness", "--checkpoint"}},
      {"audit replay", {"--log", "--evidence", "--vkey", "--policies", "--since", "--threads"}},
      {"policy install", {"--log-pin-source", "log"}},
      {"key generate", {"--log-pin-source", "--operator"}},
  };
  for (const auto& [verb, words] : verbs) {
    CmdResult r = Run(kBin + " " + verb + " --help");
    INFO(verb, "\n", r.out);
    CHECK(r.rc == 0);
    for (const char* w : words) CHECK_MESSAGE(r.out.find(w) != std::string::npos, w);
  }
}

TEST_CASE("cli: key generate records a KEY_GENERATED event with the key and its operators") {
  TempStation st;
  CmdResult gen =
      Run(kBin + " key generate --station " + st.dir +
          " --label fw --algorithm ecdsa-p384 --pin-source file:" + st.pins +
          "/release --log-pin-source file:" + st.pins + "/log --operator dana --operator erin");
  REQUIRE_MESSAGE(gen.rc == 0, gen.out);
  CHECK(gen.out.find("logged as event 3") != std::string::npos);  // after init's 3 events
  CmdResult show = Run(kBin + " --json log show --station " + st.dir + " --index 3");
  REQUIRE_MESSAGE(show.rc == 0, show.out);
  CHECK(show.out.find("EVENT_KIND_KEY_GENERATED") != std::string::npos);
  CHECK(show.out.find("\"keyLabel\":\"fw\"") != std::string::npos);
  CHECK(show.out.find("\"algorithm\":\"ecdsa-p384\"") != std::string::npos);
  CHECK(show.out.find("\"operators\":[\"dana\",\"erin\"]") != std::string::npos);
  std::string vk = Run(kBin + " log vkey --station " + st.dir).out;
  vk.pop_back();
  CHECK(Run(kBin + " log verify --station " + st.dir + " --vkey '" + vk + "'").rc == 0);
}

TEST_CASE("cli: a second process that needs a locked station is told it is busy; key list is not") {
  TempStation st;
  CmdResult r = Run("flock " + st.dir + "/station.lock " + kBin + " key generate --station " +
                    st.dir + " --label busy --algorithm ecdsa-p256 --pin-source file:" + st.pins +
                    "/release --log-pin-source file:" + st.pins + "/log --wait 0");
  CHECK(r.rc == sr::cli::kExitBusy);
  CHECK(r.out.find("station.lock") != std::string::npos);
  // Read-only verbs never take the station lock (docs/cli.md, "Locks").
  CHECK(Run("flock " + st.dir + "/station.lock " + kBin + " key list --station " + st.dir).rc == 0);
}

TEST_CASE("cli: --module binds a station to existing tokens of another module by URI") {
  TempStation st(/*init=*/false);
  // Stand-in for "another PKCS#11 module": SoftHSMv2 with a token folder the
  // station does not own, initialized beforehand by its administrator.
  std::string tokens = st.root + "/hsm-tokens";
  REQUIRE(sr::MakeDirs(tokens).ok());
  std::string conf = st.root + "/other.conf";
  REQUIRE(sr::WriteFileAtomic(conf, "directories.tokendir = " + tokens + "\n").ok());
  std::string env = "SOFTHSM2_CONF=" + conf + " ";
  std::string tool = env + "pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so ";
  // Test-only PINs for pkcs11-tool, which has no PIN file option.
  REQUIRE(Run(tool + "--init-token --slot-index 0 --label Vendor-HSM --so-pin 87654321").rc == 0);
  REQUIRE(Run(tool + "--token-label Vendor-HSM --login --login-type so --so-pin 87654321 "
                     "--init-pin --pin pin-of-log")
              .rc == 0);
  CmdResult init =
      Run(env + kBin + " station init --station " + st.dir +
          " --module /usr/lib/softhsm/libsofthsm2.so --token 'pkcs11:token=Vendor-HSM'" +
          " --log-pin-source file:" + st.pins + "/log");
  REQUIRE_MESSAGE(init.rc == 0, init.out);
  CmdResult list = Run(env + kBin + " key list --station " + st.dir);
  REQUIRE_MESSAGE(list.rc == 0, list.out);
  CHECK(list.out.find("release\tlog\ted25519") != std::string::npos);  // same token, both roles
  CHECK(Run("test -e " + st.dir + "/softhsm2.conf").rc != 0);
  CmdResult unknown = Run(env + kBin + " station init --station " + st.root + "/s2" +
                          " --module /usr/lib/softhsm/libsofthsm2.so --token 'pkcs11:token=Nope'" +
                          " --log-pin-source file:" + st.pins + "/log");
  CHECK(unknown.rc == sr::cli::kExitNotFound);
  CHECK(unknown.out.find("'Vendor-HSM'") != std::string::npos);
  // A failed init leaves no half-made station behind, so it can simply be rerun.
  CHECK(Run("test -e " + st.root + "/s2/station.lock").rc != 0);
  CmdResult missing = Run(kBin + " station init --station " + st.root + "/s3 --module /no/such.so" +
                          " --token pkcs11:token=x --log-pin-source file:" + st.pins + "/log");
  CHECK(missing.rc == sr::cli::kExitNotFound);
  CHECK(missing.out.find("/no/such.so") != std::string::npos);
}

TEST_CASE("cli: PINs typed at the terminal prompt are not echoed and unlock the tokens") {
  if (Run("command -v script").rc != 0) {
    MESSAGE("script(1) not installed; skipping the terminal prompt test");
    return;
  }
  TempStation st(/*init=*/false);
  // script(1) gives strongroom a real pseudo-terminal; the PINs are typed
  // into it one prompt at a time, each new PIN twice (entry and confirmation).
  std::string feed =
      "(sleep 0.5; for p in rel-so-pin rel-user-pin log-so-pin log-user-pin; do "
      "printf '%s\\n' $p; sleep 0.3; printf '%s\\n' $p; sleep 0.3; done; sleep 1) | ";
  CmdResult init =
      Run(feed + "script -qec '" + kBin + " station init --station " + st.dir + "' /dev/null");
  REQUIRE_MESSAGE(init.rc == 0, init.out);
  CHECK(init.out.find("release token SO PIN: ") != std::string::npos);
  CHECK(init.out.find("log token user PIN: ") != std::string::npos);
  CHECK(init.out.find("rel-user-pin") == std::string::npos);  // never echoed
  REQUIRE(sr::WriteFileAtomic(st.pins + "/typed", "rel-user-pin\n", 0600).ok());
  REQUIRE(sr::WriteFileAtomic(st.pins + "/typed-log", "log-user-pin\n", 0600).ok());
  CmdResult gen = st.Generate("typed", "ed25519", "typed", "typed-log");
  CHECK_MESSAGE(gen.rc == 0, gen.out);
}

TEST_CASE("cli: the system OpenSSL configuration (OPENSSL_CONF) is never loaded") {
  TempStation st;
  REQUIRE(st.Generate("rel", "ecdsa-p256").rc == 0);
  // A configuration that activates a provider which does not exist: with
  // config_diagnostics, a process that loads it has no working digest.
  std::string conf = st.root + "/openssl.cnf";
  REQUIRE(sr::WriteFileAtomic(conf,
                              "config_diagnostics = 1\nopenssl_conf = openssl_init\n"
                              "[openssl_init]\nproviders = provider_sect\n"
                              "[provider_sect]\nevil = evil_sect\n"
                              "[evil_sect]\nmodule = " +
                                  st.root + "/evil-provider.so\nactivate = 1\n",
                              0600)
              .ok());
  CHECK(Run("OPENSSL_CONF=" + conf + " openssl dgst -sha256 /dev/null").rc != 0);
  CmdResult plain = Run(kBin + " key list --station " + st.dir);
  REQUIRE_MESSAGE(plain.rc == 0, plain.out);
  CmdResult configured = Run("OPENSSL_CONF=" + conf + " " + kBin + " key list --station " + st.dir);
  CHECK_MESSAGE(configured.rc == 0, configured.out);
  CHECK(configured.out == plain.out);  // the same keys and fingerprints
  CHECK(plain.out.find("\trel\tecdsa-p256\t") != std::string::npos);
}
