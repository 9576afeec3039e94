"""Run the database-free stages on one raw message: parse, PGP, extract, triage.

This is what `abusebox parse` prints and what the pipeline runs in its worker
processes; it needs no database and no network. A failure names its stage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from abusebox.core.config import Settings
from abusebox.core.errors import LimitExceeded, PermanentError
from abusebox.core.models import Analysis
from abusebox.extract import extract
from abusebox.parsing.language import detect_language
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp, resolve_settings
from abusebox.triage import triage
from abusebox.triage.signals import LearnedSignals

T = TypeVar("T")


class StageError(PermanentError):
    """A stage raised: carries the stage name so the quarantine record says where."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause


def _stage(name: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except LimitExceeded:
        raise
    except RecursionError as exc:  # pathological nesting that slipped past the depth bound
        raise LimitExceeded(f"{name}: structure too deeply nested") from exc
    except Exception as exc:  # the one boundary per stage: name it, keep the cause
        raise StageError(name, exc) from exc


def analyze(raw: bytes, settings: Settings, learned: LearnedSignals | None = None) -> Analysis:
    """Analyse one message; ``learned`` carries what triage learned from the desk."""
    parsed = _stage("parse", lambda: parse_message(raw, settings.limits))
    pgp, decrypted = _stage("pgp", lambda: check_pgp(parsed, resolve_settings(settings), settings.limits))
    content = decrypted or parsed
    extraction = _stage("extract", lambda: extract(content, settings.limits))
    verdict = _stage("triage", lambda: triage(content, pgp, extraction, settings.triage, learned))
    language = extraction.language or detect_language(content)
    return Analysis(parsed=parsed, pgp=pgp, extraction=extraction, triage=verdict, language=language)
