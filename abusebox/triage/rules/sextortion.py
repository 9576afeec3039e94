"""Sextortion and "I hacked your device" extortion spam: spam, whatever address it names."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import count_terms

TERMS: tuple[str, ...] = (
    "i am a hacker",
    "i have access to your",
    "full access to your",
    "infected your device",
    "recorded a video",
    "adult websites",
    "bitcoin wallet",
    "to my wallet",
    "in bitcoin",
    "you have 48 hours",
    "48 hours",
    "all your contacts",
    "this email address was created",
    "ハッカーです",
    "ハッキングされました",
    "動画を持っています",
    "ビットコイン",
    "送金",
    "連絡先全員",
    "48時間以内",
    "成人向けサイト",
)


class Sextortion:
    name = "sextortion"
    description = "extortion spam claiming a hacked device or a recorded video"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        found = count_terms(ctx.own_text, TERMS)
        if len(found) < 3:
            return None
        return RuleHit(min(10.0, 2.5 * len(found)), "extortion spam: " + ", ".join(found[:5]), "spam")


register(Sextortion())
