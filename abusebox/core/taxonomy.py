"""Our categories in the RSIT classification (taxonomy/type) that CSIRT tools read.

Apart from extraction (extract/categories.py maps RSIT back to a category, and re-exports
these), so what only shows a category's RSIT name (the desk, exports, digests, drafts)
does not import the extraction vocabulary and its regular expressions.
"""

from __future__ import annotations

# category -> (RSIT classification taxonomy, type). See docs/taxonomy.md for the reasons.
RSIT: dict[str, tuple[str, str]] = {
    "scan": ("information-gathering", "scanner"),
    "brute-force": ("intrusion-attempts", "brute-force"),
    "intrusion-attempt": ("intrusion-attempts", "ids-alert"),
    "intrusion": ("intrusions", "system-compromise"),
    "dos": ("availability", "ddos"),
    "phishing": ("fraud", "phishing"),
    "malware": ("malicious-code", "infected-system"),
    "vulnerable": ("vulnerable", "vulnerable-system"),
    "spam": ("abusive-content", "spam"),
    "fraud": ("fraud", "masquerade"),
    "other": ("other", "other"),
}


def taxonomy(category: str | None) -> str | None:
    """``"intrusion-attempts/brute-force"`` for ``"brute-force"``; None for None or unknown."""
    if category is None or category not in RSIT:
        return None
    tax, kind = RSIT[category]
    return f"{tax}/{kind}"
