"""The one text view extraction and triage share: HTML as text, quoted words, normalisation.

HTML is read with a bounded tokenizer (nothing is rendered or fetched): script, style and
other non-content elements are dropped; table rows become lines with cells separated by
tabs so that columns of a report table stay aligned; block elements and ``<br>`` become
line breaks; character references are decoded. We do not use ``html.parser.HTMLParser``:
on Python 3.11 it is quadratic on unclosed constructs (150 KB of ``<a `` took 143 s,
``<a/``, ``<a b="``, ``<!--`` repeated likewise), which an attacker can mail us. Every
pattern here is bounded, and each match consumes what it scanned, so a pass is linear.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from abusebox.core.models import TextPart

# --- HTML to text --------------------------------------------------------------------

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
    r"|<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,63})([\s/][^<>]{0,4096})?>"
    r"|<[!?][^<>]{0,4096}>",
    re.DOTALL,
)
_HREF = re.compile(r"\bhref\s?=\s?[\"']?([^\"'\s<>]{1,300})", re.IGNORECASE)


class _Text:
    """Collects output pieces; knows the table-cell state."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.link_at: set[int] = set()  # indices in ``out`` of link targets (links=True only)
        self.cells = 0
        self.in_cell = False

    def tag(self, name: str, closing: bool, attributes: str) -> None:
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
        elif name == "a" and not closing:
            href = _HREF.search(attributes)
            if href:
                self.link_at.add(len(self.out))
                self.out.append(f" {html_lib.unescape(href.group(1))} ")

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
        into.tag(name, closing, m.group(3) or "")
    into.data(markup[pos:])


@functools.lru_cache(maxsize=4)
def _collected(markup: str) -> _Text:
    """The tokenised markup, once per message: extraction and triage both read it."""
    collected = _Text()
    _tokens(markup[:MAX_HTML_CHARS], collected)
    return collected


@functools.lru_cache(maxsize=8)
def html_to_text(markup: str, *, links: bool = False) -> str:
    """Plain text of ``markup``: lines trimmed, runs of blank lines collapsed.

    ``links=True`` writes each link's target before its words: "本人確認はこちら" says
    nothing of where it leads, and the triage lure rules need the live link. Extraction
    leaves it off, so that a link's host is not read as an address the report states.
    Both views come from one tokenisation; each is built once per markup (cached).
    """
    collected = _collected(markup)
    pieces = collected.out
    if not links and collected.link_at:
        pieces = [piece for i, piece in enumerate(pieces) if i not in collected.link_at]
    lines: list[str] = []
    for raw in "".join(pieces).split("\n"):
        cells = [_SPACES.sub(" ", c).strip() for c in raw.split("\t")]
        line = "\t".join(cells).strip("\t").strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def readable_parts(parts: Sequence[TextPart], *, links: bool = False) -> list[TextPart]:
    """``parts`` with HTML turned into text (``links`` as in html_to_text).

    An HTML body is left out when the body has a non-empty text/plain part: that
    alternative says the same (an empty one says nothing, so the HTML is read then).
    """
    has_plain = any(p.origin == "body" and p.content_type == "text/plain" and p.text.strip() for p in parts)
    chosen: list[TextPart] = []
    for part in parts:
        if part.content_type == "text/html":
            if has_plain and part.origin == "body":
                continue
            part = replace(part, text=html_to_text(part.text, links=links), content_type="text/plain")
        chosen.append(part)
    return chosen


# --- quoted and forwarded words -------------------------------------------------------

_FORWARD_WORDS = (
    r"forwarded message|begin forwarded message|original message|転送(?:された)?メッセージ|元のメッセージ"
)
# The line that opens a forwarded message ("---------- Forwarded message ---------",
# "-----Original Message-----", "-----転送メッセージ-----", "Begin forwarded message:").
FORWARD_MARKER = re.compile(
    rf"^[ \t\u3000>]*+(?:-{{2,}}\s*(?:{_FORWARD_WORDS})\s*-{{2,}}|Begin forwarded message:)[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# A line after which the words are someone else's: a reply attribution ("On Mon, 2 Mar
# 2026, Bob <bob@example.org> wrote:", "2026年3月2日 14:00 山田さんは書きました:") or a
# forwarded-message marker, in the looser forms mail clients write them.
_QUOTE_HEADER = re.compile(
    r"^[ \t\u3000>]*+(?:"
    r".{0,200}(?:wrote\s?[:：]|さんは書きました\s?[:：]?)[ \t]*$"
    rf"|-{{2,}}\s*(?:{_FORWARD_WORDS})\s*-{{2,}}"
    r"|begin forwarded message:"
    r"|\[\s*offending message\s*\]"
    r"|-{3,}\s*(?:転送|original))",
    re.MULTILINE | re.IGNORECASE,
)


def is_quote_header(line: str) -> bool:
    """True when ``line`` says that quoted or forwarded words follow it."""
    return _QUOTE_HEADER.match(line) is not None


def own_words(text: str) -> str:
    """``text`` up to its first quote header, without ``>``-quoted lines: the writer's words."""
    header = _QUOTE_HEADER.search(text)
    if header is not None:
        text = text[: header.start()].rstrip()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


# --- normalisation --------------------------------------------------------------------

_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with A-Z lowered and every other character as it is (one for one: positions
    found in the result index ``text`` too). A pattern lowered by lowered_pattern, searched
    in it without re.IGNORECASE, finds what the pattern finds with re.IGNORECASE | re.ASCII
    in ``text``, and faster."""
    if text.isascii():
        return text.lower()
    # UTF-8 writes every other character with bytes from 0x80 up, so lowering the bytes
    # A-Z lowers exactly the ASCII letters; surrogatepass carries lone surrogates both
    # ways. (str.translate with a table looks every character up: ~25x slower on Japanese.)
    return text.encode("utf-8", "surrogatepass").translate(_ASCII_LOWER).decode("utf-8", "surrogatepass")


# A named group's syntax, an escaped backslash or an escape: kept as written when a
# pattern is lowered.
_PATTERN_SYNTAX = re.compile(r"\(\?P(?:<\w+>|=\w+\))|\\\\|\\[A-Za-z]")


def lowered_pattern(pattern: str) -> str:
    """``pattern`` for text lowered by ascii_lower: its ASCII letters lowered but for its
    group names and escapes. Searched case-sensitively in ``ascii_lower(text)``, it finds
    what ``pattern`` finds with re.IGNORECASE | re.ASCII in ``text``, with the same groups.
    An upper-case escape (\\D, \\S, \\W, \\B, \\A, \\Z) would mean something else once
    lowered: ValueError."""
    pieces: list[str] = []
    last = 0
    for syntax in _PATTERN_SYNTAX.finditer(pattern):
        token = syntax.group(0)
        if token[0] == "\\" and token[1].isupper():
            raise ValueError(f"an upper-case escape in a pattern to lower: {token}")
        pieces += (ascii_lower(pattern[last : syntax.start()]), token)
        last = syntax.end()
    pieces.append(ascii_lower(pattern[last:]))
    return "".join(pieces)


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def digits_as_zero(text: str) -> str:
    """``text`` with every ASCII digit written as 0, one for one (bytes of UTF-8, as in
    ascii_lower). A pattern that reads digits only through classes (\\d, [0-9], \\w) sees
    log lines that differ only in their timestamps, pids and ports alike in this shape."""
    if text.isascii():
        return text.encode("ascii").translate(_DIGITS_AS_ZERO).decode("ascii")
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO).decode("utf-8", "surrogatepass")


def digit_shape(text: str, keep: tuple[str, ...]) -> str:
    """A cache key for patterns that read digits only through classes but in the words of
    ``keep`` (lower case): ``digits_as_zero(text)``, or ``text`` itself when it holds one of
    them in any case."""
    lowered = ascii_lower(text)
    return text if any(word in lowered for word in keep) else digits_as_zero(text)


_WIDE = re.compile(r"[\uff01-\uff5e\u3000]")
_WIDE_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_width(text: str) -> str:
    """Full-width ASCII forms (``１９２．０．２．１``, ``ＴＣＰ／２２``) and the ideographic space
    as ASCII, one character for one: positions found in the result index ``text`` too."""
    if text.isascii():
        return text
    return text.translate(_WIDE_TABLE) if _WIDE.search(text) else text


# The format characters (category Cf) of Unicode 14, Python 3.11's unicodedata, as ranges:
# one regex pass instead of a category lookup per character (tests/unit/test_parsing_text.py
# checks the ranges against the running Python's unicodedata).
FORMAT_RANGES = (
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
_FORMAT = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in FORMAT_RANGES) + "]")


def drop_format_chars(text: str) -> str:
    """``text`` without Unicode format characters (category Cf: zero-width space and
    joiners, soft hyphen, BOM, bidi controls), which a sender can put inside an address
    (``1\u200b98.51.100.7``) to change what a reader and a parser see. Applied once, where
    a part's text is decoded, so extraction and the evidence shown read the same text."""
    if text.isascii():
        return text
    return _FORMAT.sub("", text)


def normalise(text: str) -> str:
    """NFKC (full-width to ASCII, half-width kana to full) and lower case: the form in which
    words and names are compared. Lengths may change; use fold_width to keep positions."""
    return unicodedata.normalize("NFKC", text).lower()
