// The log's library contract: durable appends, signed checkpoints that never
// contradict each other, proofs, torn-tail recovery and refusals.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/hash.h"
#include "log/proof.h"
#include "log/reader.h"
#include "log/record.h"
#include "log/verify.h"
#include "tests/testing/events.h"
#include "tests/testing/files.h"
#include "tests/testing/temp_dir.h"

namespace sr::log {
namespace {

using sr::testing::BuildLog;
using sr::testing::ReadAll;
using sr::testing::TempDir;
using sr::testing::TestEvent;

std::unique_ptr<Ed25519NoteSigner> Signer(const std::string& name = "strongroom.test/log") {
  auto s = Ed25519NoteSigner::Generate(name);
  REQUIRE(s.ok());
  return std::move(s).value();
}

VerifyReport Verify(const std::string& dir, const NoteSigner& s,
                    std::optional<std::string> since = std::nullopt) {
  VerifyOptions o;
  o.dir = dir;
  o.vkey = EncodeVerifierKey(s.Name(), s.PublicKey());
  o.since = std::move(since);
  auto r = VerifyLog(o);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("log: vkey and key id follow the C2SP signed-note example") {
  // The spec's example vkey parses and its key id matches name and key.
  auto v =
      NoteVerifier::Parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  REQUIRE(v.ok());
  CHECK(HexEncode(v->key_id()) == "530d903a");
  CHECK(v->ToString() == "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  CHECK_FALSE(
      NoteVerifier::Parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
          .ok());
  CHECK_FALSE(NoteVerifier::Parse("example.com/foo+530d903a").ok());
}

TEST_CASE("log: a signed note opens with its key and not with another key of the same name") {
  auto s = Signer();
  auto other = Signer();
  Checkpoint c{s->Name(), 3, std::string(32, 'r'), {}};
  auto note = SignNote(c.Text(), *s);
  REQUIRE(note.ok());
  auto v = NoteVerifier::Parse(EncodeVerifierKey(s->Name(), s->PublicKey()));
  auto cp = OpenCheckpoint(*note, *v);
  REQUIRE(cp.ok());
  CHECK(cp->size == 3);
  auto v2 = NoteVerifier::Parse(EncodeVerifierKey(other->Name(), other->PublicKey()));
  CHECK(OpenCheckpoint(*note, *v2).status().code() == Code::kDataLoss);
  std::string edited = *note;
  edited[edited.find("\n3\n") + 1] = '4';
  CHECK(OpenCheckpoint(edited, *v).status().code() == Code::kDataLoss);
}

TEST_CASE("log: appended events verify, show their sequence and are durable across reopen") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 25, 10);
  VerifyReport r = Verify(dir, *s);
  CHECK(r.ok);
  CHECK(r.checkpoint_size == 25);
  CHECK(r.events == 25);
  auto reader = LogReader::Open(dir);
  REQUIRE(reader.ok());
  auto ev = reader->ReadEvent(7);
  REQUIRE(ev.ok());
  strongroom::v1::Event e;
  REQUIRE(e.ParseFromString(*ev));
  CHECK(e.sequence() == 7);
  CHECK(e.ceremony_step().step() == 7);
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.ok());
  CHECK((*w)->size() == 25);
  CHECK((*w)->signed_size() == 25);
}

TEST_CASE("log: an event carrying bytes that are not UTF-8 is written readable, with U+FFFD") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 1);
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.ok());
  strongroom::v1::Event ev = TestEvent(1);
  ev.set_operators(0, "\xc3\xa9ve-\xff");  // an operator name typed on a Latin-1 terminal
  ev.mutable_ceremony_step()->set_step_name("media/\xfe\xffname");
  REQUIRE((*w)->Append(ev).ok());
  REQUIRE((*w)->Commit().ok());
  auto reader = LogReader::Open(dir);
  REQUIRE(reader.ok());
  auto bytes = reader->ReadEvent(1);
  REQUIRE(bytes.ok());
  strongroom::v1::Event back;
  REQUIRE(back.ParseFromString(*bytes));
  CHECK(back.operators(0) == "\xc3\xa9ve-\xef\xbf\xbd");
  CHECK(back.ceremony_step().step_name() == "media/\xef\xbf\xbd\xef\xbf\xbdname");
  CHECK(Verify(dir, *s).ok);
}

// Every string field an event can hold, of every payload kind, set to bytes
// that are not UTF-8 (plus a valid string beside each repeated one): the
// writer checks some records through generated accessors and the rest by
// reflection, and a field added to the schema later must be covered too.
// Filled by reflection so that this test needs no list of fields either.
int FillStrings(google::protobuf::Message& m, int depth) {
  namespace pb = google::protobuf;
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  int bad = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->real_containing_oneof() != nullptr) continue;  // the payload: chosen by the caller
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        r->AddString(&m, f, "ok-\xc3\xa9");
        r->AddString(&m, f, "bad-\xff");
      } else {
        r->SetString(&m, f, "bad-\xfe");
      }
      ++bad;
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && depth < 8 &&
               f->message_type()->file()->package() == "strongroom.v1") {
      bad += FillStrings(f->is_repeated() ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f),
                         depth + 1);
    }
  }
  return bad;
}

// Counts the strings of m holding U+FFFD; fails on any that is not UTF-8.
int CountReplaced(const google::protobuf::Message& m) {
  namespace pb = google::protobuf;
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  int n = 0;
  for (const pb::FieldDescriptor* f : fields) {
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
      int size = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < size; ++i) {
        std::string v = f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
        CHECK_MESSAGE(IsValidUtf8(v), f->full_name());
        if (v.find("\xef\xbf\xbd") != std::string::npos) ++n;
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i)
          n += CountReplaced(r->GetRepeatedMessage(m, f, i));
      } else {
        n += CountReplaced(r->GetMessage(m, f));
      }
    }
  }
  return n;
}

TEST_CASE("log: every string field of every event kind is written as UTF-8, whatever it held") {
  namespace pb = google::protobuf;
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 1);
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.ok());
  const pb::OneofDescriptor* payload =
      strongroom::v1::Event::descriptor()->FindOneofByName("payload");
  REQUIRE(payload != nullptr);
  std::vector<strongroom::v1::Event> events;
  std::vector<int> bad;
  for (int k = 0; k < payload->field_count(); ++k) {
    strongroom::v1::Event ev;
    int n = FillStrings(ev, 0);
    n += FillStrings(*ev.GetReflection()->MutableMessage(&ev, payload->field(k)), 1);
    // A per-artifact record repeated, as a release of several artifacts has.
    if (payload->field(k)->name() == "signing") {
      ev.mutable_signing()->add_signatures()->set_artifact_name("b\xffz");
      ev.mutable_signing()->add_artifacts()->set_sha256("\xc0\x80");  // overlong: not UTF-8
      n += 2;
    }
    events.push_back(std::move(ev));
    bad.push_back(n);
  }
  auto first = (*w)->AppendMany(events);
  REQUIRE(first.ok());
  REQUIRE((*w)->Commit().ok());
  auto reader = LogReader::Open(dir);
  REQUIRE(reader.ok());
  for (std::size_t k = 0; k < events.size(); ++k) {
    CAPTURE(payload->field(static_cast<int>(k))->name());
    auto bytes = reader->ReadEvent(*first + k);
    REQUIRE(bytes.ok());
    strongroom::v1::Event back;
    REQUIRE(back.ParseFromString(*bytes));
    CHECK(back.payload_case() == payload->field(static_cast<int>(k))->number());
    CHECK(CountReplaced(back) == bad[k]);
  }
  CHECK(Verify(dir, *s).ok);
}

TEST_CASE("log: opening for appends shows each signed event once, in order, as it checks them") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  REQUIRE(LogWriter::Create(dir, *s).ok());
  {
    // Events of about 300 KiB: the open-time check reads them in several
    // 2 MiB batches.
    auto w = LogWriter::Open(dir, *s);
    REQUIRE(w.ok());
    for (int i = 0; i < 12; ++i) {
      strongroom::v1::Event ev = TestEvent(static_cast<std::uint64_t>(i));
      ev.mutable_ceremony_step()->set_step_name(
          std::string(300u << 10, static_cast<char>('a' + i)));
      REQUIRE((*w)->Append(ev).ok());
    }
    REQUIRE((*w)->Commit().ok());
    // Two more, never signed (a crash before the checkpoint).
    REQUIRE((*w)->Append(TestEvent(12)).ok());
    REQUIRE((*w)->Append(TestEvent(13)).ok());
  }
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  auto w = LogWriter::Open(dir, *s, /*wait=*/true,
                           [&](std::uint64_t i, std::string_view ev) { seen.emplace_back(i, ev); });
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  CHECK((*w)->size() == 14);
  REQUIRE((*w)->signed_size() == 12);
  REQUIRE(seen.size() == 12);  // the unsigned events are not visited
  auto reader = LogReader::Open(dir);
  REQUIRE(reader.ok());
  for (std::uint64_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].first == i);
    CHECK(seen[i].second == *reader->ReadEvent(i));
  }
}

TEST_CASE(
    "log: verify against a checkpoint the caller already holds checks the events against it") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 5);
  auto note = ReadFile(dir + "/checkpoint", kMaxNoteBytes);
  REQUIRE(note.ok());
  auto cp =
      OpenCheckpoint(*note, *NoteVerifier::Parse(EncodeVerifierKey(s->Name(), s->PublicKey())));
  REQUIRE(cp.ok());
  VerifyOptions o;
  o.dir = dir;
  o.vkey = EncodeVerifierKey(s->Name(), s->PublicKey());
  o.checkpoint = *cp;
  // The file is not read again: a damaged copy on disk does not matter here
  // (the caller verified the one it holds).
  sr::testing::WriteAll(dir + "/checkpoint", "not a note\n");
  auto r = VerifyLog(o);
  REQUIRE(r.ok());
  CHECK_MESSAGE(r->ok, (r->failure ? r->failure->message : std::string()));
  CHECK(r->checkpoint_size == 5);
  // The events are still checked against it: another root is a mismatch.
  o.checkpoint->root[0] ^= 1;
  r = VerifyLog(o);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->ok);
  CHECK(r->failure->check == "root");
  // And without it the damaged file is what is checked.
  o.checkpoint.reset();
  r = VerifyLog(o);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->ok);
  CHECK(r->failure->check == "checkpoint-signature");
}

// A signer whose signatures can be made wrong, as a faulty HSM's would be.
class FlakySigner final : public NoteSigner {
 public:
  explicit FlakySigner(NoteSigner& real) : real_(real) {}
  std::string Name() const override { return real_.Name(); }
  std::string PublicKey() const override { return real_.PublicKey(); }
  Result<std::string> Sign(std::string_view msg) override {
    SR_ASSIGN_OR_RETURN(std::string sig, real_.Sign(msg));
    if (corrupt) sig[10] ^= 0x40;
    return sig;
  }
  bool corrupt = false;

 private:
  NoteSigner& real_;
};

TEST_CASE("log: a checkpoint whose signature does not verify is never stored") {
  TempDir t;
  auto s = Signer();
  FlakySigner flaky(*s);
  std::string dir = t.Sub("log");
  flaky.corrupt = true;
  auto bad_create = LogWriter::Create(dir, flaky);
  CHECK(bad_create.code() == Code::kDataLoss);
  CHECK(bad_create.message().find("does not verify") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/events"));  // no log was made
  flaky.corrupt = false;
  REQUIRE(LogWriter::Create(dir, flaky).ok());
  {
    auto w = LogWriter::Open(dir, flaky);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append(TestEvent(0)).ok());
    REQUIRE((*w)->Commit().ok());
    const std::string before = ReadAll(dir + "/checkpoint");
    CHECK((*w)->checkpoint_note() == before);
    CHECK((*w)->checkpoint().size == 1);
    REQUIRE((*w)->Append(TestEvent(1)).ok());
    flaky.corrupt = true;
    auto c = (*w)->Commit();
    CHECK(c.status().code() == Code::kDataLoss);
    CHECK(c.status().message().find("the stored checkpoint is unchanged") != std::string::npos);
    CHECK(ReadAll(dir + "/checkpoint") == before);
    CHECK((*w)->signed_size() == 1);
  }
  // The log still opens with its key, the unsigned event is kept, and the
  // next commit signs it.
  flaky.corrupt = false;
  auto w = LogWriter::Open(dir, flaky);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  CHECK((*w)->size() == 2);
  CHECK((*w)->signed_size() == 1);
  REQUIRE((*w)->Commit().ok());
  CHECK(Verify(dir, *s).ok);
  CHECK(Verify(dir, *s).checkpoint_size == 2);
  // A proof against the writer's checkpoint is the proof against DIR's.
  auto held = ProveInclusion(dir, 1, (*w)->checkpoint_note(), (*w)->checkpoint());
  auto read = ProveInclusion(dir, 1);
  REQUIRE(held.ok());
  REQUIRE(read.ok());
  CHECK(held->Format() == read->Format());
  CHECK(ProveInclusion(dir, 2, (*w)->checkpoint_note(), (*w)->checkpoint()).status().code() ==
        Code::kNotFound);
}

TEST_CASE("log: a second writer is refused while the first holds the lock") {
  TempDir t;
  auto s = Signer();
  BuildLog(t.Sub("log"), *s, 1);
  auto w1 = LogWriter::Open(t.Sub("log"), *s);
  REQUIRE(w1.ok());
  auto w2 = LogWriter::Open(t.Sub("log"), *s, /*wait=*/false);
  CHECK(w2.status().code() == Code::kUnavailable);
}

TEST_CASE("log: opening with a key that is not the log's key is refused") {
  TempDir t;
  auto s = Signer();
  auto other = Signer();
  BuildLog(t.Sub("log"), *s, 1);
  auto w = LogWriter::Open(t.Sub("log"), *other);
  CHECK(w.status().code() == Code::kFailedPrecondition);
}

TEST_CASE(
    "log: inclusion proofs for every event and consistency proofs from every checkpoint verify") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  REQUIRE(LogWriter::Create(dir, *s).ok());
  std::vector<std::string> notes;
  for (int session = 0; session < 6; ++session) {
    auto w = LogWriter::Open(dir, *s);
    REQUIRE(w.ok());
    for (int i = 0; i < session + 3; ++i) REQUIRE((*w)->Append(TestEvent(0)).ok());
    auto note = (*w)->Commit();
    REQUIRE(note.ok());
    notes.push_back(*note);
  }
  auto v = NoteVerifier::Parse(EncodeVerifierKey(s->Name(), s->PublicKey()));
  for (std::uint64_t i = 0; i < 33; ++i) {
    auto f = ProveInclusion(dir, i);
    REQUIRE(f.ok());
    auto text = f->Format();
    auto pc = VerifyProofFile(text, *v, std::nullopt, std::nullopt);
    CHECK_MESSAGE(pc.ok(), pc.status().ToString());
    CHECK(pc->index == i);
    auto bad = f.value();
    bad.extra->back() ^= 1;
    CHECK_FALSE(VerifyProofFile(bad.Format(), *v, std::nullopt, std::nullopt).ok());
  }
  CHECK(ProveInclusion(dir, 33).status().code() == Code::kNotFound);
  for (const std::string& old : notes) {
    auto f = ProveConsistency(dir, old);
    REQUIRE(f.ok());
    CHECK(VerifyProofFile(f->Format(), *v, std::nullopt, old).ok());
    if (!f->hashes.empty()) {
      auto bad = f.value();
      bad.hashes[0][5] ^= 1;
      CHECK_FALSE(VerifyProofFile(bad.Format(), *v, std::nullopt, old).ok());
    }
  }
}

TEST_CASE("log: a torn tail blocks appends until recover removes it and logs what it removed") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 10);
  std::string torn =
      EncodeRecord("partial-event-bytes", HashLeaf("partial-event-bytes")).substr(0, 15);
  std::string events_path = JoinPath(dir, kEventsFile);
  std::uint64_t before = ReadAll(events_path).size();
  {
    UniqueFd fd(::open(events_path.c_str(), O_WRONLY | O_APPEND));
    REQUIRE(WriteAll(fd.get(), torn, "events").ok());
  }
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.status().code() == Code::kFailedPrecondition);
  CHECK(w.status().message().find("torn tail") != std::string::npos);
  CHECK(w.status().message().find("offset " + std::to_string(before)) != std::string::npos);
  CHECK_FALSE(Verify(dir, *s).ok);

  auto rep = LogWriter::Recover(dir, *s, strongroom::v1::Event());
  REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  CHECK(rep->torn);
  CHECK(rep->removed_offset == before);
  CHECK(rep->removed_length == 15);
  CHECK(rep->removed_sha256 == Sha256Hex(torn));
  CHECK(rep->recovered_event_index == 10);
  VerifyReport r = Verify(dir, *s);
  CHECK(r.ok);
  CHECK(r.checkpoint_size == 11);
  auto reader = LogReader::Open(dir);
  strongroom::v1::Event e;
  REQUIRE(e.ParseFromString(*reader->ReadEvent(10)));
  CHECK(e.kind() == strongroom::v1::EVENT_KIND_LOG_RECOVERED);
  CHECK(e.log_recovered().removed_offset() == before);
  CHECK(e.log_recovered().removed_sha256() == Sha256Hex(torn));
}

TEST_CASE(
    "log: a recover interrupted after cutting the torn tail is finished by the next recover") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 4);
  std::string events_path = JoinPath(dir, kEventsFile);
  std::uint64_t before = ReadAll(events_path).size();
  std::string torn = "\x00\x00\x00\x40partial";
  // The state a crash leaves between "record what is cut" and "append the event".
  sr::testing::WriteAll(
      JoinPath(dir, kRecoverPendingFile),
      std::to_string(before) + " " + std::to_string(torn.size()) + " " + Sha256Hex(torn) + " 4\n");
  auto w = LogWriter::Open(dir, *s);
  CHECK(w.status().code() == Code::kFailedPrecondition);
  CHECK(w.status().message().find("interrupted") != std::string::npos);
  std::string pending = ReadAll(JoinPath(dir, kRecoverPendingFile));
  for (int run = 0; run < 2; ++run) {
    // Run 1 models a crash after the event was appended but before cleanup:
    // it must not append the event a second time.
    if (run == 1) sr::testing::WriteAll(JoinPath(dir, kRecoverPendingFile), pending);
    auto rep = LogWriter::Recover(dir, *s, strongroom::v1::Event());
    REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
    CHECK(rep->torn);
    CHECK(rep->recovered_event_index == 4);
    CHECK(rep->size == 5);
  }
  CHECK_FALSE(PathExists(JoinPath(dir, kRecoverPendingFile)));
  auto reader = LogReader::Open(dir);
  strongroom::v1::Event e;
  REQUIRE(e.ParseFromString(*reader->ReadEvent(4)));
  CHECK(e.log_recovered().removed_offset() == before);
  CHECK(e.log_recovered().removed_sha256() == Sha256Hex(torn));
  CHECK(Verify(dir, *s).ok);
}

TEST_CASE("log: recover refuses a truncation into signed events instead of repairing it") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 10);
  std::string events_path = JoinPath(dir, kEventsFile);
  REQUIRE(::truncate(events_path.c_str(), static_cast<off_t>(ReadAll(events_path).size() - 5)) ==
          0);
  auto rep = LogWriter::Recover(dir, *s, strongroom::v1::Event());
  CHECK(rep.status().code() == Code::kDataLoss);
  CHECK(rep.status().message().find("truncation") != std::string::npos);
}

TEST_CASE(
    "log: the writer refuses to extend a log whose stored tree contradicts the signed checkpoint") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 10);
  std::string tree = ReadAll(JoinPath(dir, kTreeFile));
  tree[NodePos(3, 0) * 32] ^= 1;  // the [0, 8) subtree root
  sr::testing::WriteAll(JoinPath(dir, kTreeFile), tree);
  auto w = LogWriter::Open(dir, *s);
  CHECK(w.status().code() == Code::kDataLoss);
  CHECK(w.status().message().find("does not match the signed checkpoint") != std::string::npos);
}

TEST_CASE(
    "log: the writer refuses to append to a log whose signed events were altered, naming the "
    "event") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 30);
  auto reader = LogReader::Open(dir);
  std::uint64_t off = *reader->Offset(12);
  std::string ev = ReadAll(JoinPath(dir, kEventsFile));
  ev[off + 9] ^= 0x20;
  sr::testing::WriteAll(JoinPath(dir, kEventsFile), ev);
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.status().code() == Code::kDataLoss);
  CHECK_MESSAGE(w.status().message().find("event 12 at byte offset " + std::to_string(off)) !=
                    std::string::npos,
                w.status().message());
  CHECK(w.status().message().find("record-checksum") != std::string::npos);
}

TEST_CASE("log: lost index and tree files are rebuilt from the events on open") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 40, 40);
  REQUIRE(::truncate(JoinPath(dir, kTreeFile).c_str(), 100) == 0);
  REQUIRE(::truncate(JoinPath(dir, kIndexFile).c_str(), 0) == 0);
  {
    auto w = LogWriter::Open(dir, *s);
    REQUIRE_MESSAGE(w.ok(), w.status().ToString());
    REQUIRE((*w)->Append(TestEvent(40)).ok());
    REQUIRE((*w)->Commit().ok());
  }
  CHECK(Verify(dir, *s).ok);
  CHECK(ProveInclusion(dir, 17).ok());
}

TEST_CASE("log: an event larger than 1 MiB is refused and the log stays whole") {
  TempDir t;
  auto s = Signer();
  std::string dir = t.Sub("log");
  BuildLog(dir, *s, 2);
  auto w = LogWriter::Open(dir, *s);
  REQUIRE(w.ok());
  auto ev = TestEvent(2);
  ev.mutable_ceremony_step()->set_outcome(std::string(kMaxEventBytes + 1, 'x'));
  CHECK((*w)->Append(ev).status().code() == Code::kInvalidArgument);
  REQUIRE((*w)->Append(TestEvent(2)).ok());
  REQUIRE((*w)->Commit().ok());
  CHECK(Verify(dir, *s).ok);
}

}  // namespace
}  // namespace sr::log
