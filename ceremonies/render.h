// The document renderer (Markdown and printable HTML) moved to base/render.h
// so the auditor's report (audit/, which may not include ceremonies/) renders
// with it too; the ceremonies' names for it stay.
#ifndef STRONGROOM_CEREMONIES_RENDER_H_
#define STRONGROOM_CEREMONIES_RENDER_H_

#include "base/render.h"

namespace sr::ceremonies {

using sr::CleanText;
using sr::Document;
using sr::EscapeHtml;
using sr::EscapeMarkdown;
using sr::SignatureLine;

}  // namespace sr::ceremonies

#endif  // STRONGROOM_CEREMONIES_RENDER_H_
