// base/heap.h: after PrepareHeap, fresh heap memory arrives in transparent
// huge pages (a few page faults for megabytes, not one per 4 KiB page: on
// the CI's VM each fault traps to the hypervisor, ~10 us), and blocks of
// hundreds of KiB come from the heap instead of a mapping of their own.
#include "base/heap.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

// Defined only when a sanitizer's runtime (with its own allocator) is in.
extern "C" void __asan_init() __attribute__((weak));
extern "C" void __tsan_init() __attribute__((weak));

namespace {

long MinorFaults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Whether the kernel gives transparent huge pages to advised memory.
bool HugePagesOffered() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(f, line) && line.find("[never]") == std::string::npos;
}

}  // namespace

TEST_CASE(
    "PrepareHeap: megabytes of fresh heap cost a few page faults, large blocks come from the "
    "heap") {
  const bool advised = sr::PrepareHeap();
  if (__asan_init != nullptr || __tsan_init != nullptr) {
    // A sanitizer's allocator maps its own memory: nothing is advised.
    CHECK_FALSE(advised);
    return;
  }
  REQUIRE(advised);

  // A block of hundreds of KiB (a large release's SIGNING event) is in the
  // heap, below the program break, not in a mapping of its own.
  void* big = std::malloc(400 << 10);
  REQUIRE(big != nullptr);
  CHECK(static_cast<char*>(big) < static_cast<char*>(::sbrk(0)));
  std::free(big);

  if (!HugePagesOffered()) {
    MESSAGE("transparent huge pages are off on this machine: the fault count is not checked");
    return;
  }
  // 8 MiB in the sizes a sign allocates, each block written once: 2,048
  // faults in 4 KiB pages; a handful in 2 MiB pages.
  const long before = MinorFaults();
  std::vector<void*> blocks;
  blocks.reserve(8192);
  for (int i = 0; i < 8192; ++i) {
    void* p = std::malloc(1000);
    REQUIRE(p != nullptr);
    std::memset(p, 0x5a, 1000);
    blocks.push_back(p);
  }
  const long faults = MinorFaults() - before;
  for (void* p : blocks) std::free(p);
  CHECK_MESSAGE(faults < 256, "page faults for 8 MiB of fresh heap: " << faults);
}
