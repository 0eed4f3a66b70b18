// SecretBytes: the only type that may hold PINs, PIN shares and other secrets.
// Its allocator wipes memory with OPENSSL_cleanse on release, so a secret never
// outlives its owner in freed heap memory. Never copy its contents into a
// std::string, a URI, argv, the environment or a log line.
#ifndef STRONGROOM_BASE_SECRET_H_
#define STRONGROOM_BASE_SECRET_H_

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sr {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using SecretBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

// Constant-time equality for secrets (length is not secret).
bool SecretEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace sr

#endif  // STRONGROOM_BASE_SECRET_H_
