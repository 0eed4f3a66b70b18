// `strongroom sign` end to end on a real embedded-SoftHSMv2 station, against
// the cost of the bare HSM operation on the same token, measured in the same
// run (docs/performance.md, "Signing"):
//
//  1. one `strongroom sign` of a 1 MiB artifact (the full session: station
//     lock, two token logins, hashing, the gate, the evidence store, two
//     durable log appends, a checkpoint, the outputs) against one
//     `pkcs11-tool --sign` process signing the artifact's digest with the same
//     key; median wall time of RUNS each, interleaved. Target: ratio <= 1.5.
//     Also printed, for reference only: the ratio to `openssl dgst` of the
//     artifact plus `pkcs11-tool --sign` (a bare ceremony hashes first).
//  2. one `strongroom sign` of ARTIFACTS small (4 KiB) artifacts in one
//     release, against the raw in-process C_SignInit + C_Sign rate of the
//     same key (bench/raw_sign.h), measured just before and just after each
//     session (each session's ratio is against the mean of the two: the VM's
//     speed moves between runs); median of the BULK_RUNS sessions' ratios.
//     Target: >= 0.50.
//
// The station is set up through the CLI like tests/testing/sign_station.h, the
// trust policy and envelopes are the IC-22 reference scenario of
// tests/testing/policy_fixtures.h (keys generated with OpenSSL, envelopes signed with
// policy::AddSignature + KeyFileSigner), re-timed to now. Every sign needs a
// fresh version with its own approval, provenance and evidence: all of them
// are written before anything is timed. The PINs are throwaway test PINs
// (pkcs11-tool takes its PIN on the command line; strongroom reads files).
//
//   sign_bench [RUNS=15] [ARTIFACTS=1000] [BULK_RUNS=7] [STRONGROOM_BINARY]
//   BENCH_TMPDIR: where the station lives (fsync cost depends on the disk;
//   scripts/bench puts it on /dev/shm unless told otherwise);
//   BENCH_KEEP=1 keeps it (and prints the path) to rerun a step by hand.
//   SIGN_BENCH_PREPARE_ONLY=1 (with BENCH_KEEP=1): sets the station up, writes
//   the single signs' and the bulk sessions' command lines (one per line) to
//   single-commands.txt and bulk-commands.txt and stops, to profile a sign
//   by hand. The commands sign in file order (each release names the one
//   before it as its predecessor).
//   SIGN_BENCH_MODULE=PATH: the station on that module instead (`scripts/bench
//   tpm`: tpm2-pkcs11 on swtpm), bound to its tokens "release" and "log",
//   whose user PINs are the files SIGN_BENCH_TOKEN_SECRETS/release.user and
//   log.user; pkcs11-tool signs with the same module and token. Only part 1
//   runs (a TPM signs a few times a second: its raw rate is no bar), and its
//   ratio is reported, not held to the SoftHSMv2 target.
// Exits 3 when a target is missed, after printing everything.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "base/hash.h"
#include "bench/raw_sign.h"
#include "bench/station_bench_util.h"
#include "hsm/module.h"
#include "hsm/session.h"
#include "station/station.h"
#include "tests/testing/policy_fixtures.h"

namespace {

using sr::testing::World;

using sr::bench::Bytes;
using sr::bench::Die;
using sr::bench::Median;
using sr::bench::Run;
using sr::bench::Slurp;
using sr::bench::Spawn;
using sr::bench::WritePlain;

// The station (bench/station_bench_util.h) and what this benchmark does with it.
class Bench : public sr::bench::BenchStation {
 public:
  using BenchStation::BenchStation;

  // Writes one release's inputs (artifacts with the given contents, approval,
  // provenance and evidence naming them all) and returns its sign command.
  std::vector<std::string> PrepareRelease(const std::string& version, const std::string& previous,
                                          const std::vector<std::string>& names,
                                          const std::vector<std::string>& contents,
                                          std::string* first_digest = nullptr) {
    std::string dir = root() + "/media-" + version;
    sr::bench::Check(sr::MakeDirs(dir, 0755), "mkdir " + dir);
    World w = world();
    std::vector<sr::policy::Artifact> arts;
    std::vector<std::string> cmd = {
        bin(),       "sign",  "--station", station(), "--product", "IC-22",
        "--version", version, "--key",     kKeyLabel, "--out",     root() + "/out-" + version};
    for (auto& p : Pins()) cmd.push_back(p);
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string path = dir + "/" + names[i];
      WritePlain(path, contents[i]);
      arts.push_back({names[i], sr::Sha256Hex(contents[i])});
      cmd.insert(cmd.end(), {"--artifact", path});
    }
    if (first_digest) *first_digest = sr::Sha256Bytes(contents[0]);
    w.ForRelease(std::move(arts), version, previous);
    sr::policy::GateInputs g = w.Build();
    WritePlain(dir + "/approval.dsse.json", g.approval);
    WritePlain(dir + "/provenance.dsse.json", g.provenance);
    cmd.insert(cmd.end(), {"--approval", dir + "/approval.dsse.json", "--provenance",
                           dir + "/provenance.dsse.json"});
    for (std::size_t i = 0; i < g.evidence.size(); ++i) {
      std::string e = dir + "/evidence" + std::to_string(i) + ".dsse.json";
      WritePlain(e, g.evidence[i]);
      cmd.insert(cmd.end(), {"--evidence", e});
    }
    return cmd;
  }

  // A timed `strongroom sign`; dies unless the release was signed.
  double TimedSign(const std::vector<std::string>& cmd, const std::string& version) const {
    std::string out = root() + "/.sign-out";
    Run r = Spawn(cmd, out);
    std::string text = Slurp(out);
    if (r.rc != 0 || text.find("SIGNED IC-22 " + version) == std::string::npos)
      Die("sign " + version + " failed (exit " + std::to_string(r.rc) + "):\n" + text);
    return r.seconds;
  }

  // The key's CKA_ID (hex) and the raw C_Sign rate, in this process; the
  // station (its lock, the module, the login) is released before returning.
  double RawRate(int n, std::string* key_id_hex) {
    auto st = sr::Station::Open(station());  // sets SOFTHSM2_CONF for the module
    if (!st.ok()) Die(st.status().message());
    sr::SecretBytes pin(release_pin().begin(), release_pin().end());
    auto s = (*st)->OpenSession(sr::TokenRole::kRelease, &pin);
    if (!s.ok()) Die(s.status().message());
    auto k = (*s)->FindKey(kKeyLabel);
    if (!k.ok()) Die(k.status().message());
    if (key_id_hex) *key_id_hex = sr::HexEncode(k->info.id);
    unsigned long slot = (*s)->token().slot;
    auto warm = sr::bench::RawSignRate((*st)->module(), slot, *k, n / 10 + 1);
    if (!warm.ok()) Die(warm.status().message());
    auto rate = sr::bench::RawSignRate((*st)->module(), slot, *k, n);
    if (!rate.ok()) Die(rate.status().message());
    return *rate;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 15;
  const int n_bulk = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int bulk_runs = argc > 3 ? std::atoi(argv[3]) : 7;
  const std::string bin = argc > 4 ? argv[4] : STRONGROOM_BINARY;
  if (runs < 1 || n_bulk < 1 || bulk_runs < 1) Die("RUNS, ARTIFACTS and BULK_RUNS must be >= 1");
  sr::bench::BenchDir dir;
  if (std::getenv("BENCH_KEEP")) std::printf("(keeping %s)\n", dir.path().c_str());
  // Where the station lives decides how much the log's durability costs:
  // on tmpfs nothing is flushed to a device.
  struct statfs fs {};
  const bool tmpfs = ::statfs(dir.path().c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
  std::printf("station in %s (%s)\n", dir.path().c_str(),
              tmpfs ? "tmpfs: no device flushes" : "a disk: each flush reaches the device");
  const char* module_env = std::getenv("SIGN_BENCH_MODULE");
  const std::string module = module_env ? module_env : "";
  const char* secrets_env = std::getenv("SIGN_BENCH_TOKEN_SECRETS");
  if (!module.empty() && !secrets_env) Die("SIGN_BENCH_MODULE needs SIGN_BENCH_TOKEN_SECRETS");
  Bench b(bin, dir.path());
  b.SetUp(module, module.empty() ? "" : secrets_env);
  b.InstallPolicy();
  std::string key_id;
  (void)b.RawRate(module.empty() ? 100 : 3, &key_id);

  // Every release's inputs, before anything is timed: one warm-up and RUNS
  // timed single-artifact versions (5.4.3, 5.4.4, ...), then BULK_RUNS
  // versions of n_bulk artifacts (5.5.0, 5.6.0, ...).
  std::vector<std::vector<std::string>> single, bulk;
  std::vector<std::string> single_versions, bulk_versions;
  std::string digest;  // of the warm-up artifact, for pkcs11-tool
  std::string previous = "5.4.2";
  for (int i = 0; i <= runs; ++i) {
    std::string v = "5.4." + std::to_string(3 + i);
    std::string d;
    single.push_back(b.PrepareRelease(v, previous, {"ic22-fw-" + v + ".bin"},
                                      {Bytes(1 << 20, static_cast<unsigned>(i))}, &d));
    if (i == 0) digest = d;
    single_versions.push_back(v);
    previous = v;
  }
  for (int r = 0; r < (module.empty() ? bulk_runs : 0); ++r) {
    std::string v = "5." + std::to_string(5 + r) + ".0";
    std::vector<std::string> names, contents;
    for (int i = 0; i < n_bulk; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "part-%04d.bin", i);
      names.push_back(name);
      contents.push_back(Bytes(4096, static_cast<unsigned>(1000000 * (r + 1) + i)));
    }
    bulk.push_back(b.PrepareRelease(v, previous, names, contents));
    bulk_versions.push_back(v);
    previous = v;
  }
  // The setup's own writes reach the disk now, not inside a timed sign's
  // file-system syncs.
  ::sync();
  if (std::getenv("SIGN_BENCH_PREPARE_ONLY")) {
    // For profiling one session by hand (perf, strace): the sessions'
    // command lines, one per line, and nothing timed.
    auto write = [&](const std::vector<std::vector<std::string>>& cmds, const std::string& file) {
      std::string lines;
      for (const auto& cmd : cmds) {
        for (const auto& a : cmd) lines += a + (&a == &cmd.back() ? "\n" : " ");
      }
      WritePlain(b.root() + "/" + file, lines);
    };
    write(single, "single-commands.txt");
    write(bulk, "bulk-commands.txt");
    std::printf(
        "commands: %s/single-commands.txt and bulk-commands.txt (SOFTHSM2_CONF=%s/softhsm2.conf)\n",
        b.root().c_str(), b.station().c_str());
    return 0;
  }
  const std::string digest_file = b.root() + "/digest.bin";
  WritePlain(digest_file, digest);
  const std::vector<std::string> p11 = {
      "pkcs11-tool",
      "--module",
      module.empty() ? std::string(sr::hsm::kSoftHsmModulePath) : module,
      "--token-label",
      "release",
      "--login",
      "--pin",
      b.release_pin(),
      "--sign",
      "--mechanism",
      "ECDSA",
      "--id",
      key_id,
      "-i",
      digest_file,
      "-o",
      b.root() + "/p11.sig"};
  std::vector<std::string> p11_env;
  if (module.empty()) p11_env.push_back("SOFTHSM2_CONF=" + b.station() + "/softhsm2.conf");
  // For reference only (not a target): what a bare pkcs11-tool ceremony
  // runs to sign a file, hashing it first (openssl dgst) and then signing
  // the digest; it still keeps no log, checks no approval and writes no
  // manifest.
  const std::string artifact_1mib =
      b.root() + "/media-" + single_versions[0] + "/ic22-fw-" + single_versions[0] + ".bin";
  const std::vector<std::string> dgst = {
      "openssl", "dgst", "-sha256", "-binary", "-out", b.root() + "/dgst.bin", artifact_1mib};
  auto openssl_dgst = [&] {
    Run r = Spawn(dgst, b.root() + "/.dgst-out");
    if (r.rc != 0 || Slurp(b.root() + "/dgst.bin") != digest)
      Die("openssl dgst failed (exit " + std::to_string(r.rc) + "):\n" +
          Slurp(b.root() + "/.dgst-out"));
    return r.seconds;
  };
  auto pkcs11_tool = [&] {
    Run r = Spawn(p11, b.root() + "/.p11-out", p11_env);
    if (r.rc != 0 || Slurp(b.root() + "/p11.sig").empty())
      Die("pkcs11-tool --sign failed (exit " + std::to_string(r.rc) + "):\n" +
          Slurp(b.root() + "/.p11-out"));
    return r.seconds;
  };

  // 1. One artifact of 1 MiB: warm-up, then interleaved runs (alternating
  //    which goes first) so load changes hit both alike.
  (void)b.TimedSign(single[0], single_versions[0]);
  (void)pkcs11_tool();
  (void)openssl_dgst();
  std::vector<double> t_sign, t_p11, t_dgst;
  for (int i = 1; i <= runs; ++i) {
    if (i % 2) t_p11.push_back(pkcs11_tool());
    t_sign.push_back(b.TimedSign(single[i], single_versions[i]));
    if (i % 2 == 0) t_p11.push_back(pkcs11_tool());
    t_dgst.push_back(openssl_dgst());
  }
  const double m_sign = Median(t_sign), m_p11 = Median(t_p11), m_dgst = Median(t_dgst);
  const double ratio1 = m_sign / m_p11;
  std::printf("sign: one 1 MiB artifact, ECDSA P-256, median of %d runs each (wall time)%s\n", runs,
              module.empty() ? "" : (", on " + module).c_str());
  std::printf("  strongroom sign (full session)  : %8.1f ms  (min %.1f, max %.1f)\n", m_sign * 1e3,
              *std::min_element(t_sign.begin(), t_sign.end()) * 1e3,
              *std::max_element(t_sign.begin(), t_sign.end()) * 1e3);
  std::printf("  pkcs11-tool --sign (baseline)   : %8.1f ms  (min %.1f, max %.1f)\n", m_p11 * 1e3,
              *std::min_element(t_p11.begin(), t_p11.end()) * 1e3,
              *std::max_element(t_p11.begin(), t_p11.end()) * 1e3);
  if (module.empty()) {
    std::printf("  ratio                           : %8.2f     (target <= 1.50: %s)\n", ratio1,
                ratio1 <= 1.5 ? "met" : "MISSED");
  } else {
    // Each strongroom sign makes three signatures in the module (the
    // artifact, the manifest, the VSA) and one checkpoint (the log key),
    // where pkcs11-tool makes one: on a TPM each costs a round trip.
    std::printf(
        "  ratio                           : %8.2f     (reported, no target: strongroom "
        "signs artifact, manifest, VSA and checkpoint; pkcs11-tool one digest)\n",
        ratio1);
  }
  std::printf(
      "  for reference, not the target: openssl dgst of the artifact %.1f ms + pkcs11-tool\n"
      "  = %.1f ms (hash, then sign; no log, gate or outputs): ratio %.2f\n",
      m_dgst * 1e3, (m_dgst + m_p11) * 1e3, m_sign / (m_dgst + m_p11));
  std::fflush(stdout);

  if (!module.empty()) return 0;
  // 2. One session of n_bulk artifacts; the raw rate measured just before
  // and just after each (the VM's speed moves between runs): each session's
  // ratio is against the mean of its two, and the median ratio is reported.
  std::vector<double> t_bulk, raw, ratios;
  for (int r = 0; r < bulk_runs; ++r) {
    const double before = b.RawRate(n_bulk, nullptr);
    const double t = b.TimedSign(bulk[r], bulk_versions[r]);
    const double after = b.RawRate(n_bulk, nullptr);
    t_bulk.push_back(t);
    raw.push_back((before + after) / 2);
    ratios.push_back(n_bulk / t / raw.back());
  }
  const double m_bulk = Median(t_bulk), m_raw = Median(raw);
  const double session_rate = n_bulk / m_bulk;
  const double ratio2 = Median(ratios);
  std::printf("\nsign: one session of %d artifacts of 4 KiB, one release, median of %d\n", n_bulk,
              bulk_runs);
  std::printf("  strongroom sign (full session)  : %8.0f artifacts/s  (%.1f ms per session)\n",
              session_rate, m_bulk * 1e3);
  std::printf(
      "  raw C_SignInit+C_Sign (baseline): %8.0f /s  (same key, in-process, 32 bytes;\n"
      "                                    each session's: mean of just before and after)\n",
      m_raw);
  std::string each;
  for (double x : ratios) each += (each.empty() ? "" : " ") + std::to_string(x).substr(0, 5);
  std::printf("  ratio (median of the sessions')  : %8.3f     (target >= 0.50: %s; each: %s)\n",
              ratio2, ratio2 >= 0.5 ? "met" : "MISSED", each.c_str());
  return ratio1 <= 1.5 && ratio2 >= 0.5 ? 0 : 3;
}
