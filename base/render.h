// A small document builder that renders one document both as Markdown and as
// a self-contained, printable HTML page: for ceremony transcripts, ceremony
// scripts printed for a witness, and anything else the station hands to
// people who sign it on paper, and the auditor's report (audit/report.h).
// In base/ so both ceremonies/ and audit/ (siblings) use it.
//
// Every string given to a Document is plain text, never markup: the
// renderers escape it (HTML entities; Markdown backslash escapes, with '|'
// escaped in table cells), replace control characters and invalid UTF-8, so
// names and values from a log or a definition file (which anyone may have
// typed) can neither inject markup nor break the layout.
//
// The HTML page has no external resources and no script (its
// Content-Security-Policy forbids both), and print CSS for A4: each section
// starts on a new page, tables repeat their header row, rows and signature
// blocks are not split across pages. Not thread-safe; cheap to copy.
#ifndef STRONGROOM_BASE_RENDER_H_
#define STRONGROOM_BASE_RENDER_H_

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sr {

// One line to sign on: who (printed under the line) and in which role.
struct SignatureLine {
  std::string name;  // may be empty: a line for a name written by hand
  std::string role;
  std::string note;  // e.g. "typed name, not authenticated"; may be empty
};

class Document {
 public:
  explicit Document(std::string title) : title_(std::move(title)) {}

  // Starts a new section (Markdown "##", HTML <section><h2>; a new page in print).
  Document& Section(std::string heading);
  // A heading inside the current section (Markdown "###", HTML <h3>).
  Document& Subheading(std::string text);
  Document& Paragraph(std::string text);
  // A bulleted list.
  Document& List(std::vector<std::string> items);
  // A table. Rows shorter than the header are padded with empty cells;
  // longer ones are cut to the header's width.
  Document& Table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  // Preformatted text (a command, a key, a digest): kept verbatim in a
  // Markdown fence longer than any backtick run inside it.
  Document& Code(std::string text);
  // Lines to sign by hand, each with a date line.
  Document& Signatures(std::vector<SignatureLine> lines);

  const std::string& title() const { return title_; }
  std::string Markdown() const;
  std::string Html() const;

 private:
  struct Heading {
    std::string text;
    bool section;
  };
  struct Para {
    std::string text;
  };
  struct Items {
    std::vector<std::string> items;
  };
  struct Grid {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
  };
  struct Pre {
    std::string text;
  };
  struct Signs {
    std::vector<SignatureLine> lines;
  };
  using Block = std::variant<Heading, Para, Items, Grid, Pre, Signs>;

  std::string title_;
  std::vector<Block> blocks_;
};

// Plain text made safe to print: invalid UTF-8 replaced, control characters
// (except '\n' and '\t' when keep_newlines) replaced by U+FFFD.
std::string CleanText(std::string_view s, bool keep_newlines);
// Text for an HTML element or a quoted attribute: & < > " ' as entities.
std::string EscapeHtml(std::string_view s);
// Text for one Markdown line: every ASCII punctuation character that
// CommonMark or GFM could read as markup is backslash-escaped; newlines
// become spaces.
std::string EscapeMarkdown(std::string_view s);

}  // namespace sr

#endif  // STRONGROOM_BASE_RENDER_H_
