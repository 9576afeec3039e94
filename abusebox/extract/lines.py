"""Which lines of a message are evidence: skip header blocks, PGP armor, signatures, boilerplate.

A forwarded mail's header block (Received relays, Message-ID ...) names relays, never
the offender; PGP armor and signature blocks are not evidence; reply headers ("On ...
wrote:") and legal footers neither. Quoted lines (``> ...``) are kept, unquoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from abusebox.core.models import ParsedMessage, TextPart
from abusebox.parsing.text import is_quote_header, readable_parts

MAX_LINES = 200_000  # per message; a bound for hostile input, reported when reached
MAX_LINE_CHARS = 20_000
# A "--" line ends the evidence only when what follows is signature-sized: `grep -C`
# output separates its groups with "--" too. A legal footer is longer, but bounded.
MAX_SIGNATURE_LINES = 12
MAX_FOOTER_LINES = 40

_SKIP_TYPES = {
    "text/rfc822-headers",
    "application/pgp-signature",
    "application/pgp-encrypted",
    "message/delivery-status",
    "message/disposition-notification",
}
_HEADER = re.compile(
    r"^(?:Received|Return-Path|Message-I[Dd]|DKIM-Signature|ARC-[A-Za-z-]+|Authentication-Results"
    r"|Received-SPF|X-[A-Za-z0-9-]+|Delivered-To|MIME-Version|Content-[A-Za-z-]+|In-Reply-To|References"
    r"|List-[A-Za-z-]+|Precedence|Thread-[A-Za-z]+|Envelope-To|Sender|Reply-To|Errors-To)\s?:",
    re.IGNORECASE,
)
_ADDRESS_HEADER = re.compile(r"^(?:From|To|Cc|Date|Subject|Sent)\s?:", re.IGNORECASE)
_FORWARDED_FROM = re.compile(r"^(?:From|差出人|送信者)\s?[:：].{0,200}@")
_PGP_BEGIN = re.compile(r"^-----BEGIN PGP (?:SIGNATURE|MESSAGE|PUBLIC KEY BLOCK|PRIVATE KEY BLOCK)-----")
_PGP_END = re.compile(r"^-----END PGP [A-Z ]+-----")
_PGP_SIGNED = re.compile(r"^-----BEGIN PGP SIGNED MESSAGE-----|^Hash: [A-Z0-9]+$")
_SIGNATURE = re.compile(r"^-- ?$")
_BOILERPLATE = re.compile(
    r"^\W{0,4}(?:CONFIDENTIALITY NOTICE|DISCLAIMER|This (?:e-?mail|message)(?: and any attachments?)?"
    r" (?:is|are|may be) (?:confidential|intended)"
    r"|本メール(?:は|には).{0,20}(?:機密|秘密)|このメールは.{0,20}(?:機密|宛先))",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(?<![0-9])[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?![0-9])")
_QUOTE = re.compile(r"^(?:\s?>)+\s?")


@dataclass(frozen=True)
class EvidenceLine:
    """One line worth reading, with where it stands (paragraphs bound which times apply)."""

    text: str
    part: int
    paragraph: int
    quoted: bool


def evidence_parts(parsed: ParsedMessage) -> list[TextPart]:
    """Text parts to read: body, text attachments and forwarded bodies; HTML only when alone."""
    return [p for p in readable_parts(parsed.text_parts) if p.content_type not in _SKIP_TYPES]


def _nonempty_after(texts: list[str]) -> list[int]:
    """For each line, how many non-empty lines follow it."""
    counts = [0] * len(texts)
    running = 0
    for i in range(len(texts) - 1, -1, -1):
        counts[i] = running
        if texts[i].strip():
            running += 1
    return counts


def _ends_evidence(line: str, stripped: str, texts: list[str], number: int, remaining: int) -> bool:
    """A signature delimiter or a legal footer, followed by no more log lines."""
    if _SIGNATURE.match(line):
        limit = MAX_SIGNATURE_LINES
    elif _BOILERPLATE.match(stripped):
        limit = MAX_FOOTER_LINES
    else:
        return False
    if remaining > limit:
        return False
    rest = texts[number + 1 : number + 1 + 4 * limit]
    return not any(_CLOCK.search(t) for t in rest)


def evidence_lines(parts: list[TextPart]) -> Iterator[EvidenceLine]:
    """The lines of ``parts`` that may hold evidence, in order, at most MAX_LINES."""
    count = 0
    paragraph = 0
    for index, part in enumerate(parts):
        in_pgp = in_headers = False
        texts = part.text.splitlines()
        remaining = _nonempty_after(texts)
        for number, raw in enumerate(texts):
            count += 1
            if count > MAX_LINES:
                return
            line = raw[:MAX_LINE_CHARS]
            quoted = bool(_QUOTE.match(line))
            if quoted:
                line = _QUOTE.sub("", line, count=1)
            if line.startswith("- -"):
                line = line[2:]  # PGP dash-escaping
            stripped = line.strip()
            if not stripped:
                paragraph += 1
                in_headers = False
                continue
            if in_pgp:
                in_pgp = not _PGP_END.match(stripped)
                continue
            if _PGP_BEGIN.match(stripped):
                in_pgp = True
                continue
            if _ends_evidence(line, stripped, texts, number, remaining[number]):
                break  # the rest of this part is a signature or a legal footer
            if _PGP_SIGNED.match(stripped) or is_quote_header(stripped):
                continue
            starts_block = _FORWARDED_FROM.match(line)
            if (
                starts_block
                or _HEADER.match(line)
                or (in_headers and (line[:1] in " \t" or _ADDRESS_HEADER.match(line)))
            ):
                in_headers = True
                continue
            in_headers = False
            yield EvidenceLine(line, index, paragraph, quoted)
        paragraph += 1
