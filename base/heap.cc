#include "base/heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace sr {

namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;

}  // namespace

bool PrepareHeap() {
  // Blocks up to glibc's largest threshold (32 MiB on 64-bit) from the heap.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // Freed memory stays in the process up to twice the reserve: commands are
  // short-lived, and `audit replay`, the long one, bounds what it holds.
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kHeapReserveBytes));
  // The heap grows by the whole reserve at once (address space only), so
  // that one advice covers it: a later growth is a new mapping the advice
  // does not reach. A block of a quarter of the reserve (more than the heap
  // holds free so early, less than the mapping threshold above) makes it
  // grow; the padding adds the rest.
  constexpr std::size_t kBlock = kHeapReserveBytes / 4;
  ::mallopt(M_TOP_PAD, static_cast<int>(kHeapReserveBytes - kBlock));
  void* block = std::malloc(kBlock);
  // Later growth (beyond the reserve) in steps of a few huge pages.
  ::mallopt(M_TOP_PAD, static_cast<int>(4 * kHugePage));
  if (block == nullptr) return false;
  const auto from = reinterpret_cast<std::uintptr_t>(block);
  const auto top = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  bool advised = false;
  // Only when the block is in the program break's heap, just grown: not
  // when a sanitizer's allocator (which maps its own memory) answered.
  if (from < top && top - from <= kHeapReserveBytes + 4 * kHugePage) {
    const std::uintptr_t start = (from + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t end = top & ~(kHugePage - 1);
    if (end > start)
      advised = ::madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE) == 0;
    // The part below the first huge page boundary (up to 2 MiB of small
    // pages, used first) is faulted in with one call instead of page by
    // page (MADV_POPULATE_WRITE, Linux 5.14; older kernels refuse it and
    // the pages fault in as they are touched).
    const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t low = (from + page - 1) & ~(page - 1);
    if (advised && start > low)
      (void)::madvise(reinterpret_cast<void*>(low), start - low, MADV_POPULATE_WRITE);
  }
  std::free(block);
  return advised;
}

}  // namespace sr
