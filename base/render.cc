#include "base/render.h"

#include <algorithm>
#include <cstring>

#include "base/encoding.h"

namespace sr {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Characters that print nothing yet change what the reader sees: C1
// controls, and the bidirectional overrides and isolates (U+202A..U+202E,
// U+2066..U+2069) that can make a name read backwards on paper.
bool Deceptive(std::string_view seq) {
  if (seq.size() == 2)
    return static_cast<unsigned char>(seq[0]) == 0xC2 && static_cast<unsigned char>(seq[1]) < 0xA0;
  if (seq.size() != 3 || static_cast<unsigned char>(seq[0]) != 0xE2) return false;
  auto b1 = static_cast<unsigned char>(seq[1]), b2 = static_cast<unsigned char>(seq[2]);
  return (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) || (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9);
}

std::string MdCell(std::string_view s) { return EscapeMarkdown(s); }

// A Markdown fence longer than any run of backticks in text (at least 3).
std::string FenceFor(std::string_view text) {
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

constexpr std::string_view kStyle = R"css(
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt;
       color: #000; background: #fff; margin: 2em auto; max-width: 190mm; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 0.6em 0; }
h2 { font-size: 14pt; border-bottom: 1px solid #000; padding-bottom: 2pt; margin-top: 1.4em; }
h3 { font-size: 11.5pt; margin: 1.1em 0 0.4em 0; }
p, li { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em 0; }
th, td { border: 1px solid #555; padding: 3pt 5pt; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #e8e8e8; overflow-wrap: normal; }
td:first-child { overflow-wrap: normal; }
pre { background: #f4f4f4; border: 1px solid #bbb; padding: 5pt; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 9pt; }
code, pre, td { font-variant-ligatures: none; }
.signatures { margin-top: 1em; }
.signature { display: flex; gap: 8mm; margin: 0 0 9mm 0; break-inside: avoid;
             page-break-inside: avoid; }
.signature .line { flex: 3; border-bottom: 1px solid #000; height: 14mm; }
.signature .date { flex: 1; border-bottom: 1px solid #000; height: 14mm; }
.signature .who { font-size: 9.5pt; }
.signature-row { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
@media print {
  body { margin: 0; max-width: none; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  tr, pre { break-inside: avoid; page-break-inside: avoid; }
}
)css";

}  // namespace

std::string CleanText(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = Utf8SequenceAt(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    std::string_view seq = s.substr(i, n);
    i += n;
    unsigned char c = static_cast<unsigned char>(seq[0]);
    if (n == 1 && (c < 0x20 || c == 0x7F)) {
      if (keep_newlines && (c == '\n' || c == '\t')) {
        out += seq;
      } else if (c == '\r' && keep_newlines) {
        continue;  // CRLF -> LF
      } else {
        out += kReplacement;
      }
      continue;
    }
    if (Deceptive(seq)) {
      out += kReplacement;
      continue;
    }
    out += seq;
  }
  return out;
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeMarkdown(std::string_view s) {
  std::string clean = CleanText(s, /*keep_newlines=*/false);
  std::string out;
  out.reserve(clean.size() + 16);
  // What a line may start with to become a heading, list, quote or rule.
  std::size_t lead = 0;
  while (lead < clean.size() && clean[lead] == ' ') ++lead;
  std::size_t digits = lead;
  while (digits < clean.size() && clean[digits] >= '0' && clean[digits] <= '9') ++digits;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    char c = clean[i];
    bool markup = (c != '\0' && std::strchr("\\`*_[]<>|~&", c) != nullptr) ||
                  (i == lead && c != '\0' && std::strchr("#+-=", c) != nullptr) ||
                  (i == digits && digits > lead && (c == '.' || c == ')'));
    if (markup) out += '\\';
    out += c;
  }
  return out;
}

Document& Document::Section(std::string heading) {
  blocks_.emplace_back(Heading{std::move(heading), true});
  return *this;
}

Document& Document::Subheading(std::string text) {
  blocks_.emplace_back(Heading{std::move(text), false});
  return *this;
}

Document& Document::Paragraph(std::string text) {
  blocks_.emplace_back(Para{std::move(text)});
  return *this;
}

Document& Document::List(std::vector<std::string> items) {
  blocks_.emplace_back(Items{std::move(items)});
  return *this;
}

Document& Document::Table(std::vector<std::string> header,
                          std::vector<std::vector<std::string>> rows) {
  for (auto& r : rows) r.resize(header.size());
  blocks_.emplace_back(Grid{std::move(header), std::move(rows)});
  return *this;
}

Document& Document::Code(std::string text) {
  blocks_.emplace_back(Pre{std::move(text)});
  return *this;
}

Document& Document::Signatures(std::vector<SignatureLine> lines) {
  blocks_.emplace_back(Signs{std::move(lines)});
  return *this;
}

std::string Document::Markdown() const {
  std::string md = "# " + EscapeMarkdown(title_) + "\n";
  for (const Block& b : blocks_) {
    md += "\n";
    if (const auto* h = std::get_if<Heading>(&b)) {
      md += (h->section ? "## " : "### ") + EscapeMarkdown(h->text) + "\n";
    } else if (const auto* p = std::get_if<Para>(&b)) {
      md += EscapeMarkdown(p->text) + "\n";
    } else if (const auto* l = std::get_if<Items>(&b)) {
      for (const auto& item : l->items) md += "- " + EscapeMarkdown(item) + "\n";
    } else if (const auto* t = std::get_if<Grid>(&b)) {
      auto row = [](const std::vector<std::string>& cells) {
        std::string line = "|";
        for (const auto& c : cells) line += " " + MdCell(c) + " |";
        return line + "\n";
      };
      md += row(t->header);
      md += "|";
      for (std::size_t i = 0; i < t->header.size(); ++i) md += " --- |";
      md += "\n";
      for (const auto& r : t->rows) md += row(r);
    } else if (const auto* c = std::get_if<Pre>(&b)) {
      std::string text = CleanText(c->text, /*keep_newlines=*/true);
      std::string fence = FenceFor(text);
      if (!text.empty() && text.back() != '\n') text += '\n';
      md += fence + "\n" + text + fence + "\n";
    } else if (const auto* s = std::get_if<Signs>(&b)) {
      for (const auto& line : s->lines) {
        md += "\n" + EscapeMarkdown(line.role) +
              (line.name.empty() ? std::string() : ": " + EscapeMarkdown(line.name)) +
              (line.note.empty() ? std::string() : " (" + EscapeMarkdown(line.note) + ")") +
              "\n\nSignature: "
              "\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_"
              "\\_\\_\\_\\_  Date: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\n";
      }
    }
  }
  return md;
}

std::string Document::Html() const {
  auto text = [](std::string_view s) { return EscapeHtml(CleanText(s, false)); };
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      text(title_) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<h1>" +
      text(title_) + "</h1>\n";
  bool in_section = false;
  for (const Block& b : blocks_) {
    if (const auto* hd = std::get_if<Heading>(&b)) {
      if (hd->section) {
        if (in_section) h += "</section>\n";
        h += "<section>\n<h2>" + text(hd->text) + "</h2>\n";
        in_section = true;
      } else {
        h += "<h3>" + text(hd->text) + "</h3>\n";
      }
    } else if (const auto* p = std::get_if<Para>(&b)) {
      h += "<p>" + text(p->text) + "</p>\n";
    } else if (const auto* l = std::get_if<Items>(&b)) {
      h += "<ul>\n";
      for (const auto& item : l->items) h += "<li>" + text(item) + "</li>\n";
      h += "</ul>\n";
    } else if (const auto* t = std::get_if<Grid>(&b)) {
      h += "<table>\n<thead><tr>";
      for (const auto& c : t->header) h += "<th>" + text(c) + "</th>";
      h += "</tr></thead>\n<tbody>\n";
      for (const auto& r : t->rows) {
        h += "<tr>";
        for (const auto& c : r) h += "<td>" + text(c) + "</td>";
        h += "</tr>\n";
      }
      h += "</tbody>\n</table>\n";
    } else if (const auto* c = std::get_if<Pre>(&b)) {
      h += "<pre>" + EscapeHtml(CleanText(c->text, true)) + "</pre>\n";
    } else if (const auto* s = std::get_if<Signs>(&b)) {
      h += "<div class=\"signatures\">\n";
      for (const auto& line : s->lines) {
        h += "<div class=\"signature-row\"><div class=\"who\"><strong>" + text(line.role) +
             "</strong>" + (line.name.empty() ? std::string() : ": " + text(line.name)) +
             (line.note.empty() ? std::string() : " <em>(" + text(line.note) + ")</em>") +
             "</div>\n<div class=\"signature\"><div class=\"line\"></div>"
             "<div class=\"date\"></div></div>\n"
             "<div class=\"who\">signature &#8195;&#8195;&#8195;&#8195;&#8195;&#8195;&#8195;"
             "&#8195;&#8195;&#8195;&#8195;&#8195;&#8195;&#8195;&#8195; date</div></div>\n";
      }
      h += "</div>\n";
    }
  }
  if (in_section) h += "</section>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace sr
