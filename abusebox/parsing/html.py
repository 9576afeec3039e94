"""Text of an HTML body, taken with a bounded tokenizer (nothing is rendered or fetched).

Script, style and other non-content elements are dropped; table rows become lines with
cells separated by tabs so that columns of a report table stay aligned; block elements
and ``<br>`` become line breaks; character references are decoded.

We do not use ``html.parser.HTMLParser``: on Python 3.11 it is quadratic on unclosed
constructs (150 KB of ``<a `` took 143 s, ``<a/``, ``<a b="``, ``<!--`` repeated likewise),
which an attacker can mail us. Every pattern here is bounded, and each match consumes
what it scanned, so the whole pass is linear in the input.
"""

from __future__ import annotations

import html as html_lib
import re

_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "math", "object", "iframe"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "section", "article", "header", "footer", "hr", "dt", "dd", "table", "tbody",
    "thead", "tfoot", "address",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
MAX_HTML_CHARS = 5 * 1024 * 1024
# A comment runs to its end or to the end of input (as browsers do); declarations,
# processing instructions and tags may not contain another "<" and are at most 4096
# characters long (a longer "tag" is read as text: real tags are short).
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,63})(?:[\s/][^<>]{0,4096})?>"
    r"|<[!?][^<>]{0,4096}>",
    re.DOTALL,
)


class _Text:
    """Collects output pieces; knows the table-cell state."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.cells = 0
        self.in_cell = False

    def tag(self, name: str, closing: bool) -> None:
        if not closing and name == "tr":
            self.out.append("\n")
            self.cells = 0
            self.in_cell = False
        elif not closing and name in ("td", "th"):
            if self.cells:
                self.out.append("\t")
            self.cells += 1
            self.in_cell = True
        elif name in ("td", "th", "tr", "table"):
            self.in_cell = False
            if name == "table":
                self.out.append("\n")
        elif name in _BLOCK:
            # Outlook wraps each cell's text in <p class=MsoNormal>: a row stays one line.
            self.out.append(" " if self.in_cell else "\n")

    def data(self, text: str) -> None:
        if text:
            self.out.append(html_lib.unescape(text))


def _tokens(markup: str, into: _Text) -> None:
    pos = 0
    lower: str | None = None
    for m in _TOKEN.finditer(markup):
        if m.start() < pos:
            continue  # inside a skipped element
        into.data(markup[pos : m.start()])
        pos = m.end()
        name = (m.group(2) or "").lower()
        if not name:
            continue  # comment, declaration, processing instruction
        closing = bool(m.group(1))
        if name in _SKIP and not closing:
            # Skip to the matching end tag (or the end, as browsers do for unclosed script).
            lower = lower if lower is not None else markup.lower()
            close = lower.find("</" + name, pos)
            pos = len(markup) if close < 0 else close
            continue
        into.tag(name, closing)
    into.data(markup[pos:])


def html_to_text(html: str) -> str:
    """Plain text of ``html``: lines trimmed, runs of blank lines collapsed."""
    collected = _Text()
    _tokens(html[:MAX_HTML_CHARS], collected)
    lines: list[str] = []
    for raw in "".join(collected.out).split("\n"):
        cells = [_SPACES.sub(" ", c).strip() for c in raw.split("\t")]
        line = "\t".join(cells).strip("\t").strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()
