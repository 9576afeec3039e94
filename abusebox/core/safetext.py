"""The one cleaning function for every human output (terminal, CSV, draft text).

Text from a mail is written by its sender: an escape sequence (ESC, or a C1 CSI/OSC such
as U+009B) could rewrite the screen, set the clipboard (OSC 52) or hide a link (OSC 8); a
bidi override (U+202E) could show an address reversed. Every C0/C1 control and every
format character (bidi included) becomes U+FFFD, so no sequence can be interpreted and
the tampering stays visible. ZWJ (U+200D) stays: it joins emoji and some scripts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_KEEP_MULTILINE = "\n\t"
# OWASP's list, plus the full-width forms a Japanese spreadsheet also reads as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters a JSON text must not carry raw: C0 (json escapes these already), DEL, C1,
# format characters (bidi controls, zero-width), line/paragraph separators.
_JSON_UNSAFE = re.compile(
    "[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` made inert for a terminal or spreadsheet.

    One line by default (tab, CR and LF become spaces); with ``multiline`` LF and tab are
    kept and CR is dropped (a draft body, a log excerpt).
    """
    out = []
    for ch in text:
        if multiline and ch in _KEEP_MULTILINE:
            out.append(ch)
        elif ch == "\r" and multiline:
            continue
        elif ch in "\t\r\n":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != "\u200d":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def json_text(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` with C1, bidi and other format characters escaped as ``\\uXXXX``.

    ``ensure_ascii=False`` keeps Japanese readable but leaves U+009B or U+202E raw; those
    are escaped here (outside strings a JSON text holds none of them).
    """
    text = json.dumps(data, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection), made inert.

    Used by every CSV abusebox writes (``abusebox export``, the digests' attachments).
    """
    text = "" if value is None else str(value)
    # Leading spaces do not stop every spreadsheet from evaluating what follows.
    formula = text.lstrip(" ").startswith(FORMULA_START)
    text = clean(text, multiline=True)  # no escape sequence or control character reaches a viewer
    return "'" + text if formula else text
