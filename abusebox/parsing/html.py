"""Text of an HTML body, taken safely with the stdlib parser (nothing is rendered or fetched).

Script, style and other non-content elements are dropped; table rows become lines with
cells separated by tabs so that columns of a report table stay aligned; block elements
and ``<br>`` become line breaks. Character references are decoded by the parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "math", "object", "iframe"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "section", "article", "header", "footer", "hr", "dt", "dd", "table", "tbody",
    "thead", "tfoot", "address",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
MAX_HTML_CHARS = 5 * 1024 * 1024


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "tr":
            self.out.append("\n")
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.out.append("\t")
            self.cells += 1
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Plain text of ``html``: lines trimmed, runs of blank lines collapsed."""
    parser = _TextExtractor()
    parser.feed(html[:MAX_HTML_CHARS])
    parser.close()
    lines: list[str] = []
    for raw in "".join(parser.out).split("\n"):
        cells = [_SPACES.sub(" ", c).strip() for c in raw.split("\t")]
        line = "\t".join(cells).strip("\t").strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()
