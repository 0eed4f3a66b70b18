// Entry bundles (C2SP tlog-tiles) and witnesses' cosignature keys and lines.
// Invariants: a bundle parsed as N entries re-encodes to exactly its bytes;
// no cosignature by a key nobody here holds ever verifies.
#include <cstdint>
#include <string>

#include "fuzz/fuzz.h"
#include "log/cosignature.h"
#include "log/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = AsView(data, size);
  unsigned count = size == 0 ? 0 : static_cast<unsigned>(data[0]) + 1;
  std::string_view bundle = in.substr(size == 0 ? 0 : 1);
  auto entries = sr::log::ParseEntryBundle(bundle, count);
  if (entries.ok()) {
    SR_FUZZ_CHECK(entries->size() == count);
    std::string again;
    for (const std::string& e : *entries) {
      again.push_back(static_cast<char>(e.size() >> 8));
      again.push_back(static_cast<char>(e.size() & 0xff));
      again += e;
    }
    SR_FUZZ_CHECK(again == bundle);
  }
  (void)sr::log::CosignatureVerifier::Parse(in);
  static const auto witness = sr::log::CosignatureVerifier::Parse(
      "witness.test/w1+84bf8212+BPTO3PvA4nzxiVBSvUlqNjPTlovBzdq4JzXBXUip+CmD");
  if (witness.ok()) SR_FUZZ_CHECK(!witness->Find(in).has_value());
  return 0;
}
