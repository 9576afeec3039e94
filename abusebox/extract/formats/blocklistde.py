"""blocklist.de abuse reports: X-ARF 0.2 mails, and the plain variant without report.txt.

The plain body says ``IP: *192.0.2.1*`` ... ``method/service: *ssh*  on: *<RFC 2822 date>*``.
"""

from __future__ import annotations

import re
from datetime import UTC

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.values import evidence, field_ip
from abusebox.extract.formats.xarf import extract_xarf, xarf_category
from abusebox.extract.times import parse_time

_IP = re.compile(r"with the IP:\s*\*?([^*\s]+)\*?")
_SERVICE = re.compile(r"method/service:\s*\*?([^*\n]+?)\*?\s+on:\s*\*?([^*\n]+)\*?")


def is_blocklistde(parsed: ParsedMessage) -> bool:
    sender = parsed.from_addr or ""
    return sender.endswith("@blocklist.de") or (parsed.header("X-Mailer") or "").lower() == "blocklist.de"


@register(order=30)
class BlocklistDeParser:
    name = "blocklistde"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        if not is_blocklistde(parsed):
            return None
        extraction = extract_xarf(parsed, ctx, self.name)
        if extraction is not None and extraction.observations:
            return extraction
        return self._plain(parsed)

    def _plain(self, parsed: ParsedMessage) -> Extraction | None:
        body = parsed.body_text
        ip_match = _IP.search(body)
        ip = field_ip(ip_match.group(1)) if ip_match else None
        if ip is None or ip_match is None:
            return None
        service = _SERVICE.search(body)
        category = xarf_category(service.group(1)) if service else None
        stamp = service.group(2).strip() if service else None
        when = parse_time(stamp, default_tz=UTC) if stamp else None
        line = body[ip_match.start() : (service.end() if service else ip_match.end())]
        obs = Observation(
            ip,
            when,
            category,
            None,
            evidence(line),
            time_original=stamp,
            reason="blocklist.de report (plain text)",
        )
        return Extraction(format=self.name, category=category, observations=[obs])
