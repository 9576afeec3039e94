"""Run the database-free stages on one raw message: parse, PGP, extract, triage.

This is what `abusebox parse` prints and what the pipeline runs in its worker
processes; it needs no database and no network.
"""

from __future__ import annotations

from abusebox.config import Settings
from abusebox.extract import extract
from abusebox.models import Analysis
from abusebox.parsing.language import detect_language
from abusebox.parsing.mime import parse_message
from abusebox.pgp import check_pgp, resolve_settings
from abusebox.triage import triage


def analyze(raw: bytes, settings: Settings) -> Analysis:
    parsed = parse_message(raw, settings.limits)
    pgp, decrypted = check_pgp(parsed, resolve_settings(settings), settings.limits)
    content = decrypted or parsed
    extraction = extract(content)
    verdict = triage(content, pgp, extraction, settings.triage)
    language = extraction.language or detect_language(content)
    return Analysis(parsed=parsed, pgp=pgp, extraction=extraction, triage=verdict, language=language)
