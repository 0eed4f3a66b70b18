#!/usr/bin/env python3
"""Checks a transcript page (base/render.h; the audit report uses it too) with python's html.parser.

Prints one "key: value" line per finding, for the test to assert on:
  elements-not-allowed: N      elements outside the document builder's set
                               (a <script>, <img>, ... means markup got in)
  event-handler-attributes: N  on*= attributes
  external-references: N       src= / href= / url( / @import anywhere
  sections: N                  <section> elements
  signature-rows: N            signature blocks (class="signature-row")
  print-css: A4 page-breaks    when the style sheet has @page A4 and breaks
                               sections onto new pages in print
  text-has: LINE               each table cell's, item's and paragraph's
                               text, as a reader sees it (entities decoded)
Exit 1 when the page does not parse as a complete document.
Usage: check_html.py FILE.html
"""
import sys
from html.parser import HTMLParser

ALLOWED = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li",
           "table", "thead", "tbody", "tr", "th", "td", "pre", "div", "strong", "em", "section"}
TEXT_TAGS = {"td", "th", "li", "p", "h1", "h2", "h3", "title", "pre", "strong", "em"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad = []
        self.handlers = 0
        self.external = 0
        self.sections = 0
        self.signatures = 0
        self.stack = []
        self.texts = []
        self.style = ""
        self.closed_html = False

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            self.bad.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers += 1
            if name in ("src", "href", "action", "srcset"):
                self.external += 1
            if name == "class" and value == "signature-row":
                self.signatures += 1
        if tag == "section":
            self.sections += 1
        if tag != "meta":
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "html":
            self.closed_html = True
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        top = self.stack[-1] if self.stack else ""
        if top == "style":
            self.style += data
        elif top in TEXT_TAGS and data.strip():
            self.texts.append(data)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    p = Page()
    p.feed(text)
    p.close()
    if not text.startswith("<!DOCTYPE html>") or not p.closed_html:
        print("not a complete HTML document")
        return 1
    style = p.style.replace(" ", "")
    external = p.external + style.count("url(") + style.count("@import")
    print(f"elements-not-allowed: {len(p.bad)}")
    if p.bad:
        print(f"elements: {sorted(set(p.bad))}")
    print(f"event-handler-attributes: {p.handlers}")
    print(f"external-references: {external}")
    print(f"sections: {p.sections}")
    print(f"signature-rows: {p.signatures}")
    if "size:A4" in style and "break-before:page" in style:
        print("print-css: A4 page-breaks")
    for t in p.texts:
        for line in t.splitlines():
            print(f"text-has: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
