// The transcript's HTML page as a browser prints it: Debian's Chromium,
// headless, renders it to an A4 PDF (one page at least per section) and to
// the DOM it built, where hostile names are text and no script ran.
#include <doctest/doctest.h>
#include <unistd.h>

#include <sstream>

#include "tests/ceremonies/ceremony_log.h"
#include "tests/testing/chromium.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"

namespace sr::ceremonies {
namespace {

using sr::testing::CeremonyLog;
using sr::testing::Chromium;
using sr::testing::CmdResult;
using sr::testing::kChromium;
using sr::testing::ReadAll;
using sr::testing::Run;

const std::string kBin = STRONGROOM_BINARY;

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST_CASE("ceremony transcript: Chromium prints the page on A4, a section a page, names as text") {
  REQUIRE_MESSAGE(::access(kChromium.c_str(), X_OK) == 0,
                  "Debian's chromium is needed to render the transcript: scripts/install-deps");
  CeremonyLog l;
  CmdResult t = Run(kBin + " ceremony transcript --log " + l.dir + " --vkey '" + l.vkey +
                    "' --ceremony " + sr::testing::kCeremonyId + " --out " + l.t.Sub("kr"));
  REQUIRE_MESSAGE(t.rc == 0, t.out);
  std::string url = "file://" + l.t.Sub("kr.html");

  CmdResult pdf = Run(Chromium(
      l.t.path(), "--no-pdf-header-footer --print-to-pdf=" + l.t.Sub("kr.pdf") + " " + url));
  REQUIRE_MESSAGE(pdf.rc == 0, pdf.out, ReadAll(l.t.Sub("chromium.log")));
  std::string doc = ReadAll(l.t.Sub("kr.pdf"));
  REQUIRE(doc.rfind("%PDF-", 0) == 0);
  CHECK(doc.size() > 10000);
  // Every page A4 (595 x 842 points); the 7 sections each start a page.
  // (A plain scan, not std::regex: GCC 12 under ASan warns inside
  // <regex> with -Werror=maybe-uninitialized.)
  const std::string box = "/MediaBox [0 0 ";
  int pages = 0;
  for (std::size_t at = doc.find(box); at != std::string::npos; at = doc.find(box, at + 1)) {
    std::istringstream dims(doc.substr(at + box.size(), 40));
    double w = 0, h = 0;
    dims >> w >> h;
    CHECK(w == doctest::Approx(595.0).epsilon(0.01));
    CHECK(h == doctest::Approx(842.0).epsilon(0.01));
    ++pages;
  }
  CHECK(pages >= 7);

  CmdResult dom = Run(Chromium(l.t.path(), "--dump-dom " + url));
  REQUIRE_MESSAGE(dom.rc == 0, dom.out);
  // The hostile names are text in the rendered page, not elements; the
  // script in one never ran (it would have renamed the page).
  CHECK(Has(dom.out, "<title>Ceremony transcript: kr-2026-12</title>"));
  CHECK(Has(dom.out, "Eve &lt;script&gt;document.title='pwned'&lt;/script&gt; \"q\""));
  CHECK(Has(dom.out, "&lt;img src=x onerror=alert(1)&gt; Mallory"));
  CHECK_FALSE(Has(dom.out, "<script"));
  CHECK_FALSE(Has(dom.out, "<img"));
  CHECK_FALSE(Has(dom.out, "pwned</title>"));
}

}  // namespace
}  // namespace sr::ceremonies
