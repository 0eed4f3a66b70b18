// The auditor's verifier over an arbitrary events file: a fixed signed
// checkpoint of 3 events, then fuzzed events bytes. Invariant: only the exact
// original bytes verify (the three events the checkpoint was made from).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "fuzz/fuzz.h"
#include "log/record.h"
#include "log/verify.h"
#include "log/writer.h"

namespace {

struct Fixture {
  std::string dir, vkey, events;
  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "srlogfuzz-XXXXXX").string();
    dir = std::string(::mkdtemp(tmpl.data())) + "/log";
    auto signer = std::move(sr::log::Ed25519NoteSigner::Generate("fuzz.example/log")).value();
    (void)sr::log::LogWriter::Create(dir, *signer);
    auto w = std::move(sr::log::LogWriter::Open(dir, *signer)).value();
    for (int i = 0; i < 3; ++i) {
      strongroom::v1::Event ev;
      ev.set_station_id("fuzz");
      (void)w->Append(ev);
    }
    (void)w->Commit();
    vkey = sr::log::EncodeVerifierKey(signer->Name(), signer->PublicKey());
    events = *sr::ReadFile(sr::JoinPath(dir, sr::log::kEventsFile));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string path = sr::JoinPath(f.dir, sr::log::kEventsFile);
  std::filesystem::remove(path);
  if (!sr::WriteFileAtomic(path, bytes, 0600).ok()) return 0;
  sr::log::VerifyOptions o;
  o.dir = f.dir;
  o.vkey = f.vkey;
  o.threads = 1;
  auto r = sr::log::VerifyLog(o);
  SR_FUZZ_CHECK(r.ok());
  if (r->ok) SR_FUZZ_CHECK(bytes == f.events);
  return 0;
}
