#include "policy/version.h"

#include <array>
#include <cstdint>

namespace sr::policy {
namespace {

// At most 8 parts, held in place: versions are compared at every gate
// decision (several times by the log-fact checks), so no allocation.
struct Parts {
  std::array<std::uint64_t, 8> n{};
  std::size_t count = 0;
  std::size_t size() const { return count; }
  std::uint64_t operator[](std::size_t i) const { return n[i]; }
};

std::optional<Parts> Split(std::string_view v) {
  Parts out;
  if (v.empty() || v.size() > 80) return std::nullopt;
  std::size_t start = 0;
  while (start <= v.size()) {
    std::size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (part.empty() || part.size() > 9 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (out.count == out.n.size()) return std::nullopt;  // a ninth part
    out.n[out.count++] = n;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

bool IsValidVersion(std::string_view v) { return Split(v).has_value(); }

std::optional<int> CompareVersions(std::string_view a, std::string_view b) {
  auto x = Split(a);
  auto y = Split(b);
  if (!x || !y) return std::nullopt;
  for (std::size_t i = 0; i < x->size() || i < y->size(); ++i) {
    if (i >= x->size()) return -1;
    if (i >= y->size()) return 1;
    if ((*x)[i] != (*y)[i]) return (*x)[i] < (*y)[i] ? -1 : 1;
  }
  return 0;
}

}  // namespace sr::policy
