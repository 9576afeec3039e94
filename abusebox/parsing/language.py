"""Guess the language of a message from its script (Japanese is the case that matters).

A Japanese report usually quotes English log lines, and an English report may carry
a Japanese footer: the language is the one whose script dominates the prose (log lines
left out), counted as Japanese characters against Latin words.
"""

from __future__ import annotations

import re

from abusebox.core.models import ParsedMessage

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_SAMPLE = 20_000
_LOG_LINE = re.compile(r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}|^\s*[0-9]{1,3}(?:\.[0-9]{1,3}){3}\s|\b[A-Z]{2,}=")


def language_of(subject: str, body: str) -> str:
    """``ja``, ``ko``, ``zh`` or ``en`` for a subject and body text."""
    # Log lines (a clock time or an address on them) are quoted evidence, not the prose.
    prose = [line for line in body[:_SAMPLE].splitlines() if not _LOG_LINE.search(line)]
    text = subject + "\n" + "\n".join(prose)
    kana = len(_KANA.findall(text))
    cjk = len(_CJK.findall(text))
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    subject_ja = bool(_KANA.search(subject))
    if kana and (subject_ja or (kana + cjk) >= latin):
        return "ja"
    if hangul and hangul >= latin:
        return "ko"
    if cjk > 5 and not kana and cjk >= latin:
        return "zh"
    return "en"


def detect_language(parsed: ParsedMessage) -> str:
    return language_of(parsed.subject, parsed.body_text)
