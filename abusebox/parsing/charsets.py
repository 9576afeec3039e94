"""Decode bytes from mail with the charset they claim, or the one they most likely use.

Japanese mail is the common case: ISO-2022-JP is decoded with the codec that also
knows the NEC/IBM extensions real mailers emit, Shift_JIS as cp932, EUC-JP with the
JIS X 0213 superset. Undecodable bytes become U+FFFD; the raw bytes stay the evidence.
"""

from __future__ import annotations

import codecs
import re

# Labels seen in real mail mapped to the Python codec that decodes what senders mean.
_ALIASES: dict[str, tuple[str, ...]] = {
    "iso-2022-jp": ("iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_3"),
    "iso-2022-jp-1": ("iso2022_jp_1", "iso2022_jp_ext"),
    "iso-2022-jp-2": ("iso2022_jp_2",),
    "iso-2022-jp-3": ("iso2022_jp_3",),
    "iso-2022-jp-2004": ("iso2022_jp_2004",),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "windows-31j": ("cp932",),
    "cp932": ("cp932",),
    "ms932": ("cp932",),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "ks_c_5601-1987": ("cp949",),
    "euc-kr": ("cp949",),
    "us-ascii": ("utf-8",),  # many "ascii" parts carry UTF-8 in practice
    "ascii": ("utf-8",),
    "unknown-8bit": ("utf-8",),
    "x-unknown": ("utf-8",),
    "iso-8859-1": ("cp1252",),  # as browsers do: C1 range is Windows-1252 in practice
    "latin1": ("cp1252",),
}

# Codecs Python knows as text encodings that must never decode mail text: "undefined"
# always raises; idna/punycode are for host names and raise on ordinary text; the escape
# codecs would turn an attacker's "\x41" or "\N{...}" into other characters than were sent.
# Bytes-to-bytes codecs (base64, zlib, rot13, hex ...) are refused by _is_text_encoding.
_REFUSED = {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape"}

# utf-7 decodes "+2AA-" to a lone surrogate, which no UTF-8 consumer (the database,
# JSON output) can encode: such code points become U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")

# Tried in order when a part names no charset or a charset Python does not know.
_GUESSES = ("utf-8", "iso2022_jp_ext", "cp932", "euc_jp", "cp1252")


def _codecs_for(label: str | None) -> list[str]:
    if not label:
        return []
    key = label.strip().strip('"').lower()
    if key in _ALIASES:
        return list(_ALIASES[key])
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError, TypeError):  # unknown, or a label with NUL and the like
        return []
    # A label such as "base64" or "rot13" names a codec that is not a text encoding:
    # refuse it and guess as for an unknown label.
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return []
    return [info.name]


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Decode ``data``; return (text, codec used). Never raises."""
    candidates = _codecs_for(charset)
    if b"\x1b$" in data or b"\x1b(" in data:
        # ISO-2022-JP escape sequences: whatever the label says, this is JIS.
        candidates = ["iso2022_jp_ext", "iso2022_jp_2004", *candidates]
    for codec in [*candidates, *_GUESSES]:
        try:
            text = data.decode(codec)
        except (UnicodeError, LookupError):  # UnicodeError: what utf-7/utf-16 raise besides decode errors
            continue
        return (_SURROGATE.sub("\ufffd", text) if codec == "utf-7" else text), codec
    codec = candidates[0] if candidates else "utf-8"
    try:
        return _SURROGATE.sub("\ufffd", data.decode(codec, errors="replace")), codec + "+replace"
    except (UnicodeError, LookupError):  # a stateful codec that raises even with "replace"
        return data.decode("utf-8", errors="replace"), "utf-8+replace"
