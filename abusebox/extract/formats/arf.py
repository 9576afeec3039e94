"""ARF feedback reports (RFC 5965 ``multipart/report; report-type=feedback-report``).

The source is ``Source-IP``; the time ``Arrival-Date`` (or the older ``Received-Date``),
else the Date of the reported message. The Received headers of the reported message are
relays and never sources. Categories by Feedback-Type:

- ``abuse`` (unsolicited mail), ``opt-out``/``unsubscribe`` -> ``spam``
- ``fraud`` (phishing or other fraudulent mail) -> ``phishing``
- ``virus`` -> ``malware``
- ``auth-failure`` (DMARC/SPF/DKIM failure report): the source sent mail that failed
  authentication, which is not by itself abuse -> ``other``
- ``not-spam`` and anything unknown -> ``other``
"""

from __future__ import annotations

from datetime import UTC, datetime

from abusebox.core.models import Extraction, Observation, ParsedMessage, TextPart
from abusebox.core.reasons import Reason
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.fallback import body_observations
from abusebox.extract.formats.fields import first, key_values
from abusebox.extract.formats.values import evidence, field_ip
from abusebox.extract.formats.xarf import extract_xarf
from abusebox.extract.times import parse_time
from abusebox.parsing.headers import parse_date

FEEDBACK_CATEGORIES: dict[str, str] = {
    "abuse": "spam",
    "opt-out": "spam",
    "unsubscribe": "spam",
    "fraud": "phishing",
    "virus": "malware",
    "auth-failure": "other",
    "not-spam": "other",
    "other": "other",
}


def feedback_part(parsed: ParsedMessage) -> TextPart | None:
    for part in parsed.text_parts:
        if part.content_type == "message/feedback-report" and part.origin != "rfc822":
            return part
    return None


def original_date(parsed: ParsedMessage) -> datetime | None:
    """Date of the reported message: the attached message, or the headers-only part."""
    for nested in parsed.nested:
        if nested.date is not None:
            return nested.date
    for part in parsed.text_parts:
        if part.content_type == "text/rfc822-headers":
            for key, value in key_values(part.text.split("\n\n", 1)[0]):
                if key == "date":
                    return parse_date(value)
    return None


@register(order=10)
class ArfParser:
    name = "arf"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        part = feedback_part(parsed)
        if part is None:
            return None
        pairs = key_values(part.text)
        feedback_type = (first(pairs, "feedback-type") or "").lower()
        if feedback_type == "xarf":
            # Netcraft wraps an XARF JSON attachment in an ARF envelope: the JSON is the report.
            wrapped = extract_xarf(parsed, ctx, "xarf")
            if wrapped is not None:
                return wrapped
        category = FEEDBACK_CATEGORIES.get(feedback_type, "other")
        extraction = Extraction(format=self.name, category=category)
        stamp = first(pairs, "arrival-date", "received-date")
        when = parse_time(stamp, default_tz=UTC) if stamp else None
        if when is None:
            original = original_date(parsed)
            when = original.astimezone(UTC).replace(microsecond=0) if original else None
        reason = f"ARF feedback report, Feedback-Type: {feedback_type or 'missing'}"
        seen: set[str] = set()
        for key, value in pairs:
            if key != "source-ip":
                continue
            ip = field_ip(value)
            if ip is None or ip in seen:
                continue
            seen.add(ip)
            line = f"Feedback-Type: {feedback_type}; Source-IP: {value}" + (
                f"; Arrival-Date: {stamp}" if stamp else ""
            )
            extraction.observations.append(
                Observation(ip, when, category, None, evidence(line), time_original=stamp, reason=reason)
            )
        if not seen:
            extraction.observations = body_observations(
                parsed, category, f"{reason}; address from the report text"
            )
            extraction.reasons.append(
                Reason(
                    "extract",
                    self.name,
                    None,
                    "ARF report without a usable Source-IP; relays of the original are not sources",
                )
            )
        return extraction
