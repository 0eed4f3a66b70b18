// `ceremony print`: the script of a definition rendered for the people
// who will take part, to read before the day: Markdown, and a printable HTML
// page with a signature line per participant and a tick box per step.
// Every value from the definition is escaped (HTML entities; Markdown
// punctuation backslash-escaped, and actions in code spans). Pure.
#ifndef STRONGROOM_CEREMONIES_RENDER_H_
#define STRONGROOM_CEREMONIES_RENDER_H_

#include <string>
#include <string_view>

#include "ceremonies/definition.h"

namespace sr::ceremonies {

std::string RenderMarkdown(const Definition& def);
std::string RenderHtml(const Definition& def);

std::string HtmlEscape(std::string_view s);
std::string MarkdownEscape(std::string_view s);

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_RENDER_H_
