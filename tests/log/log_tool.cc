// Test helper (not installed): creates logs and appends events from a
// separate process, printing "<index> <tag>" once each append is durable, so
// crash and concurrency tests can kill it or race two of them.
//   log_tool create DIR PEM NAME
//   log_tool append DIR PEM COUNT SESSION_SIZE TAG [BIG_EVERY]
// Each session opens the log (waiting for the lock), appends SESSION_SIZE
// events, signs a checkpoint and closes, so concurrent tools interleave.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/file.h"
#include "log/note.h"
#include "log/record.h"
#include "log/writer.h"

namespace {

int Fail(const sr::Status& s) {
  std::fprintf(stderr, "log_tool: %s\n", s.ToString().c_str());
  return 1;
}

int Create(const std::string& dir, const std::string& pem, const std::string& name) {
  auto signer = sr::log::Ed25519NoteSigner::Generate(name);
  if (!signer.ok()) return Fail(signer.status());
  sr::Status s = (*signer)->WritePemFile(pem);
  if (!s.ok()) return Fail(s);
  s = sr::log::LogWriter::Create(dir, **signer);
  return s.ok() ? 0 : Fail(s);
}

int Append(const std::string& dir, const std::string& pem, long count, long session,
           const std::string& tag, long big_every) {
  auto vkey = sr::ReadFile(sr::JoinPath(dir, sr::log::kVkeyFile), 4096);
  if (!vkey.ok()) return Fail(vkey.status());
  auto v = sr::log::NoteVerifier::Parse(*vkey);
  if (!v.ok()) return Fail(v.status());
  auto signer = sr::log::Ed25519NoteSigner::FromPemFile(v->name(), pem);
  if (!signer.ok()) return Fail(signer.status());
  long done = 0;
  while (done < count) {
    auto w = sr::log::LogWriter::Open(dir, **signer);
    if (!w.ok()) return Fail(w.status());
    for (long i = 0; i < session && done < count; ++i, ++done) {
      strongroom::v1::Event ev;
      ev.set_kind(strongroom::v1::EVENT_KIND_CEREMONY_STEP);
      ev.set_station_id("test-station");
      ev.set_time("2026-11-22T08:00:00Z");
      ev.add_operators("alice");
      ev.set_session_id(tag + "/" + std::to_string(done));
      auto* step = ev.mutable_ceremony_step();
      step->set_ceremony("append-test");
      step->set_step(static_cast<unsigned>(done));
      if (big_every > 0 && done % big_every == big_every - 1) step->set_outcome(std::string(256 << 10, 'x'));
      auto idx = (*w)->Append(ev);
      if (!idx.ok()) return Fail(idx.status());
      std::printf("%llu %s/%ld\n", static_cast<unsigned long long>(*idx), tag.c_str(), done);
      std::fflush(stdout);
    }
    auto note = (*w)->Commit();
    if (!note.ok()) return Fail(note.status());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "create" && argc == 5) return Create(argv[2], argv[3], argv[4]);
  if (cmd == "append" && (argc == 7 || argc == 8)) {
    return Append(argv[2], argv[3], std::atol(argv[4]), std::atol(argv[5]), argv[6],
                  argc == 8 ? std::atol(argv[7]) : 0);
  }
  std::fprintf(stderr, "usage: log_tool create DIR PEM NAME | append DIR PEM COUNT SESSION TAG [BIG_EVERY]\n");
  return 2;
}
