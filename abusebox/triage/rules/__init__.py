"""The triage rules: one small module each, registered by name on import.

Order matters only for how reasons are listed among equal scores.
"""

from __future__ import annotations

from abusebox.triage.rules import (  # noqa: F401  (imported to register)
    advert,
    authentication,
    auto_reply,
    bounce,
    bulk,
    calendar,
    desk,
    display_name,
    evidence,
    fraud,
    fraud_forward,
    hidden_html,
    links,
    list_newsletter,
    lure,
    newsletter,
    report_language,
    sextortion,
    solicitation,
    spam_content,
    spamd_check,
    structure,
    trusted,
    unsubscribe,
    upstream,
)
