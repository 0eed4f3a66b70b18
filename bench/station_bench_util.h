// A station set up through the CLI for the sign benchmarks
// (bench/sign_bench.cc, bench/sign_log_size_bench.cc), as
// tests/testing/sign_station.h does for the tests: PIN files, `station
// init`, a P-256 release key, and the IC-22 reference scenario of
// tests/testing/policy_fixtures.h re-timed to now, its policy installed.
// The PINs are throwaway bench PINs in files.
#ifndef STRONGROOM_BENCH_STATION_BENCH_UTIL_H_
#define STRONGROOM_BENCH_STATION_BENCH_UTIL_H_

#include <string>
#include <vector>

#include "base/file.h"
#include "bench/log_bench_util.h"
#include "policy/keys.h"
#include "tests/testing/policy_fixtures.h"

namespace sr::bench {

class BenchStation {
 public:
  static constexpr const char* kKeyLabel = "rel";

  // bin: the strongroom binary; root: an empty directory (the station is
  // root/station, its PIN files root/pins).
  BenchStation(std::string bin, std::string root) : bin_(std::move(bin)), root_(std::move(root)) {
    station_ = root_ + "/station";
    pins_ = root_ + "/pins";
  }

  // Runs the strongroom binary; dies (showing its output) unless it exits 0.
  Run Sr(std::vector<std::string> args, const std::string& what) const {
    args.insert(args.begin(), bin_);
    Run r = Spawn(args, root_ + "/.out");
    if (r.rc != 0)
      Die(what + " failed (exit " + std::to_string(r.rc) + "):\n" + Slurp(root_ + "/.out"));
    return r;
  }
  std::vector<std::string> Pins() const {
    return {"--pin-source", "file:" + pins_ + "/release", "--log-pin-source",
            "file:" + pins_ + "/log"};
  }

  // `station init` and `key generate`; with module, bound to its existing
  // tokens "release" and "log" (their user PINs in secrets/release.user and
  // secrets/log.user).
  void SetUp(const std::string& module = "", const std::string& secrets = "") {
    Check(MakeDirs(pins_, 0700), "mkdir " + pins_);
    for (const std::string n : {"release-so", "release", "log-so", "log"}) {
      std::string pin = n == "release" ? release_pin_ : "bench-" + n;
      if (!module.empty() && (n == "release" || n == "log")) {
        auto p = ReadFile(secrets + "/" + n + ".user");
        if (!p.ok()) Die(p.status().message());
        pin = *p;
        if (n == "release") release_pin_ = pin;
      }
      Check(WriteFileAtomic(pins_ + "/" + n, pin + "\n", 0600), "pin file");
    }
    if (module.empty()) {
      Sr({"station", "init", "--station", station_, "--release-so-pin-source",
          "file:" + pins_ + "/release-so", "--release-pin-source", "file:" + pins_ + "/release",
          "--log-so-pin-source", "file:" + pins_ + "/log-so", "--log-pin-source",
          "file:" + pins_ + "/log"},
         "station init");
    } else {
      Sr({"station", "init", "--station", station_, "--log-pin-source", "file:" + pins_ + "/log",
          "--module", module, "--token", "pkcs11:token=release", "--log-token", "pkcs11:token=log"},
         "station init --module");
    }
    std::vector<std::string> gen = {"key",     "generate", "--station",   station_,
                                    "--label", kKeyLabel,  "--algorithm", "ecdsa-p256"};
    for (auto& p : Pins()) gen.push_back(p);
    Sr(gen, "key generate");
    auto pem = ReadFile(station_ + "/keys/" + kKeyLabel + ".pem");
    if (!pem.ok()) Die(pem.status().message());
    auto pk = policy::PublicKey::FromPem(*pem);
    if (!pk.ok()) Die(pk.status().message());
    key_fingerprint_ = pk->fingerprint();
    Sr({"log", "vkey", "--station", station_}, "log vkey");
    std::string out = Slurp(root_ + "/.out");
    vkey_ = out.substr(0, out.find('\n'));
  }

  // The reference scenario re-timed to now, bound to the station's key and
  // log (SignStation::Scenario), its policy installed through the CLI.
  void InstallPolicy() {
    world_.ForStation(policy::Clock::now(), key_fingerprint_, vkey_);
    std::string path = root_ + "/policy.env";
    WritePlain(path, world_.Build().policy);
    Sr({"policy", "install", "--station", station_, "--in", path, "--log-pin-source",
        "file:" + pins_ + "/log"},
       "policy install");
  }

  const std::string& bin() const { return bin_; }
  const std::string& root() const { return root_; }
  const std::string& station() const { return station_; }
  const std::string& release_pin() const { return release_pin_; }
  // The log token's user PIN (not on a module: SetUp's "bench-log").
  static constexpr const char* kLogPin = "bench-log";
  // The scenario (after InstallPolicy: bound to this station).
  const testing::World& world() const { return world_; }

 private:
  std::string bin_, root_, station_, pins_, key_fingerprint_, vkey_;
  std::string release_pin_ = "bench-release-user-pin";
  testing::World world_;
};

}  // namespace sr::bench

#endif  // STRONGROOM_BENCH_STATION_BENCH_UTIL_H_
