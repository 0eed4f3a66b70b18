// Shared helpers of the libFuzzer targets: each target feeds the bytes to one
// parser and checks an invariant; any crash, leak, UB or failed invariant
// aborts the run (scripts/fuzz-smoke).
#ifndef STRONGROOM_FUZZ_FUZZ_H_
#define STRONGROOM_FUZZ_FUZZ_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define SR_FUZZ_CHECK(cond)                                       \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "fuzz invariant failed: %s\n", #cond); \
      std::abort();                                               \
    }                                                             \
  } while (0)

inline std::string_view AsView(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

#endif  // STRONGROOM_FUZZ_FUZZ_H_
