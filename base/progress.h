// A progress bar on stderr for long work (hashing large artifacts, verifying
// large logs). Draws only when stderr is a terminal, at most ~10 times a
// second, so it costs nothing in scripts, tests and CI.
#ifndef STRONGROOM_BASE_PROGRESS_H_
#define STRONGROOM_BASE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace sr {

class ProgressBar {
 public:
  // label is shown before the bar, e.g. "hashing firmware.bin".
  ProgressBar(std::string label, std::uint64_t total);
  ~ProgressBar();  // finishes the line if anything was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(std::uint64_t done);
  bool enabled() const { return enabled_; }

 private:
  void Draw(std::uint64_t done);
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace sr

#endif  // STRONGROOM_BASE_PROGRESS_H_
