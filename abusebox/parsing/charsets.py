"""Decode bytes from mail with the charset they claim, or the one they most likely use.

Japanese mail is the common case: ISO-2022-JP is decoded with the codec that also
knows the NEC/IBM extensions real mailers emit, Shift_JIS as cp932, EUC-JP with the
JIS X 0213 superset. Undecodable bytes become U+FFFD; the raw bytes stay the evidence.
"""

from __future__ import annotations

import codecs

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

# Tried in order when a part names no charset or a charset Python does not know.
_GUESSES = ("utf-8", "iso2022_jp_ext", "cp932", "euc_jp", "cp1252")


def _codecs_for(label: str | None) -> list[str]:
    if not label:
        return []
    key = label.strip().strip('"').lower()
    if key in _ALIASES:
        return list(_ALIASES[key])
    try:
        return [codecs.lookup(key).name]
    except LookupError:
        return []


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Decode ``data``; return (text, codec used). Never raises."""
    candidates = _codecs_for(charset)
    if b"\x1b$" in data or b"\x1b(" in data:
        # ISO-2022-JP escape sequences: whatever the label says, this is JIS.
        candidates = ["iso2022_jp_ext", "iso2022_jp_2004", *candidates]
    for codec in [*candidates, *_GUESSES]:
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    codec = candidates[0] if candidates else "utf-8"
    return data.decode(codec, errors="replace"), codec + "+replace"
