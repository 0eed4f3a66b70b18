// `ceremony print`: the script of a definition rendered for the people who
// will take part, to read before the day, as a render.h Document: Markdown,
// and a printable HTML page with a tick box per step and a signature line
// per participant. Every value from the definition is text (escaped by the
// Document). Pure.
#ifndef STRONGROOM_CEREMONIES_SCRIPT_DOCUMENT_H_
#define STRONGROOM_CEREMONIES_SCRIPT_DOCUMENT_H_

#include <string>

#include "ceremonies/definition.h"
#include "ceremonies/render.h"

namespace sr::ceremonies {

Document ScriptDocument(const Definition& def);

inline std::string RenderMarkdown(const Definition& def) { return ScriptDocument(def).Markdown(); }
inline std::string RenderHtml(const Definition& def) { return ScriptDocument(def).Html(); }

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_SCRIPT_DOCUMENT_H_
