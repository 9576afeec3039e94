"""Cheap tests (no gpg) for whether a message carries a signature or encryption at all."""

from __future__ import annotations

import re

from abusebox.core.models import ParsedMessage

_MARKERS = (b"-----BEGIN PGP SIGNED MESSAGE-----", b"-----BEGIN PGP MESSAGE-----")
_TEXT_MARKERS = ("-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP MESSAGE-----")
_PGP_MIME = re.compile(rb"multipart/(?:signed|encrypted)", re.I)


def has_pgp(parsed: ParsedMessage) -> bool:
    """Does the message (or a message forwarded inside it) carry PGP? Only those pay for gpg."""
    if parsed.content_type in ("multipart/signed", "multipart/encrypted"):
        return True
    if any(marker in parsed.raw for marker in _MARKERS) or _PGP_MIME.search(parsed.raw):
        return True
    # Inline blocks inside base64 or quoted-printable bodies only show after decoding;
    # forwarded messages (their text parts are here too) are checked as forwarded content.
    if any(m in tp.text for tp in parsed.text_parts for m in _TEXT_MARKERS):
        return True
    return any(has_pgp(nested) for nested in parsed.nested)
