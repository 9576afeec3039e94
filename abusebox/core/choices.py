"""The closed vocabularies the command line offers as choices and defaults.

Kept in one module that imports nothing of ours, so building the `abusebox` parser (every
command's `register`) costs only argparse: the modules that own these words (models, store,
incidents, desk, outbox, runtime) take them from here and export them under their own names.
"""

from __future__ import annotations

from typing import Literal, get_args

Verdict = Literal["report", "spam", "non_incident", "automated"]
VERDICTS: tuple[str, ...] = get_args(Verdict)

CATEGORIES: tuple[str, ...] = (
    "scan",
    "brute-force",
    "intrusion-attempt",
    "intrusion",
    "dos",
    "phishing",
    "malware",
    "vulnerable",
    "spam",
    "fraud",
    "other",
)

MessageStatus = Literal["new", "processed", "quarantined"]
MESSAGE_STATUSES: tuple[str, ...] = get_args(MessageStatus)

# The verdicts a handler may give a message at the desk (desk/reclassify.py).
DESK_VERDICTS: tuple[str, ...] = ("report", "spam", "non_incident")

# The incident lifecycle (incidents/lifecycle.py).
INCIDENT_STATES = ("new", "triage", "contacting", "recovering", "resolved", "rejected")
REJECT_REASONS = ("legitimate-access", "false-positive", "out-of-scope")
CAUSES = ("vulnerability", "operations", "misconfiguration", "unknown", "other")

# The outbox (store/outbox.py).
OUTBOX_KINDS = ("ack", "notify", "forward", "digest", "alert")
OUTBOX_STATUSES = ("draft", "approved", "sent", "failed", "discarded")

# Accounts of the web UI and API (store/users.py).
USER_ROLES = ("viewer", "handler", "admin")

# Languages of outgoing mail templates (outbox/templates.py).
MAIL_LANGUAGES = ("ja", "en")

# `abusebox run --role` (runtime/service.py) and the message lease (store/leases.py).
WORKER_ROLES = ("all", "leader", "worker")
DEFAULT_LEASE_SECONDS = 300.0  # well above a message's time limit: renewed by the commits
