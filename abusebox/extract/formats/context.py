"""Per-message state shared by the format parsers: limits, decoded files, skip reasons.

Archives are expanded once per message here, not once per parser that looks at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abusebox.core.config import LimitSettings
from abusebox.core.models import ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.parsing.archives import DecodeBudget, expand, is_gzip, is_zip
from abusebox.parsing.charsets import decode_bytes


@dataclass(frozen=True)
class DataFile:
    """A text file a report carries: a text attachment or a member of a zip/gzip attachment."""

    name: str
    text: str
    content_type: str
    container: str | None = None

    @property
    def lower_name(self) -> str:
        return self.name.lower()


@dataclass
class FormatContext:
    limits: LimitSettings = field(default_factory=LimitSettings)
    reasons: list[Reason] = field(default_factory=list)
    depth: int = 0  # forwarded-message nesting
    _files: dict[int, list[DataFile]] = field(default_factory=dict)
    _budget: DecodeBudget | None = None

    def budget(self) -> DecodeBudget:
        if self._budget is None:
            self._budget = DecodeBudget(self.limits, reasons=self.reasons)
        return self._budget

    def files(self, parsed: ParsedMessage) -> list[DataFile]:
        """Attached text files of ``parsed``, with zip and gzip attachments opened."""
        key = id(parsed)
        if key not in self._files:
            self._files[key] = self._collect(parsed)
        return self._files[key]

    def _collect(self, parsed: ParsedMessage) -> list[DataFile]:
        out: list[DataFile] = []
        for part in parsed.text_parts:
            if part.origin == "attachment" or (part.origin == "body" and _is_data_type(part.content_type)):
                out.append(DataFile(part.filename or "unnamed", part.text, part.content_type))
        for att in parsed.attachments:
            if not (is_zip(att.payload) or is_gzip(att.payload)):
                if _looks_textual(att.payload):  # .jsonl, .psv ... sent as octet-stream
                    text, _codec = decode_bytes(att.payload, None)
                    out.append(DataFile(att.filename or "unnamed", text, att.content_type))
                continue
            for member in expand(att.filename, att.payload, self.budget()):
                text, _codec = decode_bytes(member.data, None)
                out.append(
                    DataFile(
                        member.name.rsplit("/", 1)[-1], text, "application/octet-stream", member.container
                    )
                )
        return out


def _is_data_type(content_type: str) -> bool:
    return content_type in ("text/csv", "application/csv", "application/x-csv", "application/json")


def _looks_textual(data: bytes) -> bool:
    head = data[:8192]
    return (
        bool(head) and b"\0" not in head and not head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8"))
    )
