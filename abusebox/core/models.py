"""Plain dataclasses passed between pipeline stages.

They validate on construction (an IP is canonical, a time carries a zone), so a
stage can trust what it receives. No ORM objects cross a stage boundary.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import ClassVar, Literal

from abusebox.core.choices import CATEGORIES as CATEGORIES
from abusebox.core.choices import VERDICTS as VERDICTS
from abusebox.core.choices import MessageStatus as MessageStatus
from abusebox.core.choices import Verdict as Verdict
from abusebox.core.reasons import Reason

PgpStatus = Literal["valid", "invalid", "unknown_key", "expired", "revoked", "none", "error"]
Role = Literal["source", "target"]


@functools.lru_cache(maxsize=65536)
def canonical_ip(value: str) -> str:
    """Return the canonical text of an address or network; raise ValueError if it is neither.

    IPv4-mapped IPv6 addresses are reported as IPv4. Networks keep their prefix
    (``192.0.2.0/24``); a /32 or /128 network is reported as the bare address. Cached:
    reports and feeds repeat their addresses (a ValueError is not cached).
    """
    if "/" in value:
        net = ipaddress.ip_network(value, strict=False)
        if net.num_addresses == 1:
            return canonical_ip(str(net.network_address))
        return net.compressed
    addr = ipaddress.ip_address(value)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def utc_second(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC at second precision; refuse naive ones."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: every time must carry a zone")
    return value.astimezone(UTC).replace(microsecond=0)


def format_utc(value: datetime | None) -> str | None:
    """Render a time the way the JSON contract wants it: ``2026-11-19T01:20:30Z``."""
    if value is None:
        return None
    return utc_second(value).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RawMessage:
    """The bytes of one message as a source delivered them, plus where they came from."""

    raw: bytes
    source: str
    source_id: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class TextPart:
    """Decoded text of one MIME part (body or text-like attachment)."""

    text: str
    content_type: str
    filename: str | None = None
    origin: str = "body"  # "body", "attachment", "rfc822" (inside a forwarded message)
    charset: str | None = None
    depth: int = 0


@dataclass(frozen=True)
class Attachment:
    """A decoded non-text (or structured) part: CSV, JSON, zip, gzip, message/rfc822 ..."""

    payload: bytes
    content_type: str
    filename: str | None = None
    depth: int = 0


@dataclass
class ParsedMessage:
    """What the MIME stage knows about one message. ``email`` keeps the tree for PGP."""

    raw: bytes
    email: Message
    headers: list[tuple[str, str]]
    message_id: str | None
    from_addr: str | None
    from_header: str | None
    from_count: int
    subject: str
    date: datetime | None
    content_type: str
    text_parts: list[TextPart] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    nested: list[ParsedMessage] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    skipped: list[Reason] = field(default_factory=list)  # parts skipped over a bound, with why
    # Lower-cased name -> first value, made at the first header() call (the rules ask for a
    # few dozen headers of one message); not a field of a copy made by dataclasses.replace.
    _first: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """First value of a top-level header (decoded), case-insensitive."""
        first = self._first
        if first is None:
            first = {}
            for key, value in self.headers:
                first.setdefault(key.lower(), value)
            self._first = first
        return first.get(name.lower())

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]

    @property
    def body_text(self) -> str:
        """The texts of all body parts (not attachments), joined."""
        return "\n".join(p.text for p in self.text_parts if p.origin == "body")


@dataclass(frozen=True)
class Observation:
    """One offending source (or a target) seen in a report."""

    ip: str
    time: datetime | None = None
    category: str | None = None
    port: int | None = None
    evidence: str = ""
    role: Role = "source"
    time_original: str | None = None
    confidence: float = 1.0
    reason: str | None = None
    # The end of a stated range ("21:50〜22:15 JST"); None for a single time or none.
    time_end: datetime | None = None

    def __post_init__(self) -> None:
        canon = canonical_ip(self.ip)
        if canon != self.ip:
            raise ValueError(f"non-canonical IP {self.ip!r} (canonical: {canon!r})")
        for name in ("time", "time_end"):
            value = getattr(self, name)
            if value is None or (value.tzinfo is UTC and not value.microsecond):
                continue  # already UTC at second precision (the usual case)
            if utc_second(value) != value:
                raise ValueError(f"{name} {value!r} must be UTC at second precision")
            if value.tzinfo is not UTC:
                object.__setattr__(self, name, utc_second(value))
        if self.time_end is not None and (self.time is None or self.time_end < self.time):
            raise ValueError(f"time_end {self.time_end!r} needs a time at or before it")

    @property
    def last_time(self) -> datetime | None:
        """The latest instant it was observed: a range's end, else its time (None: no time)."""
        return self.time_end or self.time
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if self.port is not None and not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} out of range")
        if self.role not in ("source", "target"):
            raise ValueError(f"role must be source or target, not {self.role!r}")


@dataclass
class Extraction:
    """What the extract stage found in one message."""

    format: str = "freeform"
    category: str | None = None
    observations: list[Observation] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    language: str | None = None
    context: list[str] = field(default_factory=list)  # networks and spans named in prose

    def __post_init__(self) -> None:
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")


@dataclass
class PgpSignature:
    status: PgpStatus
    fingerprint: str | None = None
    user_ids: list[str] = field(default_factory=list)
    signer_matches_from: bool | None = None
    detail: str | None = None


@dataclass
class PgpResult:
    """Outcome of PGP verification/decryption for one message."""

    status: PgpStatus = "none"
    fingerprint: str | None = None
    signer_matches_from: bool | None = None
    encrypted: bool = False
    decrypted: bool = False
    partially_signed: bool = False
    user_ids: list[str] = field(default_factory=list)
    signatures: list[PgpSignature] = field(default_factory=list)
    unsigned_text: list[str] = field(default_factory=list)
    detail: str | None = None
    trusted_reporter: str | None = None  # reporter bound to the key by `keys trust`
    # Signed messages forwarded inside this one (message/rfc822), each checked against its
    # own From. They describe the forwarded content only: never this message's status.
    forwarded: list[PgpResult] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """What the UI and triage may call "signed": valid, by the From address, all of it."""
        return self.status == "valid" and self.signer_matches_from is True and not self.partially_signed

    def contract(self) -> dict[str, object]:
        return {
            "status": self.status,
            "fingerprint": self.fingerprint,
            "signer_matches_from": self.signer_matches_from,
            "encrypted": self.encrypted,
        }


@dataclass(frozen=True)
class DeskDecision:
    """A handler's verdict on a message, with the verdict triage itself had reached.

    ``triage_verdict`` is None only for a report stored before triage's verdict was kept
    whose summary could not be read at migration time.
    """

    STAGE: ClassVar[str] = "desk"  # the stage of its reason

    verdict: Verdict
    handler: str
    triage_verdict: Verdict | None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if self.triage_verdict is not None and self.triage_verdict not in VERDICTS:
            raise ValueError(f"unknown triage verdict {self.triage_verdict!r}")
        if not self.handler.strip() or self.handler == "triage":
            raise ValueError(f"a desk decision needs the handler's name, not {self.handler!r}")

    def reason(self) -> Reason:
        """The line shown above triage's own reasons."""
        said = self.triage_verdict or "nothing"
        return Reason(
            self.STAGE, None, None, f"desk decision by {self.handler}: {self.verdict} (triage said {said})"
        )


@dataclass
class TriageResult:
    verdict: Verdict = "report"
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    category: str | None = None  # set when triage itself knows (e.g. fraud)
    desk: DeskDecision | None = None  # a handler's decision, which overrides triage's verdict

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if self.desk is not None and self.desk.verdict != self.verdict:
            raise ValueError(f"verdict {self.verdict!r} is not the desk's {self.desk.verdict!r}")

    @property
    def decided_by(self) -> str:
        """Who set the verdict: `triage`, or the handler whose desk decision overrides it."""
        return "triage" if self.desk is None else self.desk.handler

    @property
    def triage_verdict(self) -> Verdict | None:
        """The verdict triage itself reached, whoever decided in the end."""
        return self.verdict if self.desk is None else self.desk.triage_verdict


@dataclass
class Analysis:
    """Everything the pipeline learned from one message before touching the database."""

    parsed: ParsedMessage
    pgp: PgpResult
    extraction: Extraction
    triage: TriageResult
    language: str

    @property
    def verdict(self) -> str:
        """The single gate: only "report" is grouped, acknowledged or forwarded.

        Spam, non-incidents and automated mail are stored and listed in their own
        queues, never deleted, acknowledged or forwarded; code downstream checks
        this property and nothing else.
        """
        return self.triage.verdict

    @property
    def category(self) -> str | None:
        # Junk carries only what triage itself concluded (fraud); an auto-reply quoting a
        # scan report is not a scan.
        if self.verdict != "report":
            return self.triage.category
        return self.triage.category or self.extraction.category

    def reported_sources(self) -> list[Observation]:
        """The offending sources a report states; none unless the verdict is `report`."""
        if self.verdict != "report":
            return []
        return [o for o in self.extraction.observations if o.role == "source"]

    def contract(self) -> dict[str, object]:
        """The `abusebox parse --json` object (docs/contract.md)."""
        sources = self.reported_sources()
        return {
            "message_id": self.parsed.message_id,
            "from": self.parsed.from_addr,
            "subject": self.parsed.subject,
            "date": format_utc(self.parsed.date),
            "language": self.language,
            "format": self.extraction.format,
            "pgp": self.pgp.contract(),
            "verdict": self.verdict,
            "spam": {"score": round(self.triage.score, 3), "reasons": [str(r) for r in self.triage.reasons]},
            "category": self.category,
            "observations": [
                {
                    "ip": o.ip,
                    "time": format_utc(o.time),
                    "time_end": format_utc(o.time_end),
                    "category": o.category,
                    "port": o.port,
                    "evidence": o.evidence,
                }
                for o in sources
            ],
            "targets": list(self.extraction.targets),
        }
