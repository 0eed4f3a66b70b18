// Test helper (not installed): creates logs and appends events from a
// separate process, printing "<index> <tag>" once each append is durable, so
// crash and concurrency tests can kill it or race two of them.
//   log_tool create DIR PEM NAME
//   log_tool append DIR PEM COUNT SESSION_SIZE TAG [BIG_EVERY]
//   log_tool bulk DIR PEM COUNT TAG
//                            (COUNT events in batches of 4096, one sync per
//                             batch, one checkpoint: large logs, fast)
//   log_tool tear DIR BYTES   (writes the first BYTES of a record, as a
//                              write cut short by a crash would leave)
// Each session opens the log (waiting for the lock), appends SESSION_SIZE
// events, signs a checkpoint and closes, so concurrent tools interleave.
#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/file.h"
#include "log/merkle.h"
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
      if (big_every > 0 && done % big_every == big_every - 1)
        step->set_outcome(std::string(256 << 10, 'x'));
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

int Bulk(const std::string& dir, const std::string& pem, long count, const std::string& tag) {
  auto vkey = sr::ReadFile(sr::JoinPath(dir, sr::log::kVkeyFile), 4096);
  if (!vkey.ok()) return Fail(vkey.status());
  auto v = sr::log::NoteVerifier::Parse(*vkey);
  if (!v.ok()) return Fail(v.status());
  auto signer = sr::log::Ed25519NoteSigner::FromPemFile(v->name(), pem);
  if (!signer.ok()) return Fail(signer.status());
  auto w = sr::log::LogWriter::Open(dir, **signer);
  if (!w.ok()) return Fail(w.status());
  for (long done = 0; done < count;) {
    std::vector<strongroom::v1::Event> batch;
    for (; done < count && batch.size() < 4096; ++done) {
      strongroom::v1::Event ev;
      ev.set_kind(strongroom::v1::EVENT_KIND_CEREMONY_STEP);
      ev.set_station_id("test-station");
      ev.set_time("2026-11-22T08:00:00Z");
      ev.set_session_id(tag + "/" + std::to_string(done));
      ev.mutable_ceremony_step()->set_step(static_cast<unsigned>(done));
      batch.push_back(std::move(ev));
    }
    auto first = (*w)->AppendMany(batch);
    if (!first.ok()) return Fail(first.status());
  }
  auto note = (*w)->Commit();
  return note.ok() ? 0 : Fail(note.status());
}

int Tear(const std::string& dir, long bytes) {
  std::string payload(4096, 'T');
  std::string rec = sr::log::EncodeRecord(payload, sr::log::HashLeaf(payload));
  if (bytes <= 0 || static_cast<std::size_t>(bytes) >= rec.size()) return 2;
  auto lock = sr::FileLock::Acquire(sr::JoinPath(dir, sr::log::kLockFile));
  if (!lock.ok()) return Fail(lock.status());
  std::string path = sr::JoinPath(dir, sr::log::kEventsFile);
  sr::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return 1;
  sr::Status s = sr::WriteAll(
      fd.get(), std::string_view(rec).substr(0, static_cast<std::size_t>(bytes)), path);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "create" && argc == 5) return Create(argv[2], argv[3], argv[4]);
  if (cmd == "append" && (argc == 7 || argc == 8)) {
    return Append(argv[2], argv[3], std::atol(argv[4]), std::atol(argv[5]), argv[6],
                  argc == 8 ? std::atol(argv[7]) : 0);
  }
  if (cmd == "bulk" && argc == 6) return Bulk(argv[2], argv[3], std::atol(argv[4]), argv[5]);
  if (cmd == "tear" && argc == 4) return Tear(argv[2], std::atol(argv[3]));
  std::fprintf(
      stderr,
      "usage: log_tool create DIR PEM NAME | append DIR PEM COUNT SESSION TAG [BIG_EVERY]\n");
  return 2;
}
