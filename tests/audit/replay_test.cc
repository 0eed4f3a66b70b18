// `strongroom audit replay` against a real station (signings in a batch and
// alone, refusals that can and cannot be re-run), and against logs forged
// through the log library with a log key (so the tree and checkpoint verify):
// an altered evidence object, a SIGNING without its intent, a wrong recorded
// signature, and a SIGNING the policy in force would have refused. Each
// failure must name the event index, the check and the evidence digest.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "audit/evidence.h"
#include "audit/evidence_prefetch.h"
#include "audit/signature_cache.h"
#include "base/file.h"
#include "base/hash.h"
#include "log/note.h"
#include "log/writer.h"
#include "policy/dsse.h"
#include "policy/signature_memo.h"
#include "tests/testing/audit_replay.h"
#include "tests/testing/files.h"
#include "tests/testing/relog.h"
#include "tests/testing/sign_helpers.h"
#include "tests/testing/sign_station.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {
namespace {

namespace v1 = strongroom::v1;
using Json = nlohmann::json;

// One station shared by every case (creating one costs seconds): the policy
// installed; a batch of 5.4.3 (signed), 5.4.4 (refused: one approver) and
// 5.4.5 (signed); then 5.4.6 signed alone; 5.4.6 again (refused: already
// signed); and 5.4.7 without its approval file (refused: not re-runnable).
struct History {
  SignStation st;
  std::uint64_t signing_546 = 0, intent_546 = 0;
  std::string approval_546;  // sha256 of its approval envelope

  History() {
    CmdResult inst = st.InstallPolicy(st.Scenario());
    REQUIRE_MESSAGE(inst.rc == 0, inst.all());
    std::string batch = "{\"releases\":[";
    for (auto [v, prev] : {std::pair{"5.4.3", "5.4.2"}, {"5.4.4", "5.4.3"}, {"5.4.5", "5.4.4"}}) {
      World w = st.Scenario();
      ForVersion(w, v, prev);
      if (std::string(v) == "5.4.4") w.approval_signers = {Keys().appr[0].get()};
      st.Write(w, std::string("batch/") + v);
      std::string s(v);
      batch += std::string(s == "5.4.3" ? "" : ",") + "{\"product\":\"IC-22\",\"version\":\"" + s +
               "\",\"artifacts\":[\"" + s + "/ic22-fw-" + s + ".bin\",\"" + s + "/ic22-fw-" + s +
               ".manifest\"],\"approval\":\"" + s + "/approval.dsse.json\",\"provenance\":\"" + s +
               "/provenance.dsse.json\",\"evidence\":[\"" + s + "/evidence0.dsse.json\"]}";
    }
    WriteAll(st.root + "/batch/batch.json", batch + "]}");
    CmdResult b = st.Sr("sign --station " + st.station + " --key " + st.key_label + " --batch " +
                        st.root + "/batch/batch.json --out " + st.root + "/releases" + st.Pins());
    REQUIRE_MESSAGE(b.rc == 1, b.all());  // 5.4.4 refused

    World w = st.Scenario();
    ForVersion(w, "5.4.6", "5.4.5");
    Inputs in = st.Write(w, "r546");
    CmdResult s = st.Sign(in, "out546", "", "IC-22", "5.4.6");
    REQUIRE_MESSAGE(s.rc == 0, s.all());
    CmdResult again = st.Sign(in, "out546b", "", "IC-22", "5.4.6");
    REQUIRE_MESSAGE(again.rc == 1, again.all());
    approval_546 = FileSha(in.approval);

    World w7 = st.Scenario();
    ForVersion(w7, "5.4.7", "5.4.6");
    Inputs in7 = st.Write(w7, "r547");
    in7.approval = st.root + "/r547/no-such-approval.json";
    CmdResult missing = st.Sign(in7, "out547", "", "IC-22", "5.4.7");
    REQUIRE_MESSAGE(missing.rc != 0, missing.all());

    auto evs = st.Events();
    for (std::size_t i = 0; i < evs.size(); ++i)
      if (evs[i].kind() == v1::EVENT_KIND_SIGNING && evs[i].signing().version() == "5.4.6") {
        signing_546 = i;
        intent_546 = evs[i].signing().intent_index();
      }
    REQUIRE(signing_546 != 0);
  }
};

History& Shared() {
  static History h;
  return h;
}

TEST_CASE("audit replay: a station's signings and refusals are all justified (exit 0)") {
  History& h = Shared();
  SignStation& st = h.st;
  Replayed p = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence",
                      " --policies " + st.station + "/policy");
  INFO(p.r.all());
  CHECK(p.r.rc == 0);
  CHECK(p.j["ok"] == true);
  CHECK(p.j["failure_count"] == 0);
  // 5.4.3, 5.4.5 (batch) and 5.4.6 re-judged by the gate and matched to their intents.
  CHECK(p.j["checks"]["gate"]["passed"] == 3);
  CHECK(p.j["checks"]["intent"]["passed"] == 3);
  CHECK(p.j["checks"]["policy-chain"]["passed"] == 1);
  // 5.4.4 (one approver) and 5.4.6 again (already signed) refused again for
  // the same reasons; 5.4.7 (a missing file) is not re-runnable.
  CHECK(p.j["checks"]["refusal"]["passed"] == 2);
  CHECK(p.j["not_rerunnable_count"] == 1);
  CHECK(p.j["not_rerunnable"][0]["reason"].get<std::string>().find("INPUT_MISSING") !=
        std::string::npos);
  // Two artifacts, the manifest and the VSA of each of the three releases.
  CHECK(p.j["signatures_verified"] == 12);
  // The policy's signatures are verified at its installation, and that
  // result reused by every gate re-run.
  CHECK(p.j["envelopes_verified"].get<std::uint64_t>() > 0);
  CHECK(p.j["envelopes_reused"].get<std::uint64_t>() > 0);

  // The human summary names every check, and the policy is found in the
  // evidence store alone too.
  CmdResult text = st.Sr("audit replay --log " + st.station + "/log --vkey " + st.root +
                         "/log.vkey --evidence " + st.station + "/evidence");
  CHECK_MESSAGE(text.rc == 0, text.all());
  CHECK(text.out.find("ok      gate: 3 passed, 0 failed") != std::string::npos);
  CHECK(text.out.find("not re-runnable: INPUT_MISSING") != std::string::npos);
}

TEST_CASE("audit replay: an altered evidence object fails, naming the event and the digest") {
  History& h = Shared();
  SignStation& st = h.st;
  std::string ev = st.root + "/evidence-altered";
  std::filesystem::remove_all(ev);
  CopyDir(st.station + "/evidence", ev);
  std::string obj = ev + "/" + h.approval_546;
  REQUIRE(::chmod(obj.c_str(), 0644) == 0);
  std::string text = ReadAll(obj);
  text[text.size() / 2] ^= 1;
  WriteAll(obj, text, 0644);
  // Two more refused retries of 5.4.6 presenting it: replay keeps the
  // outcome of each object's check (audit/evidence.h), and the altered
  // object must still fail at every event that presents it, not only at the
  // first.
  auto evs = st.Events();
  const std::uint64_t n = evs.size();
  std::uint64_t refusal_546 = 0;
  for (std::uint64_t i = 0; i < n; ++i)
    if (evs[i].kind() == v1::EVENT_KIND_REFUSAL && evs[i].refusal().version() == "5.4.6")
      refusal_546 = i;
  REQUIRE(refusal_546 > h.signing_546);
  std::string dir = Relog(st, "log-retries", [](std::uint64_t, v1::Event&) {},
                          {evs[refusal_546], evs[refusal_546]});
  for (const std::string& log : {st.station + "/log", dir}) {
    CAPTURE(log);
    Replayed p = Replay(st, log, log == dir ? dir + ".vkey" : st.root + "/log.vkey", ev);
    INFO(p.r.all());
    CHECK(p.r.rc == 1);
    CHECK(p.j["ok"] == false);
    // The SIGNING of 5.4.6 and each refusal of 5.4.6 again rest on it.
    auto f = Failures(p.j);
    CHECK(f.count({h.signing_546, "evidence", h.approval_546}) == 1);
    CHECK(f.count({refusal_546, "evidence", h.approval_546}) == 1);
    if (log == dir) {
      CHECK(f.count({n, "evidence", h.approval_546}) == 1);
      CHECK(f.count({n + 1, "evidence", h.approval_546}) == 1);
    }
    for (const auto& [index, check, digest] : f) {
      CHECK(check == "evidence");
      CHECK(digest == h.approval_546);
    }
  }
}

TEST_CASE("audit replay: a worker's memo answers only for the very same envelope and keys") {
  policy::Envelope env{"application/vnd.in-toto+json", "{\"the\":\"payload\"}", {}, false};
  REQUIRE(policy::AddSignature(&env, *Keys().appr[0]).ok());
  const std::vector<policy::PublicKey> one = {Keys().appr[0]->Public()};
  const std::vector<policy::PublicKey> two = {Keys().appr[0]->Public(), Keys().appr[1]->Public()};
  audit::SignatureCache shared;
  audit::WorkerSignatureMemo mine(shared);
  policy::ScopedSignatureMemo scope(&mine);
  CHECK(policy::VerifySignatures(env, one).accepted.size() == 1);
  CHECK(shared.misses() == 1);
  CHECK(policy::VerifySignatures(env, one).accepted.size() == 1);
  CHECK(shared.hits() == 1);  // the exact look-up, before any key is hashed
  // One byte of the payload, or of the signature, or another key set:
  // verified afresh, and the altered ones refused.
  policy::Envelope payload = env;
  payload.payload[3] ^= 1;
  CHECK(policy::VerifySignatures(payload, one).invalid == 1);
  policy::Envelope sig = env;
  sig.signatures[0].sig[5] ^= 1;
  CHECK(policy::VerifySignatures(sig, one).invalid == 1);
  CHECK(policy::VerifySignatures(env, two).accepted.size() == 1);
  CHECK(shared.misses() == 4);
  CHECK(shared.hits() == 1);
  // Another worker finds them in the shared cache.
  audit::WorkerSignatureMemo other(shared);
  policy::ScopedSignatureMemo there(&other);
  CHECK(policy::VerifySignatures(payload, one).invalid == 1);
  CHECK(shared.hits() == 2);
  CHECK(shared.misses() == 4);
}

// An evidence store of loose objects in a temporary directory.
struct Store {
  TempDir tmp;
  std::string dir = tmp.path() + "/evidence";
  Store() { REQUIRE(MakeDirs(dir, 0700).ok()); }
  // Stores bytes under their SHA-256 hex; returns the name.
  std::string Put(const std::string& bytes) {
    std::string name = Sha256Hex(bytes);
    WriteAll(dir + "/" + name, bytes, 0644);
    return name;
  }
};

TEST_CASE("audit replay: the evidence reader keeps what it checked, failures included, bounded") {
  Store store;
  const std::string& dir = store.dir;
  const std::string a = store.Put(std::string(3000, 'a')), b = store.Put(std::string(3000, 'b'));
  const std::string missing = Sha256Hex("never stored");
  // A budget of two objects a generation.
  audit::EvidenceDir ev(dir, 2 * 2 * (3000 + 64 + 128));
  bool read = false;
  auto first = ev.GetShared(a, &read);
  REQUIRE(first.ok());
  CHECK(read);
  auto again = ev.GetShared(a, &read);
  REQUIRE(again.ok());
  CHECK(!read);
  CHECK(again->get() == first->get());
  CHECK(ev.reads() == 1);
  CHECK(ev.reused() == 1);
  // A missing object stays missing, with the same message, without a read.
  auto m1 = ev.GetShared(missing, &read);
  CHECK(read);
  auto m2 = ev.GetShared(missing, &read);
  CHECK(!read);
  REQUIRE(!m1.ok());
  REQUIRE(!m2.ok());
  CHECK(m2.status().code() == Code::kNotFound);
  CHECK(m1.status().message() == m2.status().message());
  // Past the budget the oldest generation goes; an object dropped is read
  // and checked again, and an object altered since is then refused.
  for (int i = 0; i < 8; ++i)
    REQUIRE(ev.GetShared(store.Put(std::string(3000, char('c' + i)))).ok());
  REQUIRE(ev.GetShared(b).ok());
  std::string path = dir + "/" + a;
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  WriteAll(path, std::string(2999, 'a') + "x", 0644);
  auto dropped = ev.GetShared(a, &read);
  CHECK(read);
  REQUIRE(!dropped.ok());
  CHECK(dropped.status().code() == Code::kDataLoss);
  CHECK(dropped.status().message().find("altered") != std::string::npos);
  // And a name that is not a digest is refused before any look-up.
  CHECK(ev.GetShared("../etc/passwd").status().code() == Code::kInvalidArgument);
}

// Reading ahead changes nothing Get answers: what it reads is checked as
// what Get reads itself, and what it must not read (a FIFO with a writer,
// which a read would wait on; a link; a directory; an object above its
// bound) it leaves to Get, which reports it as without read-ahead.
TEST_CASE("audit replay: objects read ahead are checked, and odd files are left to the reader") {
  Store store;
  const std::string& dir = store.dir;
  std::vector<std::string> good;
  for (int i = 0; i < 70; ++i)
    good.push_back(store.Put("object " + std::to_string(i) + std::string(900, 'x')));
  const std::string large = store.Put(std::string(audit::EvidencePrefetcher::kMaxObject + 1, 'L'));
  const std::string altered = Sha256Hex("what was stored");
  WriteAll(dir + "/" + altered, "what is there now", 0644);
  const std::string fifo = Sha256Hex("a fifo"), link = Sha256Hex("a link"),
                    subdir = Sha256Hex("a directory"), missing = Sha256Hex("never stored");
  REQUIRE(::mkfifo((dir + "/" + fifo).c_str(), 0600) == 0);
  // A writer holds the FIFO open with nothing written: a read would wait.
  UniqueFd writer(::open((dir + "/" + fifo).c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  REQUIRE(writer.valid());
  REQUIRE(::symlink(good[0].c_str(), (dir + "/" + link).c_str()) == 0);
  REQUIRE(MakeDirs(dir + "/" + subdir, 0700).ok());

  std::vector<std::string> odd = {large, altered, fifo, link, subdir, missing};
  std::vector<std::string> all = good;
  all.insert(all.end(), odd.begin(), odd.end());

  SUBCASE("the prefetcher stages regular files within its bound, and only those") {
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    audit::EvidencePrefetcher pf(dfd.get(), 1u << 20);
    if (!pf.running()) {
      MESSAGE("io_uring is not available here: nothing is read ahead");
      return;
    }
    pf.Want(all);
    // 70 good objects and the altered one (a regular file: its bytes are
    // staged, unchecked; EvidenceDir checks them).
    for (int i = 0; i < 1000 && pf.staged() < 71; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(pf.staged() == 71);
    for (const std::string& g : good) {
      auto b = pf.Take(g);
      REQUIRE(b.has_value());
      CHECK(Sha256Hex(*b) == g);
    }
    CHECK(pf.Take(altered) == std::optional<std::string>("what is there now"));
    for (const std::string& o : {large, fifo, link, subdir, missing})
      CHECK(!pf.Take(o).has_value());
    CHECK(!pf.Take(good[0]).has_value());  // taken once
    CHECK(pf.taken() == 71);
  }

  SUBCASE("staged bytes stay within the budget: the oldest go first") {
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    audit::EvidencePrefetcher pf(dfd.get(), 3 * 909);  // "object NN" and 900 x: 909 bytes
    if (!pf.running()) return;
    for (const std::string& g : good) pf.Want({g});
    for (int i = 0; i < 1000 && pf.staged() < good.size(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(pf.staged() == good.size());
    CHECK(pf.Take(good.back()).has_value());  // the newest was kept
    std::size_t kept = 1;
    for (const std::string& g : good) kept += pf.Take(g).has_value();
    CHECK(kept <= 3);
  }

  SUBCASE("EvidenceDir answers the same with read-ahead as without") {
    audit::EvidenceDir plain(dir), ahead(dir, 1u << 20, /*prefetch=*/true);
    ahead.Prefetch(all);
    // Everything read ahead before any Get: the altered object's bytes are
    // staged, and Get must still refuse them.
    for (int i = 0; i < 1000 && ahead.prefetching() && ahead.prefetch_staged() < 71; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const std::string& n : all) {
      auto x = plain.Get(n);
      auto y = ahead.Get(n);
      CAPTURE(n);
      REQUIRE(x.ok() == y.ok());
      if (x.ok()) {
        CHECK(*x == *y);
      } else {
        CHECK(x.status().code() == y.status().code());
        CHECK(x.status().message() == y.status().message());
      }
    }
    CHECK(plain.Get(altered).status().code() == Code::kDataLoss);
    CHECK(plain.Get(fifo).status().code() == Code::kInvalidArgument);
    if (ahead.prefetching()) {
      CHECK(ahead.prefetch_staged() == 71);
      CHECK(ahead.prefetched() == 70);  // the altered object's bytes were refused
    }
  }
}

TEST_CASE("audit replay: a SIGNING event without its SIGNING_INTENT fails at that event") {
  History& h = Shared();
  SignStation& st = h.st;
  std::string dir = Relog(st, "log-no-intent", [&](std::uint64_t i, v1::Event& e) {
    if (i != h.intent_546) return;
    std::string time = e.time();
    e.Clear();
    e.set_kind(v1::EVENT_KIND_EXCEPTION_RECORDED);
    e.set_time(time);
    e.mutable_exception_recorded()->set_summary("the intent was here");
  });
  Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  auto f = Failures(p.j);
  REQUIRE(f.size() == 1);
  CHECK(std::get<0>(*f.begin()) == h.signing_546);
  CHECK(std::get<1>(*f.begin()) == "intent");
  CHECK(std::get<2>(*f.begin()) == st.Events()[h.signing_546].signing().manifest_sha256());
}

TEST_CASE("audit replay: a wrong recorded signature fails at its event, naming what it signs") {
  History& h = Shared();
  SignStation& st = h.st;
  std::string signed_sha;
  std::string dir = Relog(st, "log-bad-sig", [&](std::uint64_t i, v1::Event& e) {
    if (i != h.signing_546) return;
    for (auto& r : *e.mutable_signing()->mutable_signatures()) {
      if (r.role() != "manifest") continue;
      std::string sig = r.signature();
      sig[sig.size() / 2] ^= 0x40;
      r.set_signature(sig);
      signed_sha = r.signed_sha256();
    }
  });
  REQUIRE(!signed_sha.empty());
  Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  auto f = Failures(p.j);
  REQUIRE(f.size() == 1);
  CHECK(*f.begin() == std::tuple<std::uint64_t, std::string, std::string>{h.signing_546,
                                                                          "signature", signed_sha});
}

TEST_CASE("audit replay: a SIGNING the policy in force would have refused fails the gate check") {
  History& h = Shared();
  SignStation& st = h.st;
  // 5.4.6's intent and SIGNING again, claiming version 5.4.8: its approval
  // is for 5.4.6, so the gate re-run refuses it.
  auto evs = st.Events();
  const std::uint64_t n = evs.size();
  v1::Event intent = evs[h.intent_546], signing = evs[h.signing_546];
  intent.mutable_signing_intent()->set_version("5.4.8");
  intent.mutable_signing_intent()->set_signing_index(n + 1);
  signing.mutable_signing()->set_version("5.4.8");
  signing.mutable_signing()->set_intent_index(n);
  std::string dir =
      Relog(st, "log-forged-signing", [](std::uint64_t, v1::Event&) {}, {intent, signing});
  Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  auto f = Failures(p.j);
  REQUIRE(f.size() == 1);
  CHECK(*f.begin() ==
        std::tuple<std::uint64_t, std::string, std::string>{n + 1, "gate", h.approval_546});
  CHECK(p.j["failures"][0]["message"].get<std::string>().find("APPROVAL_VERSION_MISMATCH") !=
        std::string::npos);
}

TEST_CASE(
    "audit replay: a key that signs after its revocation, and a policy that goes back, fail") {
  History& h = Shared();
  SignStation& st = h.st;
  auto evs = st.Events();
  const std::uint64_t n = evs.size();
  // The release key revoked, then 5.4.6's intent and SIGNING again as 5.4.8.
  v1::Event revoked;
  revoked.set_kind(v1::EVENT_KIND_KEY_REVOKED);
  revoked.set_time(evs[h.signing_546].time());
  revoked.mutable_key_revoked()->set_key_label(st.key_label);
  revoked.mutable_key_revoked()->set_fingerprint(st.key_fingerprint);
  revoked.mutable_key_revoked()->set_reason("laptop stolen");
  v1::Event intent = evs[h.intent_546], signing = evs[h.signing_546];
  intent.mutable_signing_intent()->set_version("5.4.8");
  intent.mutable_signing_intent()->set_signing_index(n + 2);
  signing.mutable_signing()->set_version("5.4.8");
  signing.mutable_signing()->set_intent_index(n + 1);
  // The installed policy recorded again, as if it followed itself.
  v1::Event again;
  for (const auto& e : evs)
    if (e.kind() == v1::EVENT_KIND_POLICY_INSTALLED) again = e;
  std::string dir =
      Relog(st, "log-revoked", [](std::uint64_t, v1::Event&) {}, {revoked, intent, signing, again});
  Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  auto f = Failures(p.j);
  CHECK(f.count({n + 2, "key-ended", st.key_fingerprint}) == 1);
  CHECK(f.count({n + 2, "gate", h.approval_546}) == 1);
  bool chain = false;
  for (const auto& [index, check, digest] : f) chain |= index == n + 3 && check == "policy-chain";
  CHECK(chain);
  CHECK(p.j["checks"]["policy-chain"]["passed"] == 1);
}

TEST_CASE(
    "audit replay: an approval verified at one event and presented altered at a later one fails "
    "there") {
  History& h = Shared();
  SignStation& st = h.st;
  auto evs = st.Events();
  // The evidence store, and in it a copy of 5.4.6's approval with one byte of
  // a signature changed (the same payload), stored under its own digest.
  std::string ev = st.root + "/evidence-memo";
  std::filesystem::remove_all(ev);
  CopyDir(st.station + "/evidence", ev);
  Json env = Json::parse(ReadAll(ev + "/" + h.approval_546));
  std::string sig = env["signatures"][0]["sig"];
  sig[sig.size() / 2] = sig[sig.size() / 2] == 'A' ? 'B' : 'A';
  env["signatures"][0]["sig"] = sig;
  const std::string altered_text = env.dump(2);
  const std::string altered = Sha256Hex(altered_text);
  WriteAll(ev + "/" + altered, altered_text, 0444);
  // Before 5.4.6's SIGNING, a refusal that presents its intact approval
  // with one artifact fewer (refused: the approval names another set), so
  // the replay verifies the approval there first; then the SIGNING names
  // the altered copy.
  v1::Event refusal;
  for (const auto& e : evs)
    if (e.kind() == v1::EVENT_KIND_REFUSAL && e.refusal().version() == "5.4.6") refusal = e;
  auto* inputs = refusal.mutable_refusal()->mutable_inputs();
  for (int k = inputs->size() - 1; k >= 0; --k)
    if ((*inputs)[k].role() == "artifact") {
      inputs->DeleteSubrange(k, 1);
      break;
    }
  refusal.set_time(evs[h.intent_546].time());
  refusal.mutable_refusal()->clear_reasons();
  auto* reason = refusal.mutable_refusal()->add_reasons();
  reason->set_code("APPROVAL_SUBJECT_MISMATCH");
  reason->set_input("approval");
  const std::uint64_t signing = h.signing_546 + 1;
  std::string dir = st.root + "/log-memo";
  auto made = log::Ed25519NoteSigner::Generate("strongroom.test/log-memo");
  REQUIRE(made.ok());
  REQUIRE(log::LogWriter::Create(dir, **made).ok());
  auto w = log::LogWriter::Open(dir, **made);
  REQUIRE(w.ok());
  for (std::size_t i = 0; i < evs.size(); ++i) {
    if (i == h.intent_546) evs[i].mutable_signing_intent()->set_signing_index(signing);
    if (i == h.signing_546) {
      REQUIRE((*w)->Append(refusal).ok());
      evs[i].mutable_signing()->set_approval_sha256(altered);
    }
    REQUIRE((*w)->Append(evs[i]).ok());
  }
  REQUIRE((*w)->Commit().ok());
  w->reset();
  WriteAll(dir + ".vkey", log::EncodeVerifierKey((*made)->Name(), (*made)->PublicKey()) + "\n");

  Replayed p = Replay(st, dir, dir + ".vkey", ev);
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  // The refusal is judged again with the intact approval and passes; the
  // SIGNING fails the gate, naming the altered copy, although an approval
  // with the same payload verified two events before.
  auto f = Failures(p.j);
  REQUIRE(f.size() == 1);
  CHECK(*f.begin() ==
        std::tuple<std::uint64_t, std::string, std::string>{signing, "gate", altered});
  CHECK(p.j["failures"][0]["message"].get<std::string>().find("APPROVAL_SIGNATURE_INVALID") !=
        std::string::npos);
  CHECK(p.j["checks"]["refusal"]["passed"] == 3);
  CHECK(p.j["envelopes_reused"].get<std::uint64_t>() > 0);
}

TEST_CASE("audit replay: a refusal logged for \"already signed\" of a version never signed fails") {
  History& h = Shared();
  SignStation& st = h.st;
  auto evs = st.Events();
  const std::uint64_t n = evs.size();
  v1::Event refusal;
  for (const auto& e : evs)
    if (e.kind() == v1::EVENT_KIND_REFUSAL && e.refusal().version() == "5.4.6") refusal = e;
  REQUIRE(refusal.refusal().reasons(0).code() == "VERSION_NOT_ABOVE_LAST_SIGNED");
  refusal.mutable_refusal()->set_version("5.4.9");
  std::string dir = Relog(st, "log-false-refusal", [](std::uint64_t, v1::Event&) {}, {refusal});
  Replayed p = Replay(st, dir, dir + ".vkey", st.station + "/evidence");
  INFO(p.r.all());
  CHECK(p.r.rc == 1);
  auto f = Failures(p.j);
  REQUIRE(f.size() == 1);
  CHECK(std::get<0>(*f.begin()) == n);
  CHECK(std::get<1>(*f.begin()) == "refusal");
  CHECK(p.j["failures"][0]["message"].get<std::string>().find("VERSION_NOT_ABOVE_LAST_SIGNED") !=
        std::string::npos);
}

TEST_CASE("audit replay: a log that does not verify exits 6, and --since checks only what is new") {
  History& h = Shared();
  SignStation& st = h.st;
  // The station's own log under another log key: the checkpoint fails.
  std::string dir = Relog(st, "log-other-key", [](std::uint64_t, v1::Event&) {});
  Replayed bad = Replay(st, st.station + "/log", dir + ".vkey", st.station + "/evidence");
  CHECK_MESSAGE(bad.r.rc == 6, bad.r.all());
  CHECK(Failures(bad.j).size() == 1);
  CHECK(std::get<1>(*Failures(bad.j).begin()) == "log");

  std::string cp = st.root + "/kept-checkpoint";
  WriteAll(cp, ReadAll(st.station + "/log/checkpoint"));
  Replayed since = Replay(st, st.station + "/log", st.root + "/log.vkey", st.station + "/evidence",
                          " --since " + cp);
  INFO(since.r.all());
  CHECK(since.r.rc == 0);
  CHECK(since.j["from_index"] == st.Events().size());
  CHECK(since.j["checks"].count("gate") == 0);
  (void)h;
}

}  // namespace
}  // namespace sr::testing
