// Signing-session benchmark: strongroom's hsm::Session::Sign (one session,
// one FindKey, then one Sign per artifact, as `sign` will do) against the raw
// in-process SoftHSMv2 rate (C_SignInit + C_Sign straight on the function
// list), both measured in the same run on the same fresh token. Prints the
// ratio; the product bar is >= 50 %.
//
// Usage: hsm_sign_bench [signatures, default 1000]
#include <p11-kit/pkcs11.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/file.h"
#include "bench/raw_sign.h"
#include "hsm/module.h"
#include "hsm/session.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const sr::Status& s) {
  std::fprintf(stderr, "hsm_sign_bench: %s\n", s.message().c_str());
  std::exit(1);
}

// Raw baseline (bench/raw_sign.h): what a hand-written PKCS#11 loop does.
double RawRate(sr::hsm::Module& m, unsigned long slot, const sr::hsm::KeyHandle& k, int n) {
  auto r = sr::bench::RawSignRate(m, slot, k, n);
  if (!r.ok()) Die(r.status());
  return *r;
}

double OurRate(sr::hsm::Session& s, const sr::hsm::KeyHandle& k, int n) {
  std::string msg(32, '\x01');
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    msg[0] = static_cast<char>(i);
    auto sig = s.Sign(k, msg);
    if (!sig.ok()) Die(sig.status());
  }
  return n / Seconds(t0, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  char tmpl[] = "/tmp/sr-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die(sr::Internal("mkdtemp failed"));
  std::string dir = tmpl;
  if (!sr::MakeDirs(dir + "/tokens").ok()) Die(sr::Internal("mkdir failed"));
  sr::Status w =
      sr::WriteFileAtomic(dir + "/softhsm2.conf", "directories.tokendir = " + dir + "/tokens\n");
  if (!w.ok()) Die(w);
  ::setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
  auto m = sr::hsm::Module::Load(std::string(sr::hsm::kSoftHsmModulePath));
  if (!m.ok()) Die(m.status());
  sr::SecretBytes so = {'b', 'e', 'n', 'c', 'h', '-', 's', 'o'};
  sr::SecretBytes pin = {'b', 'e', 'n', 'c', 'h', '-', 'u', 's'};
  auto t = (*m)->InitToken("bench", so, pin);
  if (!t.ok()) Die(t.status());
  auto s = sr::hsm::Session::Open(*m, *t, &pin);
  if (!s.ok()) Die(s.status());
  std::printf("%-12s %12s %12s %8s   (%d signatures each, same token, same run)\n", "algorithm",
              "raw C_Sign/s", "Session/s", "ratio", n);
  for (auto alg : {sr::hsm::Algorithm::kEcdsaP256, sr::hsm::Algorithm::kEd25519}) {
    std::string label(sr::hsm::AlgorithmName(alg));
    if (auto g = (*s)->GenerateKey(label, alg); !g.ok()) Die(g.status());
    auto k = (*s)->FindKey(label);
    if (!k.ok()) Die(k.status());
    RawRate(**m, t->slot, *k, n / 10 + 1);  // warm-up
    double raw = RawRate(**m, t->slot, *k, n);
    double ours = OurRate(**s, *k, n);
    std::printf("%-12s %12.0f %12.0f %7.0f%%\n", label.c_str(), raw, ours, 100.0 * ours / raw);
  }
  s.value().reset();  // close the session and unload the module before
  m.value().reset();  // removing the token folder
  std::filesystem::remove_all(dir);
  return 0;
}
