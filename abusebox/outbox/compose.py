"""Build outgoing messages: headers only from safe values, bodies in the recipient's charset.

Every header goes through ``EmailMessage(policy=default)``, which refuses line breaks in
header values; on top of that, text that came from a reporter (a subject) is flattened to
one line of printable characters first, so an encoded ``=0D=0A`` that decoded to CR/LF
cannot add a header or a recipient. Message-IDs from reporters are only copied into
``In-Reply-To``/``References`` when they have the strict ``<local@domain>`` shape.

For an ISO-2022-JP mail the Subject and the From display name are ISO-2022-JP encoded
words (``=?iso-2022-jp?b?...?=``, RFC 1468/2047), what Japanese mail clients expect;
``email.policy`` alone would always encode header text as UTF-8.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy, default
from email.utils import format_datetime, make_msgid

from abusebox.core.mail_config import MailSettings

Charset = str  # "utf-8" or "iso-2022-jp"
_MSGID = re.compile(r"<[!#-'*+\-/-9=?A-Z^-~.]{1,200}@[A-Za-z0-9.\-\[\]:]{1,200}>")
MAX_SUBJECT_CHARS = 200


def one_line(text: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """Reporter text made fit for a header: no control or format characters, one line, bounded."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        out.append(" " if category[0] in "CZ" and ch != " " and category != "Zs" else ch)
        if category == "Zs":
            out[-1] = " "
    flat = re.sub(r" {2,}", " ", "".join(out)).strip()
    return flat[:limit]


def safe_msgid(value: str | None) -> str | None:
    """A Message-ID in the strict shape, else None (never copy anything else into a header)."""
    if not value:
        return None
    value = value.strip()
    return value if _MSGID.fullmatch(value) else None


def new_message_id(settings: MailSettings) -> str:
    domain = settings.from_address.rpartition("@")[2] or "abusebox.invalid"
    return make_msgid("abusebox", domain=one_line(domain, 200).replace(" ", "") or "abusebox.invalid")


def charset_for(recipients: list[str], settings: MailSettings, default_charset: Charset = "utf-8") -> Charset:
    """ISO-2022-JP when every recipient is listed in ``[mail] iso_2022_jp`` (address or @domain)."""
    wanted = [w.strip().lower() for w in settings.iso_2022_jp]
    if recipients and wanted and all(_listed(r, wanted) for r in recipients):
        return "iso-2022-jp"
    return default_charset


def _listed(address: str, entries: list[str]) -> bool:
    address = address.strip().lower()
    domain = "@" + address.rpartition("@")[2]
    return address in entries or domain in entries


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # maintype/subtype
    data: bytes


@dataclass
class Outgoing:
    """What a composer decides; ``build`` turns it into the bytes the outbox keeps."""

    to: list[str]
    subject: str
    body: str
    message_id: str
    charset: Charset = "utf-8"
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str | None = "auto-generated"
    attachments: list[Attachment] = field(default_factory=list)


class EncodedHeader(str):
    """A header value that reads as its text (``str``) and is written as prepared encoded words.

    ``email.policy`` stores an object with a ``name`` as the header itself and writes it
    with its ``fold``; the words are plain ASCII (base64), so no line break can get in.
    """

    name: str
    encoded: str

    def __new__(cls, name: str, text: str, encoded: str) -> EncodedHeader:
        self = super().__new__(cls, text)
        self.name, self.encoded = name, encoded
        return self

    def __reduce__(self) -> tuple[type[EncodedHeader], tuple[str, str, str]]:  # copy, pickle
        return (EncodedHeader, (self.name, str.__str__(self), self.encoded))

    def fold(self, *, policy: Policy) -> str:
        lines = [line for line in self.encoded.splitlines() if line.strip()]
        return f"{self.name}: " + policy.linesep.join(lines) + policy.linesep


def _jis(text: str) -> bool:
    """Worth ISO-2022-JP encoded words: not plain ASCII, and ISO-2022-JP can hold it."""
    if text.isascii():
        return False
    try:
        text.encode("iso-2022-jp")
    except UnicodeEncodeError:
        return False  # ①, emoji: the header goes out as UTF-8 rather than with "?"
    return True


def _jis_header(name: str, text: str, *ascii_tail: str, charset: str = "iso-2022-jp") -> EncodedHeader:
    header = Header(text, charset, header_name=name)
    for tail in ascii_tail:
        header.append(tail, "us-ascii")
    shown = " ".join([text, *ascii_tail])
    return EncodedHeader(name, shown, header.encode(linesep="\n", maxlinelen=76))


def _from(settings: MailSettings, charset: Charset) -> Address | EncodedHeader:
    address = Address(display_name=one_line(settings.team_name, 100), addr_spec=settings.from_address)
    name = address.display_name
    if name.isascii():
        return address
    # Else whole-name UTF-8 encoded words, as for the Subject: email.policy's own folding
    # of a name it must encode can leave a line over 78 characters (found by a test).
    words = "iso-2022-jp" if charset == "iso-2022-jp" and _jis(name) else "utf-8"
    return _jis_header("From", name, f"<{address.addr_spec}>", charset=words)


def _subject(subject: str, charset: Charset) -> str:
    text = one_line(subject, 400)
    if text.isascii():
        return text
    if charset == "iso-2022-jp" and _jis(text):
        return _jis_header("Subject", text)
    # Whole-text UTF-8 encoded words: email.policy's own folding of mixed ASCII and
    # encoded words can drop the space between two of them, changing the subject.
    return _jis_header("Subject", text, charset="utf-8")


def build(out: Outgoing, settings: MailSettings) -> EmailMessage:
    msg = EmailMessage(policy=default)
    msg["From"] = _from(settings, out.charset)
    msg["To"] = ", ".join(out.to)
    msg["Subject"] = _subject(out.subject, out.charset)
    msg["Message-ID"] = out.message_id
    msg["Date"] = _now_header()
    reply = safe_msgid(out.in_reply_to)
    if reply:
        msg["In-Reply-To"] = reply
    refs = [r for r in (safe_msgid(x) for x in out.references) if r]
    if refs:
        msg["References"] = " ".join(dict.fromkeys(refs[-10:]))
    if out.auto_submitted:
        msg["Auto-Submitted"] = out.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"  # ask Exchange-style responders not to answer us
    if out.auto_submitted:
        msg["Precedence"] = "bulk"
    _set_body(msg, out.body, out.charset)
    for attachment in out.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def _set_body(msg: EmailMessage, body: str, charset: Charset) -> None:
    if charset == "iso-2022-jp":
        try:
            body.encode("iso-2022-jp")
        except UnicodeEncodeError:
            charset = "utf-8"  # a character ISO-2022-JP cannot hold: UTF-8 rather than "?"
    if charset == "iso-2022-jp":
        # ISO-2022-JP is 7-bit by design; Japanese clients expect it with CTE 7bit.
        msg.set_content(body.encode("iso-2022-jp"), maintype="text", subtype="plain", cte="7bit")
        msg.set_param("charset", "iso-2022-jp")
    else:
        msg.set_content(body, charset="utf-8", cte="quoted-printable" if not body.isascii() else "7bit")


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


def _now_header() -> str:
    return format_datetime(datetime.now(UTC))
