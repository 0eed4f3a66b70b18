// `strongroom audit replay` of a large log against the floor of the work it
// cannot avoid, measured in the same run: every signature verification and
// every SHA-256 it must do, timed one by one on one core, divided by the
// cores (the units timed just before and just after the replay: the mean;
// each unit the median of five timings). REPLAY_RUNS=N replays N times,
// each against the floor timed just before and after it, and reports the
// median ratio (the host's speed moves during minutes-long runs).
// Target: replay wall time <= 1.5 x that floor / cores, and the replaying
// process's peak memory <= 128 MiB.
//
// The floor counts what replay must do, as it does it: every recorded
// signature (artifacts, manifest, VSA) once; each distinct envelope's
// signatures once under its trusted keys (the policy's governance
// signatures at its installation, a release's approval, provenance and test
// evidence at its SIGNING), since replay verifies each distinct (envelope,
// trusted keys) once (audit/signature_cache.h) and a refusal that presents
// them again costs no verification; each distinct evidence object's hash
// once (replay keeps the objects it read and checked, audit/evidence.h: the
// store is content-addressed, so an object presented again is the object
// checked, and an altered one fails at every event that presents it); the
// DSSE encodings of the manifest and VSA; and each log leaf.
//
// The log: a policy installation, then releases of ARTIFACTS artifacts each
// (SIGNING_INTENT + SIGNING, with real signatures by an in-process P-256
// release key and attestation key, and real approval, provenance and test
// evidence of the IC-22 scenario, tests/testing/policy_fixtures.h), each
// followed by refusals of the same version again (VERSION_NOT_ABOVE_LAST_
// SIGNED: re-run by the gate), so most events are refusals. The clock moves
// on a second every 100 events. Usage:
//   audit_replay_bench [EVENTS (1000000)] [STRONGROOM] [ARTIFACTS (32)] [EVENTS_PER_RELEASE (8)]
// EVENTS_PER_RELEASE 8: an intent, a SIGNING and six refusals per release,
// 75% of the events refusals; scripts/bench also runs 200 (a refusal
// storm: 99% refusals).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "base/file.h"
#include "bench/log_bench_util.h"
#include "log/note.h"
#include "log/writer.h"
#include "proto/bindings.h"
#include "release/outputs.h"
#include "tests/testing/policy_fixtures.h"

namespace {

namespace v1 = strongroom::v1;
using sr::testing::World;

// Runs argv, returns wall seconds; *maxrss_kib = the child's peak RSS,
// *cpu = its user + system seconds.
double RunChild(const std::vector<std::string>& args, long* maxrss_kib, double* cpu, int* status) {
  double t0 = sr::bench::Now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) ::dup2(null_fd, 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  struct rusage ru {};
  ::wait4(pid, status, 0, &ru);
  *maxrss_kib = ru.ru_maxrss;
  *cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return sr::bench::Now() - t0;
}

std::string Sig(sr::policy::Signer& s, std::string_view msg) {
  auto r = s.Sign(msg);
  if (!r.ok()) std::abort();
  return *r;
}

// What the replay must verify and hash, counted while writing the log.
struct Work {
  std::uint64_t ec256 = 0, ed25519 = 0, ec384 = 0;  // signature verifications
  // Bytes through SHA-256: each log leaf, the DSSE encodings of the
  // manifest and VSA, and each distinct evidence object once (replay
  // keeps the objects it read and checked: audit/evidence.h).
  std::uint64_t hash_bytes = 0;
  // The verifications the log's events present, each at every event that
  // presents it (the policy's governance signatures, the approval, the
  // provenance and the test evidence at every gate re-run): what a replay
  // without the memo verifies, and the floor the first version of this
  // benchmark counted. Printed for reference beside the target's floor.
  std::uint64_t presented_ec256 = 0, presented_ed25519 = 0;
  // The evidence objects' bytes, hashed at every event that presents them
  // (what a replay without the evidence cache hashes), for the same
  // reference.
  std::uint64_t presented_hash_bytes = 0;
  // The tree's interior nodes replay recomputes to check the checkpoint:
  // one SHA-256 of 65 bytes each (n - 1 for n leaves).
  std::uint64_t node_hashes = 0;
};

// One gate re-run; `first`: the first time these envelopes are presented,
// when they are read and hashed and their signatures are verified (approval: one P-256 and one
// Ed25519 approver; provenance: the P-256 builder; test evidence: the Ed25519 lab). The policy's
// own signatures are verified once, at its installation.
void CountGate(const sr::policy::GateInputs& g, bool first, Work& w) {
  w.presented_ec256 += 3;  // policy, approval and provenance: one P-256 key each
  w.presented_ed25519 += 2 + g.evidence.size();  // policy, approval, each test lab
  if (first) {
    w.ec256 += 2;
    w.ed25519 += 1 + g.evidence.size();
  }
  std::uint64_t bytes = g.approval.size() + g.provenance.size();
  for (const auto& e : g.evidence) bytes += e.size();
  w.presented_hash_bytes += bytes;
  if (first) w.hash_bytes += bytes;
}

// This thread's CPU seconds: the floor is timed in CPU time, so that other
// processes on the machine do not inflate it.
double ThreadCpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The counts of a generated log, kept beside it for REPLAY_REUSE.
bool WriteWork(const std::string& path, const Work& w) {
  std::string text;
  for (std::uint64_t v : {w.ec256, w.ed25519, w.ec384, w.hash_bytes, w.presented_ec256,
                          w.presented_ed25519, w.presented_hash_bytes, w.node_hashes})
    text += std::to_string(v) + "\n";
  return sr::WriteFileAtomic(path, text).ok();
}

bool ReadWork(const std::string& path, Work* w) {
  auto text = sr::ReadFile(path, 4096);
  if (!text.ok()) return false;
  std::uint64_t* fields[] = {&w->ec256,
                             &w->ed25519,
                             &w->ec384,
                             &w->hash_bytes,
                             &w->presented_ec256,
                             &w->presented_ed25519,
                             &w->presented_hash_bytes,
                             &w->node_hashes};
  std::size_t pos = 0;
  for (std::uint64_t* f : fields) {
    std::size_t end = text->find('\n', pos);
    if (end == std::string::npos) return false;
    *f = std::strtoull(text->substr(pos, end - pos).c_str(), nullptr, 10);
    pos = end + 1;
  }
  return true;
}

// The median of five timings of `op` run `k` times, in CPU seconds per run:
// one short timing is at the mercy of the host's speed at that moment.
template <typename F>
double PerCall(int k, F&& op) {
  std::vector<double> t;
  for (int r = 0; r < 5; ++r) {
    double t0 = ThreadCpu();
    for (int i = 0; i < k; ++i) op(i);
    t.push_back((ThreadCpu() - t0) / k);
  }
  return sr::bench::Median(t);
}

// One core's seconds for the counted work (*presented: for the presented
// verifications instead, with the same hashes).
double Floor(const Work& w, sr::policy::Signer& p256, sr::policy::Signer& ed, double* presented,
             bool quiet = false) {
  const std::string msg(600, 'm');
  std::string s1 = Sig(p256, msg), s2 = Sig(ed, msg);
  std::string digest = sr::Sha256Bytes(msg);
  double ec = PerCall(2000, [&](int) {
    if (!p256.Public().VerifyDigest(digest, s1)) std::abort();
  });
  double edv = PerCall(2000, [&](int) {
    if (!ed.Public().Verify(msg, s2)) std::abort();
  });
  std::string block(1 << 20, 'h');
  double per_byte = PerCall(64, [&](int) { (void)sr::Sha256(block); }) / block.size();
  const std::string node(65, 'n');
  double per_node = PerCall(100000, [&](int) { (void)sr::Sha256(node); });
  if (!quiet)
    std::printf(
        "  floor units (one core)        : P-256 verify %.1f us, Ed25519 verify %.1f us, "
        "SHA-256 %.0f MiB/s, a tree node %.2f us\n",
        ec * 1e6, edv * 1e6, 1.0 / per_byte / (1 << 20), per_node * 1e6);
  const double tree = w.node_hashes * per_node;
  *presented = w.presented_ec256 * ec + w.presented_ed25519 * edv +
               (w.hash_bytes + w.presented_hash_bytes) * per_byte + tree;
  return w.ec256 * ec + w.ed25519 * edv + w.hash_bytes * per_byte + tree;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sr;
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const std::string binary = argc > 2 ? argv[2] : STRONGROOM_BINARY;
  const int arts = argc > 3 ? std::atoi(argv[3]) : 32;
  const std::uint64_t per_release = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 8;
  if (per_release < 2) {
    std::fprintf(stderr, "EVENTS_PER_RELEASE must be >= 2 (the intent and the SIGNING)\n");
    return 1;
  }
  bench::BenchDir dir;
  testing::KeyRing& keys = testing::Keys();
  Work work;
  // REPLAY_REUSE=DIR: the log, evidence and counts a BENCH_KEEP run left in
  // DIR, measured again without writing them (writing a million events takes
  // minutes and is not what is measured); REPLAY_GENERATE_ONLY=1 with
  // BENCH_KEEP=1 writes them and stops.
  const char* reuse = std::getenv("REPLAY_REUSE");
  const std::string root = reuse ? std::string(reuse) : dir.path();
  const std::string ldir = root + "/log", edir = root + "/evidence";
  if (reuse) {
    if (!ReadWork(root + "/work.txt", &work)) {
      std::fprintf(stderr, "bench: %s/work.txt is missing or unreadable\n", reuse);
      return 1;
    }
    std::printf("  log reused                    : %s (%llu events)\n", reuse,
                static_cast<unsigned long long>(work.node_hashes + 1));
  } else {
    if (!MakeDirs(edir, 0700).ok()) return 1;
    auto signer = log::Ed25519NoteSigner::Generate("strongroom.bench/audit");
    if (!signer.ok() || !log::LogWriter::Create(ldir, **signer).ok()) return 1;
    const std::string vkey = log::EncodeVerifierKey((*signer)->Name(), (*signer)->PublicKey());
    auto wr = log::LogWriter::Open(ldir, **signer);
    if (!wr.ok()) return 1;
    auto& w = **wr;
    auto put = [&](const std::string& bytes) {
      std::string name = Sha256Hex(bytes);
      std::string path = JoinPath(edir, name);
      if (!PathExists(path) && !WriteFileAtomic(path, bytes, 0444, false, false).ok()) std::abort();
      return name;
    };

    auto attest = testing::NewKey("ec256");
    const auto now = policy::Clock::now();
    // The clock moves on a second every 100 events: each event is judged at
    // its own time.
    auto time_of = [&](std::uint64_t k) {
      return google::protobuf::util::TimeUtil::ToString(
          testing::TsAt(now + std::chrono::seconds(k / 100)));
    };
    World world;
    world.ForStation(now, keys.signing->KeyId(), vkey);
    const std::string policy_env = world.Build().policy;
    auto loaded = policy::ParsePolicy(policy_env);
    if (!loaded.ok()) return 1;
    std::uint64_t events = 0;
    // Appended 1,000 at a time (one flush each: writing the log is not what
    // is measured), committed every 20,000.
    std::vector<v1::Event> pending;
    auto flush = [&] {
      if (!pending.empty() && !w.AppendMany(pending).ok()) std::abort();
      pending.clear();
    };
    auto append = [&](v1::Event e) {
      e.set_time(time_of(events));
      e.set_station_id("bench");
      work.hash_bytes += e.ByteSizeLong() + 1;  // the leaf hash
      pending.push_back(std::move(e));
      if (pending.size() >= 1000) flush();
      if (++events % 20000 == 0) {
        flush();
        if (!w.Commit().ok()) std::abort();
      }
    };
    for (auto* k : {keys.signing.get(), attest.get()}) {
      v1::Event e;
      e.set_kind(v1::EVENT_KIND_KEY_GENERATED);
      e.mutable_key_generated()->set_fingerprint(k->KeyId());
      e.mutable_key_generated()->set_public_key_pem(k->Public().pem());
      e.mutable_key_generated()->set_algorithm("ecdsa-p256");
      append(e);
    }
    {
      v1::Event e;
      e.set_kind(v1::EVENT_KIND_POLICY_INSTALLED);
      auto* p = e.mutable_policy_installed();
      p->set_policy_version(loaded->policy.version());
      p->set_policy_sha256(loaded->digest);
      p->set_envelope_sha256(put(policy_env));
      append(e);
      work.ec256 += 1;  // its governance signatures (one P-256, one Ed25519 key)
      work.ed25519 += 1;
      work.presented_ec256 += 1;
      work.presented_ed25519 += 1;
      work.hash_bytes += policy_env.size();
    }
    double t_gen = bench::Now();
    std::uint64_t releases = 0;
    std::string previous = "5.5.0";
    while (events + 2 <= n) {
      const std::string version = "5.6." + std::to_string(++releases);
      std::vector<policy::Artifact> artifacts;
      std::vector<std::string> contents;
      for (int a = 0; a < arts; ++a) {
        contents.push_back("release " + version + " artifact " + std::to_string(a));
        artifacts.push_back({"fw-" + std::to_string(a) + ".bin", Sha256Hex(contents.back())});
      }
      World r = world;
      r.ForRelease(artifacts, version, previous);
      policy::GateInputs g = r.Build();
      g.policy = policy_env;
      g.parsed_policy = &*loaded;
      policy::SigningRequest req = r.request;
      policy::LogFacts facts;
      facts.installed_policy_version = loaded->policy.version();
      facts.installed_policy_digest = loaded->digest;
      if (releases > 1) facts.last_signed_version = previous;
      policy::Decision d = policy::Evaluate(req, g, facts, now);
      if (!d.allowed()) {
        std::fprintf(stderr, "bench: the gate refuses release %s: %s\n", version.c_str(),
                     policy::FormatFailure(d.failures[0]).c_str());
        return 1;
      }
      const v1::SigningBindings& b = d.bindings;
      std::string approval = put(g.approval), provenance = put(g.provenance);
      std::vector<std::string> evidence;
      for (const auto& e : g.evidence) evidence.push_back(put(e));
      v1::UpdateManifest m;
      m.set_product(b.product());
      m.set_version(b.version());
      m.set_key_fingerprint(b.key_fingerprint());
      std::string manifest = release::ManifestPayload(artifacts, m);
      v1::VerificationSummary vs;
      vs.set_verification_result("PASSED");
      std::string vsa = release::VsaPayload(artifacts, vs);
      std::string mpae = policy::PreAuthEncoding(policy::kInTotoPayloadType, manifest);
      std::string vpae = policy::PreAuthEncoding(policy::kInTotoPayloadType, vsa);
      const std::uint64_t intent_index = w.size() + pending.size(),
                          signing_index = intent_index + 1;
      v1::Event ie;
      ie.set_kind(v1::EVENT_KIND_SIGNING_INTENT);
      auto* i = ie.mutable_signing_intent();
      proto::SetBoundFields(b, i);
      i->set_manifest_sha256(put(manifest));
      i->set_vsa_sha256(put(vsa));
      i->set_signing_index(signing_index);
      append(ie);
      v1::Event se;
      se.set_kind(v1::EVENT_KIND_SIGNING);
      auto* s = se.mutable_signing();
      proto::SetBoundFields(b, s);
      s->set_approval_sha256(approval);
      s->set_provenance_sha256(provenance);
      for (const auto& e : evidence) s->add_evidence_sha256(e);
      for (const auto& fp : b.approver_fingerprints()) s->add_approvers()->set_fingerprint(fp);
      s->set_builder_id(b.builder_id());
      s->set_manifest_sha256(i->manifest_sha256());
      s->set_vsa_sha256(i->vsa_sha256());
      s->set_intent_index(intent_index);
      s->set_attestation_key_fingerprint(attest->KeyId());
      s->set_key_public_key_pem(keys.signing->Public().pem());
      auto sig = [&](const std::string& role, const std::string& name, policy::Signer& k,
                     std::string_view msg) {
        auto* rec = s->add_signatures();
        rec->set_role(role);
        rec->set_artifact_name(name);
        rec->set_signature(Sig(k, msg));
        rec->set_signed_sha256(Sha256Hex(msg));
        rec->set_key_fingerprint(k.KeyId());
      };
      for (int a = 0; a < arts; ++a) sig("artifact", artifacts[a].name, *keys.signing, contents[a]);
      sig("manifest", "", *keys.signing, mpae);  // DSSE: over the PAE
      sig("vsa", "", *attest, vpae);
      append(se);
      work.ec256 += arts + 2;
      work.presented_ec256 += arts + 2;
      work.hash_bytes += manifest.size() + vsa.size() + mpae.size() + vpae.size();
      CountGate(g, true, work);
      // Refusals of this version again, until the next release.
      v1::Event re;
      re.set_kind(v1::EVENT_KIND_REFUSAL);
      auto* rf = re.mutable_refusal();
      rf->set_product(b.product());
      rf->set_version(b.version());
      rf->set_key_fingerprint(b.key_fingerprint());
      auto* reason = rf->add_reasons();
      reason->set_code("VERSION_NOT_ABOVE_LAST_SIGNED");
      reason->set_input("log");
      auto input = [&](const std::string& role, const std::string& name,
                       const std::string& digest) {
        auto* x = rf->add_inputs();
        x->set_role(role);
        x->set_name(name);
        x->set_sha256(digest);
      };
      input("policy", "current.json", Sha256Hex(policy_env));
      input("approval", "approval.dsse.json", approval);
      input("provenance", "provenance.dsse.json", provenance);
      for (std::size_t e = 0; e < evidence.size(); ++e)
        input("evidence[" + std::to_string(e) + "]", "evidence.dsse.json", evidence[e]);
      for (const auto& a : artifacts) input("artifact", a.name, a.sha256);
      for (std::uint64_t k = 2; k < per_release && events < n; ++k) {
        append(re);
        CountGate(g, false, work);
        work.presented_hash_bytes += policy_env.size();
      }
      previous = version;
    }
    flush();
    if (!w.Commit().ok()) return 1;
    wr->reset();
    work.node_hashes = events > 0 ? events - 1 : 0;
    if (!WriteFileAtomic(dir.path() + "/vkey", vkey + "\n").ok()) return 1;
    std::printf(
        "  log written                   : %llu events, %llu releases of %d artifacts, %llu "
        "refusals per release (%.1f%% of the events) (%.1f s)\n",
        static_cast<unsigned long long>(events), static_cast<unsigned long long>(releases), arts,
        static_cast<unsigned long long>(per_release - 2),
        100.0 * static_cast<double>(per_release - 2) / static_cast<double>(per_release),
        bench::Now() - t_gen);

    if (!WriteWork(dir.path() + "/work.txt", work)) return 1;
    if (std::getenv("REPLAY_GENERATE_ONLY")) {  // with BENCH_KEEP, for REPLAY_REUSE
      std::printf("  kept in                       : %s\n", dir.path().c_str());
      return 0;
    }
  }

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // The floor's units are timed just before and just after each replay,
  // and their mean is that replay's floor: a long replay on a shared
  // machine may run while the host is faster or slower than at either
  // moment alone. REPLAY_RUNS replays (default 1) give the median ratio.
  const char* runs_env = std::getenv("REPLAY_RUNS");
  const int runs = std::max(1, runs_env ? std::atoi(runs_env) : 1);
  double presented_prev = 0;
  // Untimed first: the first timings of a run came out up to 60% slower
  // than all later ones (72.9 us a P-256 verification, then 44.6-46.1).
  (void)Floor(work, *keys.signing, *keys.appr[1], &presented_prev, /*quiet=*/true);
  double floor_prev = Floor(work, *keys.signing, *keys.appr[1], &presented_prev);
  std::vector<double> ratios;
  long rss_max = 0;
  bool passed = true;
  for (int r = 0; r < runs; ++r) {
    long rss = 0;
    int status = 0;
    double cpu = 0;
    double wall = RunChild(
        {binary, "audit", "replay", "--log", ldir, "--evidence", edir, "--vkey", root + "/vkey"},
        &rss, &cpu, &status);
    double presented_after = 0;
    const double floor_after = Floor(work, *keys.signing, *keys.appr[1], &presented_after);
    const double floor1 = (floor_prev + floor_after) / 2;
    const double presented1 = (presented_prev + presented_after) / 2;
    std::printf("  floor before / after replay   : %8.2f s / %.2f s (their mean is the floor)\n",
                floor_prev, floor_after);
    floor_prev = floor_after;
    presented_prev = presented_after;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    passed = passed && ok;
    rss_max = std::max(rss_max, rss);
    ratios.push_back(wall / (floor1 / cores));
    std::printf(
        "  floor (one core)              : %8.2f s (%llu P-256 + %llu Ed25519 verifications,"
        " %.0f MiB hashed, %llu tree nodes)\n",
        floor1, static_cast<unsigned long long>(work.ec256),
        static_cast<unsigned long long>(work.ed25519), work.hash_bytes / 1048576.0,
        static_cast<unsigned long long>(work.node_hashes));
    std::printf(
        "  audit replay (%u cores)        : %8.2f s, %s; %.2f x floor / cores (target <= 1.5: "
        "%s)\n",
        cores, wall, ok ? "every check passed" : "FAILED (exit status)", ratios.back(),
        ratios.back() <= 1.5 ? "met" : "MISSED");
    std::printf(
        "  audit replay CPU time         : %8.2f s, %.2f x the floor (its overhead over the "
        "verifications and hashes; wall time above also depends on what else runs)\n",
        cpu, cpu / floor1);
    std::printf(
        "  for reference, the presented floor (every signature verified at every event that "
        "presents it: %llu P-256 + %llu Ed25519, the same hashes): %.2f s one core; replay wall "
        "%.2f x it / cores, CPU %.2f x it\n",
        static_cast<unsigned long long>(work.presented_ec256),
        static_cast<unsigned long long>(work.presented_ed25519), presented1,
        wall / (presented1 / cores), cpu / presented1);
    std::printf("  replay peak memory (maxrss)   : %8.1f MiB (limit 128 MiB: %s)\n", rss / 1024.0,
                rss <= 128 * 1024 ? "met" : "MISSED");
  }
  const double ratio = sr::bench::Median(ratios);
  if (runs > 1) {
    std::string each;
    for (double x : ratios) {
      char one[16];
      std::snprintf(one, sizeof one, "%s%.2f", each.empty() ? "" : " ", x);
      each += one;
    }
    std::printf(
        "  median of %d replays          : %8.2f x floor / cores (target <= 1.5: %s; each: %s)\n",
        runs, ratio, ratio <= 1.5 ? "met" : "MISSED", each.c_str());
  }
  if (!passed) return 1;
  return ratio <= 1.5 && rss_max <= 128 * 1024 ? 0 : 2;
}
