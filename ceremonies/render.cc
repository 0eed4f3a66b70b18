#include "ceremonies/render.h"

#include <algorithm>

namespace sr::ceremonies {
namespace {

namespace v1 = strongroom::v1;

std::string ActionText(const v1::CeremonyStep& s) {
  std::string a = "strongroom";
  for (const auto& arg : s.action()) a += " " + arg;
  return a;
}

// A Markdown code span that no backtick inside can close.
std::string CodeSpan(const std::string& s) {
  std::size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  std::string flat = s;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  return fence + " " + flat + " " + fence;
}

std::string Roles(const v1::CeremonyStep& s) {
  std::string r;
  for (const auto& c : s.confirm_roles()) r += (r.empty() ? "" : ", ") + c;
  return r;
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
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

std::string MarkdownEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\`*_{}[]()#+-.!|<>&~").find(c) != std::string_view::npos) out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string RenderMarkdown(const Definition& def) {
  const auto& c = def.ceremony;
  std::string md = "# Ceremony " + MarkdownEscape(c.name()) + " (" + KindName(c.kind()) + ")\n\n";
  if (!c.description().empty()) md += MarkdownEscape(c.description()) + "\n\n";
  md += "Definition sha256: `" + def.sha256 + "`\n\n## Roles\n\n";
  for (const auto& r : c.roles())
    md += "- " + MarkdownEscape(r.name()) + ": at least " + std::to_string(r.min_present()) +
          " present\n";
  if (c.custodian_threshold() > 0)
    md += "- custodians: " + std::to_string(c.custodian_threshold()) + " must be present\n";
  md += "\n## Participants\n\n| Name | Role | Key fingerprint (SHA-256) |\n| --- | --- | --- |\n";
  for (int i = 0; i < c.participants_size(); ++i)
    md += "| " + MarkdownEscape(c.participants(i).name()) + " | " +
          MarkdownEscape(c.participants(i).role()) + " | `" +
          def.keys[static_cast<std::size_t>(i)].fingerprint() + "` |\n";
  if (c.parameters_size() > 0) {
    md += "\n## Parameters\n\n";
    for (const auto& p : c.parameters())
      md += "- `" + p.name() + "`: " + MarkdownEscape(p.description()) +
            (p.default_value().empty() ? " (required)"
                                       : " (default " + CodeSpan(p.default_value()) + ")") +
            "\n";
  }
  md += "\n## Steps\n";
  for (int i = 0; i < c.steps_size(); ++i) {
    const auto& s = c.steps(i);
    md += "\n### " + std::to_string(i + 1) + ". " + MarkdownEscape(s.name()) + "\n\n" +
          MarkdownEscape(s.instruction()) + "\n\n";
    if (s.action_size() > 0) md += "- Action: " + CodeSpan(ActionText(s)) + "\n";
    if (s.expected_exit_code() != 0)
      md += "- Expected exit code: " + std::to_string(s.expected_exit_code()) + "\n";
    for (const auto& o : s.expected_outputs()) md += "- Output: " + CodeSpan(o) + "\n";
    if (s.confirm_roles_size() > 0) md += "- Confirmed by: " + MarkdownEscape(Roles(s)) + "\n";
  }
  return md;
}

std::string RenderHtml(const Definition& def) {
  const auto& c = def.ceremony;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Ceremony " +
      HtmlEscape(c.name()) +
      "</title>\n<style>body{font-family:serif;max-width:48em;margin:2em auto}"
      "code{font-family:monospace;white-space:pre-wrap;word-break:break-all}"
      "table{border-collapse:collapse}td,th{border:1px solid #444;padding:.3em}"
      ".sig{height:2.5em;min-width:12em}.step{page-break-inside:avoid}"
      "@media print{a{color:black}}</style></head><body>\n";
  h += "<h1>Ceremony " + HtmlEscape(c.name()) + " (" + HtmlEscape(KindName(c.kind())) + ")</h1>\n";
  if (!c.description().empty()) h += "<p>" + HtmlEscape(c.description()) + "</p>\n";
  h += "<p>Definition sha256: <code>" + def.sha256 + "</code></p>\n<h2>Roles</h2><ul>\n";
  for (const auto& r : c.roles())
    h += "<li>" + HtmlEscape(r.name()) + ": at least " + std::to_string(r.min_present()) +
         " present</li>\n";
  if (c.custodian_threshold() > 0)
    h += "<li>custodians: " + std::to_string(c.custodian_threshold()) + " must be present</li>\n";
  h += "</ul>\n<h2>Participants</h2>\n<table><tr><th>Name</th><th>Role</th><th>Key fingerprint "
       "(SHA-256)</th><th>Signature</th></tr>\n";
  for (int i = 0; i < c.participants_size(); ++i)
    h += "<tr><td>" + HtmlEscape(c.participants(i).name()) + "</td><td>" +
         HtmlEscape(c.participants(i).role()) + "</td><td><code>" +
         def.keys[static_cast<std::size_t>(i)].fingerprint() +
         "</code></td><td class=\"sig\"></td></tr>\n";
  h += "</table>\n";
  if (c.parameters_size() > 0) {
    h += "<h2>Parameters</h2><ul>\n";
    for (const auto& p : c.parameters())
      h += "<li><code>" + HtmlEscape(p.name()) + "</code>: " + HtmlEscape(p.description()) +
           (p.default_value().empty()
                ? " (required)"
                : " (default <code>" + HtmlEscape(p.default_value()) + "</code>)") +
           "</li>\n";
    h += "</ul>\n";
  }
  h += "<h2>Steps</h2>\n";
  for (int i = 0; i < c.steps_size(); ++i) {
    const auto& s = c.steps(i);
    h += "<div class=\"step\"><h3>&#9744; " + std::to_string(i + 1) + ". " + HtmlEscape(s.name()) +
         "</h3>\n<p>" + HtmlEscape(s.instruction()) + "</p>\n<ul>";
    if (s.action_size() > 0) h += "<li>Action: <code>" + HtmlEscape(ActionText(s)) + "</code></li>";
    if (s.expected_exit_code() != 0)
      h += "<li>Expected exit code: " + std::to_string(s.expected_exit_code()) + "</li>";
    for (const auto& o : s.expected_outputs())
      h += "<li>Output: <code>" + HtmlEscape(o) + "</code></li>";
    if (s.confirm_roles_size() > 0) h += "<li>Confirmed by: " + HtmlEscape(Roles(s)) + "</li>";
    h += "</ul></div>\n";
  }
  h += "<h2>Signatures</h2>\n<p>We took part in this ceremony as written above.</p>\n<table>"
       "<tr><th>Name</th><th>Role</th><th>Date</th><th>Signature</th></tr>\n";
  for (const auto& p : c.participants())
    h += "<tr><td>" + HtmlEscape(p.name()) + "</td><td>" + HtmlEscape(p.role()) +
         "</td><td class=\"sig\"></td><td class=\"sig\"></td></tr>\n";
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace sr::ceremonies
