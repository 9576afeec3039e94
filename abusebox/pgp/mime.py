"""Byte-exact MIME splitting for PGP: find signed and encrypted parts in the raw message.

A PGP/MIME signature (RFC 3156) covers the signed part exactly as it was sent, so we cut
it out of ``ParsedMessage.raw`` by its boundary instead of re-serialising the email tree
(the email package refolds headers and changes line endings). Only the header *block* of
each entity goes through the stdlib parser, to read Content-Type parameters.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from abusebox.parsing.charsets import decode_bytes

MAX_DEPTH = 20
MAX_PARTS = 1000
# The stdlib feedparser's headerRE: a field name and colon, a continuation, or an mbox "From ".
_HEADERISH = re.compile(rb"^(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])")
_EOL = re.compile(rb"\r?\n")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")

BEGIN_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
BEGIN_MESSAGE = b"-----BEGIN PGP MESSAGE-----"
_CLEARSIGNED = re.compile(
    rb"^-----BEGIN PGP SIGNED MESSAGE-----[ \t]*\r?$.*?^-----END PGP SIGNATURE-----[ \t]*\r?$", re.M | re.S
)
_ARMORED_MESSAGE = re.compile(
    rb"^-----BEGIN PGP MESSAGE-----[ \t]*\r?$.*?^-----END PGP MESSAGE-----[ \t]*\r?$", re.M | re.S
)


class MimeLimit(ValueError):
    """The raw structure is deeper or has more parts than we walk."""


@dataclass
class RawEntity:
    """One MIME entity as bytes: its header block, its body, and (multipart) its children."""

    source: bytes  # the entity's exact bytes in the message
    header: bytes
    body: bytes
    content_type: str
    headers: Message
    children: list[RawEntity] = field(default_factory=list)
    depth: int = 0

    def param(self, name: str) -> str | None:
        try:
            value = self.headers.get_param(name)
        except Exception:  # compat32 raises assorted errors on hostile parameters
            return None
        if isinstance(value, tuple):  # RFC 2231 encoded: (charset, language, value)
            value = value[2]
        return str(value) if value is not None else None

    @property
    def filename(self) -> str | None:
        try:
            name = self.headers.get_filename()
        except Exception:  # same: hostile Content-Disposition parameters
            return None
        return str(name) if name else None

    def decoded_body(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone (charset untouched)."""
        cte = str(self.headers.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte == "base64":
            try:
                return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", self.body) + b"===")
            except (binascii.Error, ValueError):
                return self.body
        if cte == "quoted-printable":
            return quopri.decodestring(self.body.replace(b"\r\n", b"\n"))
        return self.body

    def text(self) -> str:
        return decode_bytes(self.decoded_body(), self.param("charset"))[0]

    def leaves(self) -> list[RawEntity]:
        if not self.children:
            return [self]
        out: list[RawEntity] = []
        for child in self.children:
            out.extend(child.leaves())
        return out


def canonical_crlf(data: bytes) -> bytes:
    """Line endings as CRLF, the canonical form RFC 3156 signatures are computed over."""
    return _EOL.sub(b"\r\n", data)


def _strip_eol(data: bytes) -> bytes:
    return data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header block, body) exactly where the email package (what the pipeline reads) splits.

    The header block ends at the first blank line (which belongs to neither) or, like the
    stdlib feedparser, at the first line that is neither a header field nor a continuation;
    that line starts the body. Splitting anywhere else would let a message show the
    pipeline text that the signature walk never saw (a parser differential).
    """
    pos = 0
    while pos < len(raw):
        eol = raw.find(b"\n", pos)
        end = len(raw) if eol < 0 else eol + 1
        line = raw[pos:end]
        if line in (b"\r\n", b"\n"):
            return _strip_eol(raw[:pos]), raw[end:]
        if not _HEADERISH.match(line):
            return _strip_eol(raw[:pos]), raw[pos:]
        pos = end
    return raw, b""


def split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The parts between the delimiters of ``boundary``; None when no delimiter is found.

    The line ending before a delimiter belongs to the delimiter (RFC 2046 5.1.1), so each
    part is returned without it: exactly the bytes a PGP/MIME signature covers.
    """
    try:
        bbytes = boundary.encode("ascii")
    except UnicodeEncodeError:
        return None
    delimiter = re.compile(rb"^--" + re.escape(bbytes) + rb"(--)?[ \t]*\r?$", re.M)
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            end = match.start()
            if body[end - 2 : end] == b"\r\n":
                end -= 2
            elif body[end - 1 : end] == b"\n":
                end -= 1
            parts.append(body[start:end])
            if len(parts) > MAX_PARTS:
                raise MimeLimit(f"more than {MAX_PARTS} parts")
        if match.group(1):  # close delimiter: the rest is epilogue
            return parts
        start = match.end() + 1 if body[match.end() : match.end() + 1] == b"\n" else match.end()
    if start is None:
        return None
    parts.append(body[start:])  # no close delimiter: lenient, like the email package
    return parts


def parse_entity(raw: bytes, depth: int = 0, _count: list[int] | None = None) -> RawEntity:
    """Split ``raw`` into a tree of RawEntity; message/rfc822 bodies are not descended into."""
    count = _count if _count is not None else [0]
    count[0] += 1
    if depth > MAX_DEPTH:
        raise MimeLimit(f"MIME nesting deeper than {MAX_DEPTH}")
    if count[0] > MAX_PARTS:
        raise MimeLimit(f"more than {MAX_PARTS} parts")
    header, body = split_header(raw)
    headers = BytesHeaderParser(policy=compat32).parsebytes(header + b"\n\n")
    try:
        ctype = headers.get_content_type().lower()
    except Exception:  # hostile Content-Type values
        ctype = "text/plain"
    entity = RawEntity(source=raw, header=header, body=body, content_type=ctype, headers=headers, depth=depth)
    if ctype.startswith("multipart/"):
        boundary = entity.param("boundary")
        parts = split_multipart(body, boundary) if boundary else None
        if parts is not None:
            entity.children = [parse_entity(p, depth + 1, count) for p in parts]
    return entity


def clearsigned_blocks(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each inline clear-signed block in decoded part bytes."""
    return [(m.start(), m.end()) for m in _CLEARSIGNED.finditer(data)]


def armored_messages(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each ``BEGIN PGP MESSAGE`` block (encrypted or signed-only)."""
    return [(m.start(), m.end()) for m in _ARMORED_MESSAGE.finditer(data)]


def displayed_clearsigned_text(block: bytes) -> bytes:
    """The text a reader sees inside a clear-signed block (armor headers and dash-escapes removed)."""
    lines = _EOL.split(block)
    try:
        sig_at = next(i for i, line in enumerate(lines) if line.startswith(b"-----BEGIN PGP SIGNATURE-----"))
    except StopIteration:
        sig_at = len(lines)
    body_from = 1
    while body_from < sig_at and lines[body_from].strip():  # "Hash:" armor headers
        body_from += 1
    body = lines[body_from + 1 : sig_at]
    return b"\n".join(line[2:] if line.startswith(b"- ") else line for line in body)


def normalise_text(data: bytes) -> bytes:
    """Compare texts as OpenPGP text signatures do: LF endings, no trailing blanks or blank lines."""
    lines = [line.rstrip(b" \t\r") for line in _EOL.split(data)]
    return b"\n".join(lines).strip(b"\n")


def outer_headers(raw: bytes) -> bytes:
    """The top-level header block without Content-* and MIME-Version fields (continuations too)."""
    header, _body = split_header(raw)
    kept: list[bytes] = []
    keep = True
    for line in _EOL.split(header):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        keep = not (name.startswith(b"content-") or name == b"mime-version")
        if keep:
            kept.append(line)
    return b"\r\n".join(kept)


def looks_like_entity(data: bytes) -> bool:
    """Does ``data`` start with a MIME header line (decrypted PGP/MIME content does)?"""
    return bool(_HEADER_LINE.match(data))
