"""The triage rules: one small module each, registered by name on import.

Order matters only for how reasons are listed among equal scores.
"""

from __future__ import annotations

from abusebox.triage.rules import (  # noqa: F401  (imported to register)
    authentication,
    auto_reply,
    bounce,
    bulk,
    desk,
    display_name,
    evidence,
    fraud,
    hidden_html,
    links,
    lure,
    newsletter,
    report_language,
    solicitation,
    spam_content,
    spamd_check,
    structure,
    trusted,
    upstream,
)
