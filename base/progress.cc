#include "base/progress.h"

#include <unistd.h>

#include <cstdio>

namespace sr {

ProgressBar::ProgressBar(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (drawn_) {
    Draw(total_);
    std::fputc('\n', stderr);
  }
}

void ProgressBar::Update(std::uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total_) return;
  last_ = now;
  Draw(done);
  drawn_ = true;
}

void ProgressBar::Draw(std::uint64_t done) {
  constexpr int kWidth = 30;
  double frac = total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
  if (frac > 1.0) frac = 1.0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %3d%%", label_.c_str(), bar.c_str(),
               static_cast<int>(frac * 100));
  std::fflush(stderr);
}

}  // namespace sr
