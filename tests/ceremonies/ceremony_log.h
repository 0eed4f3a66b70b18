// A real log holding a key-rotation ceremony (as the runner writes it: every
// event with session_id = the ceremony id), one event of another ceremony and
// one event of no ceremony, for the transcript tests. Names include hostile
// ones (markup, quotes) that every rendering must show as text.
#ifndef STRONGROOM_TESTS_CEREMONIES_CEREMONY_LOG_H_
#define STRONGROOM_TESTS_CEREMONIES_CEREMONY_LOG_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/file.h"
#include "log/note.h"
#include "log/writer.h"
#include "proto/event.pb.h"
#include "tests/testing/files.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {

inline const std::string kCeremonyId = "kr-2026-12";
inline const std::string kHostileName = "Eve <script>document.title='pwned'</script> \"q\"";
inline const std::string kHostileOperator = "<img src=x onerror=alert(1)> Mallory";
inline const std::string kAliceFp = std::string(64, 'a');
inline const std::string kEveFp = std::string(64, 'e');
inline const std::string kOutputSha = std::string(64, '7');

inline strongroom::v1::Participant MakeParticipant(const std::string& name, const std::string& role,
                                                   const std::string& fp) {
  strongroom::v1::Participant p;
  p.set_name(name);
  p.set_role(role);
  p.set_key_fingerprint(fp);
  p.set_challenge_sha256(std::string(64, 'c'));
  return p;
}

// Index: 0 KEY_GENERATED (no ceremony), 1 CEREMONY_STARTED, 2 step 1 (ok,
// one output, confirmed), 3 KEY_GENERATED (by step 1), 4 CEREMONY_STARTED of
// "other-ceremony", 5 CEREMONY_EXCEPTION (step 2), 6 step 2 (failed, exit 5),
// 7 CEREMONY_COMPLETED (aborted).
inline std::vector<strongroom::v1::Event> CeremonyEvents() {
  using namespace strongroom::v1;
  auto base = [](EventKind kind, const std::string& session) {
    Event ev;
    ev.set_kind(kind);
    ev.set_station_id("station-ic22");
    ev.set_time("2026-12-06T09:00:00Z");
    ev.set_session_id(session);
    return ev;
  };
  std::vector<Event> out;
  Event k0 = base(EVENT_KIND_KEY_GENERATED, "");
  k0.mutable_key_generated()->set_key_label("unrelated-key");
  out.push_back(k0);

  Event st = base(EVENT_KIND_CEREMONY_STARTED, kCeremonyId);
  *st.add_participants() = MakeParticipant("Alice Admin", "ceremony-administrator", kAliceFp);
  *st.add_participants() = MakeParticipant(kHostileName, "internal-witness", kEveFp);
  st.add_operators(kHostileOperator);
  auto* s = st.mutable_ceremony_started();
  s->set_ceremony_id(kCeremonyId);
  s->set_kind("key-rotation");
  s->set_definition_name("IC-22 release key rotation");
  s->set_definition_sha256(std::string(64, 'd'));
  s->set_approval_sha256(std::string(64, 'b'));
  s->add_approver_fingerprints(std::string(64, 'f'));
  s->set_nonce("00112233445566778899aabbccddeeff");
  out.push_back(st);

  Event s1 = base(EVENT_KIND_CEREMONY_STEP, kCeremonyId);
  s1.add_operators(kHostileOperator);
  auto* p1 = s1.mutable_ceremony_step();
  p1->set_ceremony(kCeremonyId);
  p1->set_step(1);
  p1->set_step_name("generate the new release key");
  p1->set_action("key generate --label ic22-release-2027 --algorithm ecdsa-p256");
  p1->set_exit_code(0);
  p1->set_outcome("completed");
  auto* o = p1->add_outputs();
  o->set_role("public-key");
  o->set_name("ic22-release-2027.pub");
  o->set_sha256(kOutputSha);
  *p1->add_confirmations() = MakeParticipant(kHostileName, "internal-witness", kEveFp);
  out.push_back(s1);

  Event k3 = base(EVENT_KIND_KEY_GENERATED, kCeremonyId);
  k3.mutable_key_generated()->set_key_label("ic22-release-2027");
  k3.mutable_key_generated()->set_algorithm("ecdsa-p256");
  out.push_back(k3);

  Event other = base(EVENT_KIND_CEREMONY_STARTED, "other-ceremony");
  other.mutable_ceremony_started()->set_ceremony_id("other-ceremony");
  out.push_back(other);

  Event ex = base(EVENT_KIND_CEREMONY_EXCEPTION, kCeremonyId);
  auto* x = ex.mutable_ceremony_exception();
  x->set_ceremony_id(kCeremonyId);
  x->set_step(2);
  x->set_step_name("export the public key");
  x->set_reason("action-failed");
  x->set_detail("exit code 5: the token was removed");
  out.push_back(ex);

  Event s2 = base(EVENT_KIND_CEREMONY_STEP, kCeremonyId);
  auto* p2 = s2.mutable_ceremony_step();
  p2->set_ceremony(kCeremonyId);
  p2->set_step(2);
  p2->set_step_name("export the public key");
  p2->set_action("key export --label ic22-release-2027");
  p2->set_exit_code(5);
  p2->set_outcome("failed");
  out.push_back(s2);

  Event done = base(EVENT_KIND_CEREMONY_COMPLETED, kCeremonyId);
  auto* c = done.mutable_ceremony_completed();
  c->set_ceremony_id(kCeremonyId);
  c->set_outcome("aborted");
  c->set_steps_completed(1);
  c->set_reason("step 2 failed");
  out.push_back(done);
  return out;
}

// A temp dir with the log in log/ and its verifier key string in vkey.
struct CeremonyLog {
  TempDir t{"sr-ceremony"};
  std::string dir = t.Sub("log");
  std::string vkey;
  // events: how many of CeremonyEvents() to write (all by default).
  explicit CeremonyLog(std::size_t events = 8) {
    auto signer = log::Ed25519NoteSigner::Generate("strongroom.test/ceremony");
    REQUIRE(signer.ok());
    REQUIRE(log::LogWriter::Create(dir, **signer).ok());
    auto w = log::LogWriter::Open(dir, **signer);
    REQUIRE_MESSAGE(w.ok(), w.status().ToString());
    auto all = CeremonyEvents();
    all.resize(std::min(events, all.size()));
    for (auto& ev : all) REQUIRE((*w)->Append(ev).ok());
    REQUIRE((*w)->Commit().ok());
    vkey = log::EncodeVerifierKey((*signer)->Name(), (*signer)->PublicKey());
  }
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_CEREMONIES_CEREMONY_LOG_H_
