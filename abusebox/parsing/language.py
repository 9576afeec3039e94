"""Guess the language of a message from its script (Japanese is the case that matters)."""

from __future__ import annotations

import re

from abusebox.models import ParsedMessage

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


def detect_language(parsed: ParsedMessage) -> str:
    text = parsed.subject + "\n" + parsed.body_text[:20000]
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if len(_CJK.findall(text)) > 5:
        return "zh"
    return "en"
