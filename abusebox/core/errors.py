"""A small exception hierarchy so the runner knows what to retry and what to quarantine."""

from __future__ import annotations


class AbuseboxError(Exception):
    """Base of our own errors."""


class TransientError(AbuseboxError):
    """Worth retrying later: a server or the database was unreachable."""


class PermanentError(AbuseboxError):
    """Retrying the same input gives the same result: quarantine it."""


class LimitExceeded(PermanentError):
    """A configured resource bound was crossed (size, parts, depth, time)."""


class SourceError(AbuseboxError):
    """A source item could not be read (not a mail, truncated mbox ...)."""
