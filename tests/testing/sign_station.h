// A real signing station for end-to-end tests of `strongroom sign` and
// `strongroom verify`: the real binary, a SoftHSMv2 station in a temp folder
// (its own softhsm2.conf), a release key generated in its token, and the
// IC-22 reference scenario of tests/testing/policy_fixtures.h (World) re-timed to the
// real clock, its key authorization pointing at the station's key, its policy
// installed through the CLI. Each test mutates the World, writes the inputs
// with Write() and runs Sign().
#ifndef STRONGROOM_TESTS_TESTING_SIGN_STATION_H_
#define STRONGROOM_TESTS_TESTING_SIGN_STATION_H_

#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/file.h"
#include "proto/event.pb.h"
#include "tests/testing/log_events.h"
#include "tests/testing/policy_fixtures.h"
#include "tests/testing/run.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {

// Paths of one release's inputs as written to disk.
struct Inputs {
  std::vector<std::string> artifacts;
  std::string approval, provenance;
  std::vector<std::string> evidence;
  std::string vex;                     // --vex ("" = none)
  std::vector<std::string> documents;  // --document (repeat)
};

class SignStation {
 public:
  // alg: the release key's algorithm (ecdsa-p256, ecdsa-p384, ed25519, rsa-pss-3072).
  // custody: `station init` options that put the release PINs in custodians'
  // hands (" --custody 2-of-3 --custodian ... --shares-out DIR"); then
  // recover_pin(*this) must write the release user PIN to pins/release
  // (from the shares) for the key generation, and is deleted after it.
  explicit SignStation(const std::string& alg = "ecdsa-p256", const std::string& label = "rel",
                       const std::string& custody = "",
                       const std::function<void(const SignStation&)>& recover_pin = {},
                       const std::string& module_args = "") {
    root = tmp_.path();
    station = root + "/station";
    pins = root + "/pins";
    REQUIRE(MakeDirs(pins, 0700).ok());
    for (const char* n : {"release-so", "release", "log-so", "log"}) {
      REQUIRE(WriteFileAtomic(pins + "/" + n, std::string("pin-of-") + n + "\n", 0600).ok());
    }
    // With module_args (" --module PATH --token URI ..."): a station on an
    // external module whose tokens' user PINs are the files' contents.
    CmdResult init =
        !module_args.empty()
            ? Sr("station init --station " + station + " --log-pin-source file:" + pins + "/log" +
                 module_args)
        : custody.empty()
            ? Sr("station init --station " + station + " --release-so-pin-source file:" + pins +
                 "/release-so --release-pin-source file:" + pins +
                 "/release --log-so-pin-source file:" + pins + "/log-so --log-pin-source file:" +
                 pins + "/log")
            : Sr("station init --station " + station + " --log-pin-source file:" + pins + "/log" +
                 custody);
    REQUIRE_MESSAGE(init.rc == 0, init.all());
    if (!custody.empty()) {
      ::unlink((pins + "/release").c_str());
      recover_pin(*this);
    }
    key_label = label;
    CmdResult gen = Sr("key generate --station " + station + " --label " + label + " --algorithm " +
                       alg + Pins());
    REQUIRE_MESSAGE(gen.rc == 0, gen.all());
    if (!custody.empty()) ::unlink((pins + "/release").c_str());
    auto pem = ReadFile(station + "/keys/" + label + ".pem");
    REQUIRE(pem.ok());
    key_pem = *pem;
    auto pk = policy::PublicKey::FromPem(key_pem);
    REQUIRE(pk.ok());
    key_fingerprint = pk->fingerprint();
    CmdResult vk = Sr("log vkey --station " + station);
    REQUIRE(vk.rc == 0);
    vkey = vk.out.substr(0, vk.out.find('\n'));
    REQUIRE(WriteFileAtomic(root + "/log.vkey", vkey + "\n").ok());
  }
  SignStation(const SignStation&) = delete;
  SignStation& operator=(const SignStation&) = delete;

  // " --pin-source file:... --log-pin-source file:..."
  std::string Pins() const {
    return " --pin-source " + (release_pin_source.empty() ? "file:" + pins + "/release"
                                                          : release_pin_source) +
           " --log-pin-source file:" + pins + "/log";
  }

  // Runs the strongroom binary with args (in root).
  CmdResult Sr(const std::string& args) const {
    return Run("cd '" + root + "' && '" + STRONGROOM_BINARY + "' " + args, root + "/.stderr");
  }

  // The reference scenario re-timed to now and bound to this station's key and log.
  World Scenario() const {
    World w;
    w.ForStation(Clock::now(), key_fingerprint, vkey);
    return w;
  }

  // Writes w's policy envelope to root/name and installs it.
  CmdResult InstallPolicy(const World& w, const std::string& name = "policy.env") const {
    REQUIRE(WriteFileAtomic(root + "/" + name, w.Build().policy).ok());
    return Sr("policy install --station " + station + " --in " + root + "/" + name +
              " --log-pin-source file:" + pins + "/log");
  }

  // Writes the artifacts (contents matching w.artifacts' digests) and the
  // approval, provenance and evidence envelopes of w into root/dir.
  Inputs Write(const World& w, const std::string& dir = "media") const {
    std::string d = root + "/" + dir;
    REQUIRE(MakeDirs(d, 0755).ok());
    Inputs in;
    for (const auto& a : w.artifacts) {
      std::string path = d + "/" + a.name;
      if (!PathExists(path)) REQUIRE(WriteFileAtomic(path, ContentOf(a.name)).ok());
      in.artifacts.push_back(path);
    }
    policy::GateInputs g = w.Build();
    in.approval = d + "/approval.dsse.json";
    in.provenance = d + "/provenance.dsse.json";
    REQUIRE(WriteFileAtomic(in.approval, g.approval).ok());
    REQUIRE(WriteFileAtomic(in.provenance, g.provenance).ok());
    for (std::size_t i = 0; i < g.evidence.size(); ++i) {
      in.evidence.push_back(d + "/evidence" + std::to_string(i) + ".dsse.json");
      REQUIRE(WriteFileAtomic(in.evidence.back(), g.evidence[i]).ok());
    }
    return in;
  }

  // The file content World's artifact digests were computed from.
  static std::string ContentOf(const std::string& name) {
    if (name == "ic22-fw-5.4.3.bin") return "IC-22 firmware 5.4.3 image";
    if (name == "ic22-fw-5.4.3.manifest") return "IC-22 firmware 5.4.3 manifest";
    return "content of " + name;
  }

  // `strongroom sign` of product/version with in, into root/out.
  CmdResult Sign(const Inputs& in, const std::string& out, const std::string& extra = "",
                 const std::string& product = "IC-22", const std::string& version = "5.4.3") const {
    return Sr("sign " + SignArgs(in, out, product, version) + extra);
  }
  std::string SignArgs(const Inputs& in, const std::string& out,
                       const std::string& product = "IC-22",
                       const std::string& version = "5.4.3") const {
    std::string args = "--station " + station + " --product " + product + " --version " + version +
                       " --key " + key_label + " --out " + root + "/" + out + Pins();
    for (const auto& a : in.artifacts) args += " --artifact " + a;
    if (!in.approval.empty()) args += " --approval " + in.approval;
    if (!in.provenance.empty()) args += " --provenance " + in.provenance;
    for (const auto& e : in.evidence) args += " --evidence " + e;
    if (!in.vex.empty()) args += " --vex " + in.vex;
    for (const auto& d : in.documents) args += " --document " + d;
    return args;
  }

  // `strongroom verify` of root/out with the artifacts, trusting the station key.
  CmdResult Verify(const std::string& out, const Inputs& in, const std::string& extra = "") const {
    std::string args = "verify --release " + root + "/" + out + " --key " + station + "/keys/" +
                       key_label + ".pem --vkey " + root + "/log.vkey";
    for (const auto& a : in.artifacts) args += " --artifact " + a;
    return Sr(args + extra);
  }

  // Every event of the station's log, parsed.
  std::vector<strongroom::v1::Event> Events() const { return ReadLogEvents(station + "/log"); }

  // `strongroom log verify` with the vkey kept at creation.
  CmdResult LogVerify() const {
    return Sr("log verify --station " + station + " --vkey " + root + "/log.vkey");
  }

  TempDir tmp_{"sr-sign"};  // root; removed with the station
  std::string root, station, pins, key_label, key_pem, key_fingerprint, vkey;
  // The release user PIN source of Pins(); empty: file:pins/release.
  std::string release_pin_source;
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_SIGN_STATION_H_
