// `strongroom ceremony transcript` end to end: the binary against a real log
// holding a ceremony's events; every proof it writes checked with the
// binary's own `log verify-proof`, as the transcript tells an auditor to.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "ceremonies/render.h"
#include "log/reader.h"
#include "log/record.h"
#include "tests/ceremonies/ceremony_log.h"
#include "tests/testing/files.h"
#include "tests/testing/run.h"

namespace sr::ceremonies {
namespace {

using sr::testing::CeremonyLog;
using sr::testing::CmdResult;
using sr::testing::kCeremonyId;
using sr::testing::ReadAll;
using sr::testing::Run;

const std::string kBin = STRONGROOM_BINARY;
const std::string kHtmlCheck =
    std::string(STRONGROOM_SOURCE_DIR) + "/tests/ceremonies/check_html.py";

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

CmdResult Transcript(const CeremonyLog& l, const std::string& id, const std::string& out,
                     bool json = false) {
  return Run(kBin + (json ? " --json" : "") + " ceremony transcript --log " + l.dir + " --vkey '" +
             l.vkey + "' --ceremony '" + id + "' --out " + out);
}

TEST_CASE("ceremony transcript: lists participants, steps, outputs, exceptions and the outcome") {
  CeremonyLog l;
  CmdResult r = Transcript(l, kCeremonyId, l.t.Sub("kr.md"));
  REQUIRE_MESSAGE(r.rc == 0, r.out);
  CHECK(Has(r.out, "6 events"));
  std::string md = ReadAll(l.t.Sub("kr.md"));
  std::string html = ReadAll(l.t.Sub("kr.html"));
  INFO(md);

  // Participants: authenticated with role and key; typed names marked.
  CHECK(Has(md, "| Alice Admin | ceremony-administrator | " + sr::testing::kAliceFp));
  CHECK(Has(md, EscapeMarkdown(sr::testing::kHostileName) + " | internal-witness | " +
                    sr::testing::kEveFp));
  CHECK(Has(md, "| " + EscapeMarkdown(sr::testing::kHostileOperator) +
                    " | NOT authenticated (typed name) | 1, 2 |"));
  CHECK(Has(md, "### Typed names (--operator): NOT authenticated"));
  // Steps: action, exit code, outcome, confirmation; outputs with digests.
  CHECK(Has(md,
            "| 1 | generate the new release key | key generate --label "
            "ic22-release-2027 --algorithm ecdsa-p256 | 0 | completed |"));
  CHECK(Has(md,
            "| 2 | export the public key | key export --label ic22-release-2027 | 5 | "
            "failed | (none) | 6 |"));
  CHECK(Has(md, "| 1 | public-key | ic22-release-2027.pub | " + sr::testing::kOutputSha + " |"));
  // The exception and the outcome.
  CHECK(Has(md,
            "| 5 | 2026-12-06T09:00:00Z | 2 export the public key | action-failed | "
            "exit code 5: the token was removed |"));
  CHECK(Has(md, "| Outcome | aborted |"));
  CHECK(Has(md, "| Reason | step 2 failed |"));
  // The definition it ran.
  CHECK(Has(md, "| Definition SHA-256 | " + std::string(64, 'd') + " |"));
  // Every event of the ceremony, including what its steps wrote (event 3),
  // and nothing of another ceremony or none.
  for (int i : {1, 2, 3, 5, 6, 7}) {
    CHECK(Has(md, "kr.proofs/event-" + std::to_string(i) + ".tlog-proof"));
    CHECK(std::filesystem::exists(l.t.Sub("kr.proofs/event-" + std::to_string(i) + ".tlog-proof")));
  }
  for (int i : {0, 4}) {
    CHECK_FALSE(Has(md, "event-" + std::to_string(i) + ".tlog-proof"));
    CHECK_FALSE(
        std::filesystem::exists(l.t.Sub("kr.proofs/event-" + std::to_string(i) + ".tlog-proof")));
  }
  CHECK(Has(md, "| 3 | 2026-12-06T09:00:00Z | KEY\\_GENERATED | ic22-release-2027 ecdsa"));
  // Signature lines: each participant, each typed name, and the witness.
  CHECK(Has(md, "ceremony-administrator: Alice Admin (authenticated, key aaaaaaaaaaaaaaaa)"));
  CHECK(Has(md, "Operator: " + EscapeMarkdown(sr::testing::kHostileOperator) +
                    " (typed name, not authenticated)"));
  CHECK(Has(md, "\nWitness\n\nSignature: "));

  // The same content in the HTML page, as text.
  CHECK(Has(html, "<td>Alice Admin</td><td>ceremony-administrator</td><td>" +
                      sr::testing::kAliceFp + "</td>"));
  CHECK(Has(html, "<td>NOT authenticated (typed name)</td>"));
  CHECK(Has(html, "<td>aborted</td>"));
  CHECK(Has(html, "<td>action-failed</td>"));
}

TEST_CASE("ceremony transcript: every proof it names verifies with the command it prints") {
  CeremonyLog l;
  REQUIRE(Transcript(l, kCeremonyId, l.t.Sub("kr")).rc == 0);
  std::string md = ReadAll(l.t.Sub("kr.md"));
  std::istringstream lines(md);
  std::string line;
  int verified = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("strongroom log verify-proof ", 0) != 0) continue;
    // Run exactly the printed command, from the transcript's folder.
    CmdResult r =
        Run("cd " + l.t.path() + " && " + kBin + line.substr(std::string("strongroom").size()));
    CHECK_MESSAGE(r.rc == 0, line, "\n", r.out);
    CHECK(Has(r.out, "proof verified: event "));
    CHECK(Has(r.out, " is in strongroom.test/ceremony at tree size 8"));
    ++verified;
  }
  CHECK(verified == 6);
  // The checkpoint the transcript names is the one the proofs carry.
  std::string cp = ReadAll(l.t.Sub("kr.proofs/checkpoint"));
  CHECK(Has(ReadAll(l.t.Sub("kr.proofs/event-2.tlog-proof")), cp));
  CHECK(Has(md, "kr.proofs/checkpoint"));

  // A proof checked against another event's bytes fails: the proofs are
  // about these events.
  std::string other = l.t.Sub("event3.bin");
  auto r = log::LogReader::Open(l.dir);
  REQUIRE(r.ok());
  sr::testing::WriteAll(other, *r->ReadEvent(3));
  CmdResult bad = Run(kBin + " log verify-proof " + l.t.Sub("kr.proofs/event-2.tlog-proof") +
                      " --vkey '" + l.vkey + "' --event " + other);
  CHECK(bad.rc == 1);
}

TEST_CASE("ceremony transcript: a run without CEREMONY_COMPLETED is shown as not finished") {
  CeremonyLog l(/*events=*/3);  // started, step 1, its KEY_GENERATED
  CmdResult r = Transcript(l, kCeremonyId, l.t.Sub("kr"));
  REQUIRE_MESSAGE(r.rc == 0, r.out);
  std::string md = ReadAll(l.t.Sub("kr.md"));
  CHECK(Has(md, "## Outcome\n\nNOT FINISHED: no CEREMONY\\_COMPLETED event"));
  CHECK(Has(md, "## Exceptions\n\nNone recorded"));
  CHECK_FALSE(Has(md, "| Steps completed |"));
}

TEST_CASE("ceremony transcript: a tampered log is refused and nothing is written") {
  CeremonyLog l;
  auto r = log::LogReader::Open(l.dir);
  REQUIRE(r.ok());
  std::uint64_t off = *r->Offset(6);
  std::string ev = ReadAll(JoinPath(l.dir, log::kEventsFile));
  // The step's exit code rewritten, its record checksum recomputed with it
  // would still leave the root wrong; a plain flip fails the checksum.
  ev[off + 20] ^= 0x01;
  sr::testing::WriteAll(JoinPath(l.dir, log::kEventsFile), ev);
  CmdResult bad = Transcript(l, kCeremonyId, l.t.Sub("kr"));
  CHECK(bad.rc == 6);
  CHECK_MESSAGE(Has(bad.out, "the log does not verify against its signed checkpoint"), bad.out);
  CHECK_MESSAGE(Has(bad.out, "event 6"), bad.out);
  CHECK_FALSE(std::filesystem::exists(l.t.Sub("kr.md")));
  CHECK_FALSE(std::filesystem::exists(l.t.Sub("kr.html")));
  CHECK_FALSE(std::filesystem::exists(l.t.Sub("kr.proofs")));
}

TEST_CASE("ceremony transcript: a verifier key that is not the log's is refused") {
  CeremonyLog l, other;
  CmdResult bad = Run(kBin + " ceremony transcript --log " + l.dir + " --vkey '" + other.vkey +
                      "' --ceremony " + kCeremonyId + " --out " + l.t.Sub("kr"));
  CHECK(bad.rc == 6);
  CHECK_MESSAGE(Has(bad.out, "does not verify with the verifier key you gave"), bad.out);
  CHECK_FALSE(std::filesystem::exists(l.t.Sub("kr.md")));
}

TEST_CASE("ceremony transcript: an unknown ceremony id is refused with the ids the log holds") {
  CeremonyLog l;
  CmdResult bad = Transcript(l, "kr-2025-01", l.t.Sub("kr"));
  CHECK(bad.rc == 4);
  CHECK_MESSAGE(Has(bad.out,
                    "ceremony 'kr-2025-01' is not in the log (8 events under its signed "
                    "checkpoint); ceremonies in the log: kr-2026-12, other-ceremony"),
                bad.out);
  CHECK_FALSE(std::filesystem::exists(l.t.Sub("kr.md")));
  CmdResult js = Transcript(l, "kr-2025-01", l.t.Sub("kr"), /*json=*/true);
  CHECK(js.rc == 4);
  CHECK(Has(js.out, "\"code\":\"not found\""));
}

TEST_CASE(
    "ceremony transcript: the HTML page is self-contained, printable, and shows markup as text") {
  CeremonyLog l;
  REQUIRE(Transcript(l, kCeremonyId, l.t.Sub("kr")).rc == 0);
  CmdResult r = Run("python3 " + kHtmlCheck + " " + l.t.Sub("kr.html"));
  REQUIRE_MESSAGE(r.rc == 0, r.out);
  INFO(r.out);
  // check_html.py prints one "key: value" line per finding.
  CHECK(Has(r.out, "elements-not-allowed: 0\n"));
  CHECK(Has(r.out, "event-handler-attributes: 0\n"));
  CHECK(Has(r.out, "external-references: 0\n"));
  CHECK(Has(r.out, "sections: 7\n"));
  // 2 authenticated + 1 typed name + the witness.
  CHECK(Has(r.out, "signature-rows: 4\n"));
  CHECK(Has(r.out, "print-css: A4 page-breaks\n"));
  CHECK(Has(r.out, "text-has: " + sr::testing::kHostileName + "\n"));
  CHECK(Has(r.out, "text-has: " + sr::testing::kHostileOperator + "\n"));
}

TEST_CASE("render: escaping leaves no markup in Markdown or HTML") {
  Document d("t <b>");
  d.Section("# not a heading").Paragraph("1. not a list | <script>x</script> & `code` *em*");
  d.Table({"a|b"}, {{"c|d", "dropped"}});
  d.Code("```\ninside\n");
  std::string md = d.Markdown();
  CHECK(Has(md, "# t \\<b\\>\n"));
  CHECK(Has(md, "## \\# not a heading\n"));
  CHECK(Has(md, "1\\. not a list \\| \\<script\\>x\\</script\\> \\& \\`code\\` \\*em\\*\n"));
  CHECK(Has(md, "| a\\|b |\n| --- |\n| c\\|d |\n"));
  CHECK_FALSE(Has(md, "dropped"));
  CHECK(Has(md, "````\n```\ninside\n````\n"));
  std::string html = d.Html();
  CHECK(Has(html, "<title>t &lt;b&gt;</title>"));
  CHECK(Has(html, "&lt;script&gt;x&lt;/script&gt; &amp; `code`"));
  CHECK_FALSE(Has(html, "<script>"));
  // Control characters and bidi overrides never reach the page.
  CHECK(EscapeHtml(CleanText("a\x1b[31mb\xe2\x80\xae"
                             "c\xff",
                             false)) ==
        "a\xEF\xBF\xBD[31mb\xEF\xBF\xBD"
        "c\xEF\xBF\xBD");
}

}  // namespace
}  // namespace sr::ceremonies
