"""SpamCop spam reports.

The source is ``X-SpamCop-sourceip`` (else the ``[SpamCop (ip) id:...]`` subject or the
``Email from <ip> / <date>`` line); the time is the date on that line. The quoted
"[ Offending message ]" is evidence only: its Received relays are never sources.
"""

from __future__ import annotations

import re
from datetime import UTC

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.values import evidence, field_ip
from abusebox.extract.times import parse_time

_SUBJECT = re.compile(r"\[SpamCop \(([^)\s]+)\) id:\d+\]")
_EMAIL_FROM = re.compile(r"^\s*Email from\s+(\S+)\s*/\s*(.+?)\s*$", re.M)
_OFFENDING = "[ Offending message ]"


def is_spamcop(parsed: ParsedMessage) -> bool:
    sender = parsed.from_addr or ""
    return parsed.header("X-SpamCop-sourceip") is not None or (
        sender.endswith("spamcop.net")
        and bool(_SUBJECT.search(parsed.subject) or "[ SpamCop" in parsed.body_text[:2000])
    )


@register(order=20)
class SpamCopParser:
    name = "spamcop"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        if not is_spamcop(parsed):
            return None
        # Only the report's own text, never the quoted offending message.
        report = parsed.body_text.split(_OFFENDING, 1)[0]
        line_match = _EMAIL_FROM.search(report)
        subject_match = _SUBJECT.search(parsed.subject)
        candidates = [
            parsed.header("X-SpamCop-sourceip"),
            subject_match.group(1) if subject_match else None,
            line_match.group(1) if line_match else None,
        ]
        ip = next((i for i in (field_ip(c) for c in candidates if c) if i), None)
        extraction = Extraction(format=self.name, category="spam")
        if ip is None:
            extraction.reasons.append(
                Reason("extract", self.name, None, "SpamCop report without a source address")
            )
            return extraction
        stamp = line_match.group(2) if line_match else None
        when = parse_time(stamp, default_tz=UTC) if stamp else None
        line = line_match.group(0).strip() if line_match else f"X-SpamCop-sourceip: {ip}"
        extraction.observations.append(
            Observation(ip, when, "spam", None, evidence(line), time_original=stamp, reason="SpamCop report")
        )
        return extraction
