// How the process's heap takes memory from the kernel: set once, first
// thing in main(), before any thread starts.
//
// Every first touch of a 4 KiB page of fresh memory is a page fault. On a
// virtual machine without hardware nested paging each one traps to the
// hypervisor: ~10 us on the CI's VM (against ~0.2 us per 4 KiB when the
// memory comes as a 2 MiB transparent huge page), and a sign of a
// thousand artifacts first-touches ~8 MiB of heap: ~2,000 faults, about
// 20 ms of a 140 ms session (docs/performance.md, "Page faults"). So the
// heap's address space is reserved in one step at start-up and advised to
// use transparent huge pages, and blocks of up to 32 MiB (a large
// release's events, payloads and proofs are hundreds of KiB each) come
// from the heap and are reused, instead of being mapped, faulted and
// unmapped one by one.
//
// glibc has a knob for the advice (the glibc.malloc.hugetlb tunable), but it
// is read from the environment when the process starts: a command cannot
// set it for itself, so this does by hand what it would.
#ifndef STRONGROOM_BASE_HEAP_H_
#define STRONGROOM_BASE_HEAP_H_

#include <cstddef>

namespace sr {

// The address space reserved for the heap (only what is touched becomes
// memory), and the most of it kept when freed rather than given back.
inline constexpr std::size_t kHeapReserveBytes = std::size_t{64} << 20;

// Cannot fail in a way that matters: where the kernel offers no transparent
// huge pages the advice is ignored, and under a sanitizer's allocator
// (which has its own heap) nothing is changed. Returns whether the advice
// was given (for the test).
bool PrepareHeap();

}  // namespace sr

#endif  // STRONGROOM_BASE_HEAP_H_
