// Debian's headless Chromium as the tests that print our HTML pages run it
// (ceremony transcript, audit report): its own profile and HOME inside the
// test's directory, no network, nothing started in the background.
#ifndef STRONGROOM_TESTS_TESTING_CHROMIUM_H_
#define STRONGROOM_TESTS_TESTING_CHROMIUM_H_

#include <string>

namespace sr::testing {

inline const std::string kChromium = "/usr/bin/chromium";

// The shell command running Chromium in dir with args (e.g.
// "--screenshot=F URL"); its stderr goes to dir/chromium.log.
inline std::string Chromium(const std::string& dir, const std::string& args) {
  return "cd " + dir + " && HOME=" + dir + " timeout 180 " + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --user-data-dir=" +
         dir + "/profile " + args + " 2>" + dir + "/chromium.log";
}

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_CHROMIUM_H_
