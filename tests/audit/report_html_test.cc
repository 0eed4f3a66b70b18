// The audit report's HTML page as a browser shows and prints it: Debian's
// headless Chromium renders a screenshot (measured without an imaging
// library by tests/audit/png_check.py: the evidence package table is there,
// has its rows, and holds text), an A4 PDF, and the DOM it built (the
// package table's rows as text, no script, nothing external).
#include <doctest/doctest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/testing/chromium.h"
#include "tests/testing/files.h"
#include "tests/testing/sign_station.h"

namespace sr::testing {
namespace {

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST_CASE("audit report: the HTML page in Chromium shows the evidence package table, filled") {
  REQUIRE_MESSAGE(::access(kChromium.c_str(), X_OK) == 0,
                  "Debian's chromium is needed to render the report: scripts/install-deps");
  SignStation st;
  CmdResult inst = st.InstallPolicy(st.Scenario());
  REQUIRE_MESSAGE(inst.rc == 0, inst.all());
  CmdResult s = st.Sign(st.Write(st.Scenario()), "out");
  REQUIRE_MESSAGE(s.rc == 0, s.all());
  CmdResult r = st.Sr("audit report --release IC-22@5.4.3 --log " + st.station + "/log --vkey " +
                      st.root + "/log.vkey --evidence " + st.station + "/evidence --format html" +
                      " --out " + st.root + "/report.html");
  REQUIRE_MESSAGE(r.rc == 0, r.all());
  const std::string page = st.root + "/report.html";
  const std::string url = "file://" + page;

  // The page itself: only the document builder's elements, nothing external.
  CmdResult parsed = Run(std::string("python3 ") + CHECK_HTML + " " + page);
  REQUIRE_MESSAGE(parsed.rc == 0, parsed.out);
  CHECK(Has(parsed.out, "elements-not-allowed: 0"));
  CHECK(Has(parsed.out, "event-handler-attributes: 0"));
  CHECK(Has(parsed.out, "external-references: 0"));
  CHECK(Has(parsed.out, "print-css: A4 page-breaks"));
  CHECK(Has(parsed.out, "text-has: Decision supported"));

  // The screenshot: the right size, not blank, and its first table (the
  // evidence package: a header and 11 field rows) drawn with its row rules
  // and text in it.
  const std::string png = st.root + "/report.png";
  CmdResult shot = Run(Chromium(
      st.root, "--screenshot=" + png + " --window-size=1000,2000 " + "--hide-scrollbars " + url));
  REQUIRE_MESSAGE(shot.rc == 0, shot.out, ReadAll(st.root + "/chromium.log"));
  CmdResult m = Run(std::string("python3 ") + PNG_CHECK + " " + png);
  REQUIRE_MESSAGE(m.rc == 0, m.out);
  auto j = nlohmann::json::parse(m.out);
  INFO(m.out);
  CHECK(j["width"] == 1000);
  CHECK(j["height"] == 2000);
  CHECK(j["dark_rows"].get<int>() > 300);
  REQUIRE(j["header_bands"].size() >= 1);
  // Summary first, then the table: not at the very top of the page.
  CHECK(j["first_table"]["header_y"].get<int>() > 150);
  // 12 rows (header + 11 fields) need 13 rules; the screenshot may cut the
  // table's end, but never before most of its rows.
  CHECK(j["first_table"]["border_lines"].get<int>() >= 10);
  CHECK(j["first_table"]["text_dark_pixels"].get<int>() > 5000);

  // A blank page measures as blank: the check above is not trivially true.
  WriteAll(st.root + "/blank.html", "<!DOCTYPE html><html><body></body></html>", 0644);
  CmdResult blank =
      Run(Chromium(st.root, "--screenshot=" + st.root + "/blank.png" +
                                " --window-size=1000,2000 file://" + st.root + "/blank.html"));
  REQUIRE(blank.rc == 0);
  CmdResult mb = Run(std::string("python3 ") + PNG_CHECK + " " + st.root + "/blank.png");
  auto jb = nlohmann::json::parse(mb.out);
  CHECK(jb["dark_rows"] == 0);
  CHECK(jb["header_bands"].empty());

  // The DOM Chromium built: the package table with its rows as text, and no script.
  CmdResult dom = Run(Chromium(st.root, "--dump-dom " + url));
  REQUIRE_MESSAGE(dom.rc == 0, dom.out);
  CHECK(Has(dom.out, "<title>Audit report: IC-22 5.4.3</title>"));
  CHECK(Has(dom.out, "<th>Field</th><th>Content</th>"));
  for (const char* row :
       {"Decision supported", "Threat/failure mode addressed", "Practice/control supported",
        "Scope", "Evidence included", "Producer/source", "Consumer/recipient",
        "Verification method", "Known gaps", "Exceptions/risk acceptance", "Retention owner"})
    CHECK_MESSAGE(Has(dom.out, std::string("<tr><td>") + row + "</td><td>"), row);
  CHECK(Has(dom.out, "Approve IC-22 5.4.3 (from 5.4.2) for deployment"));
  CHECK_FALSE(Has(dom.out, "<script"));

  // Printed: A4 pages, a section a page.
  CmdResult pdf = Run(
      Chromium(st.root, "--no-pdf-header-footer --print-to-pdf=" + st.root + "/report.pdf " + url));
  REQUIRE_MESSAGE(pdf.rc == 0, pdf.out);
  std::string doc = ReadAll(st.root + "/report.pdf");
  REQUIRE(doc.rfind("%PDF-", 0) == 0);
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
  CHECK(pages >= 7);  // seven sections
}

}  // namespace
}  // namespace sr::testing
