// Signed-note, checkpoint and vkey parsers. Invariants: a parsed checkpoint
// re-serializes to text that parses to the same fields; opening a note with
// a key that never signed anything never succeeds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz.h"
#include "log/note.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const auto verifier = sr::log::NoteVerifier::Parse(
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  (void)sr::log::NoteVerifier::Parse(in);
  auto opened = sr::log::OpenNote(in, *verifier);
  // Nobody holds that key's private half in this process: nothing verifies
  // unless the input is one of the spec's real example notes.
  if (opened.ok()) SR_FUZZ_CHECK(in.find("example.com/foo") != std::string_view::npos);
  auto cp = sr::log::Checkpoint::ParseText(in);
  if (cp.ok()) {
    auto again = sr::log::Checkpoint::ParseText(cp->Text());
    SR_FUZZ_CHECK(again.ok());
    SR_FUZZ_CHECK(again->origin == cp->origin && again->size == cp->size &&
                  again->root == cp->root);
  }
  (void)sr::log::ParseCheckpointUnverified(in);
  return 0;
}
