"""Walk one message, verify every signed part and decrypt the first encrypted one.

The walk works on the raw bytes (abusebox.pgp.mime) so signatures are checked over the
exact bytes that were signed. A decrypted PGP/MIME or inline message is rebuilt as a
message (the outer headers + the plaintext), re-parsed for the rest of the pipeline, and
its own signatures are checked too (signed-then-encrypted, RFC 3156 6.1). Nothing is
decrypted twice: an encrypted part inside decrypted content is only reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from abusebox.config import LimitSettings, PgpSettings
from abusebox.errors import LimitExceeded
from abusebox.models import ParsedMessage, PgpResult
from abusebox.parsing.charsets import decode_bytes
from abusebox.parsing.mime import parse_message
from abusebox.pgp import mime
from abusebox.pgp.decrypt import decrypt
from abusebox.pgp.gpg import Keyring, home_path, passphrase
from abusebox.pgp.result import Findings, summarise
from abusebox.pgp.verify import verify_clearsigned, verify_detached

_INLINE_TYPES = ("application/pgp",)  # pre-RFC 3156 inline PGP content type


@dataclass
class _Walk:
    keyring: Keyring
    settings: PgpSettings
    findings: Findings
    allow_decrypt: bool
    calls: int = 0
    plaintext: bytes | None = None  # the rebuilt decrypted message, when there is one
    plaintext_signed: bool = False  # signed and encrypted in one OpenPGP message (RFC 3156 6.2)
    covered: bool = False  # everything walked is inside a verified OpenPGP signature

    def budget(self, what: str) -> bool:
        """Count a gpg call; beyond the per-message budget, note and skip it."""
        if self.calls >= self.settings.max_gpg_calls:
            self.findings.notes.append(
                f"{what} not checked: more than {self.settings.max_gpg_calls} PGP blocks"
            )
            return False
        self.calls += 1
        return True

    def outside(self, text: str, label: str | None = None) -> None:
        if self.covered:
            return
        if text.strip():
            self.findings.unsigned_text.append(text.strip())
        elif label:
            self.findings.unsigned_text.append(label)


def _is_text(entity: mime.RawEntity) -> bool:
    return entity.content_type.startswith("text/") or entity.content_type in _INLINE_TYPES


def _collect(entity: mime.RawEntity, walk: _Walk, outer: bytes) -> None:
    ctype = entity.content_type
    protocol = (entity.param("protocol") or "").lower()
    if ctype == "multipart/signed" and protocol == "application/pgp-signature" and len(entity.children) >= 2:
        _mime_signed(entity, walk)
        return
    if (
        ctype == "multipart/encrypted"
        and protocol == "application/pgp-encrypted"
        and len(entity.children) >= 2
    ):
        _mime_encrypted(entity, walk, outer)
        return
    if entity.children:
        for child in entity.children:
            _collect(child, walk, outer)
        return
    if ctype == "message/rfc822":
        # A forwarded message's signatures are not the sender's: only reported as content.
        walk.outside("", f"[forwarded message, not covered by a signature: {entity.filename or ctype}]")
        return
    if _is_text(entity):
        _inline(entity, walk, outer)
        return
    walk.outside("", f"[attachment not covered by a signature: {entity.filename or ctype}]")


def _mime_signed(entity: mime.RawEntity, walk: _Walk) -> None:
    signed, signature = entity.children[0], entity.children[1]
    if len(entity.children) > 2:
        walk.findings.notes.append("multipart/signed with more than two parts: extra parts ignored")
    if not walk.budget("PGP/MIME signature"):
        walk.outside(signed.text() if _is_text(signed) else "", "[signed part not checked]")
        return
    # RFC 3156 5: the signature covers the first part with CRLF line endings, byte for byte.
    sigs, _call = verify_detached(walk.keyring, mime.canonical_crlf(signed.source), signature.decoded_body())
    walk.findings.signatures.extend(sigs)


def _mime_encrypted(entity: mime.RawEntity, walk: _Walk, outer: bytes) -> None:
    walk.findings.encrypted = True
    ciphertext = entity.children[1].decoded_body()
    if not walk.allow_decrypt or walk.plaintext is not None:
        walk.findings.notes.append("further encrypted part not decrypted")
        return
    if walk.budget("encrypted part"):
        _decrypt(ciphertext, walk, outer, pgp_mime=True)


def _decrypt(ciphertext: bytes, walk: _Walk, outer: bytes, pgp_mime: bool) -> None:
    settings = walk.settings
    result = decrypt(walk.keyring, ciphertext, passphrase(settings), settings.max_plaintext_bytes)
    walk.findings.signatures.extend(result.signatures)
    if result.encrypted:
        walk.findings.encrypted = True
    if result.plaintext is None:
        walk.findings.decrypt_failed = True
        walk.findings.notes.append(result.detail or "decryption failed")
        return
    walk.findings.decrypted = walk.findings.decrypted or result.encrypted
    walk.plaintext_signed = bool(result.signatures)
    body = result.plaintext
    if pgp_mime and mime.looks_like_entity(body):
        walk.plaintext = outer + b"\r\nMIME-Version: 1.0\r\n" + body
    else:
        # Inline plaintext has no MIME headers; the charset is guessed when it is parsed.
        walk.plaintext = outer + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + body


def _inline(entity: mime.RawEntity, walk: _Walk, outer: bytes) -> None:
    data = entity.decoded_body()
    charset = entity.param("charset")
    if mime.BEGIN_SIGNED not in data and mime.BEGIN_MESSAGE not in data:
        walk.outside(decode_bytes(data, charset)[0])
        return
    blocks = [(s, e, "signed") for s, e in mime.clearsigned_blocks(data)]
    blocks += [(s, e, "message") for s, e in mime.armored_messages(data)]
    blocks.sort()
    pos = 0
    for start, end, kind in blocks:
        if start < pos:  # an armored block inside a clear-signed one: part of its text
            continue
        walk.outside(decode_bytes(data[pos:start], charset)[0])
        pos = end
        block = data[start:end]
        if kind == "signed":
            if walk.budget("clear-signed block"):
                _clearsigned(block, charset, walk)
            else:
                walk.outside(decode_bytes(mime.displayed_clearsigned_text(block), charset)[0])
        elif not walk.allow_decrypt or walk.plaintext is not None:
            walk.findings.notes.append("further PGP message not decrypted")
        elif walk.budget("PGP message"):
            _decrypt(block, walk, outer, pgp_mime=False)
    walk.outside(decode_bytes(data[pos:], charset)[0])


def _clearsigned(block: bytes, charset: str | None, walk: _Walk) -> None:
    sigs, verified, _call = verify_clearsigned(walk.keyring, block, walk.settings.max_plaintext_bytes)
    walk.findings.signatures.extend(sigs)
    displayed = mime.displayed_clearsigned_text(block)
    if verified is not None and mime.normalise_text(verified) != mime.normalise_text(displayed):
        # What gpg verified is not what a reader sees: treat the displayed text as unsigned.
        walk.findings.notes.append("the text gpg verified differs from the displayed clear-signed text")
        walk.findings.unsigned_text.append(decode_bytes(displayed, charset)[0].strip())


def run_checks(
    parsed: ParsedMessage, settings: PgpSettings, keyring: Keyring, limits: LimitSettings
) -> tuple[PgpResult, ParsedMessage | None]:
    """Verify/decrypt ``parsed``; see abusebox.pgp.result for how the status is decided."""
    findings = Findings()
    walk = _Walk(keyring, settings, findings, allow_decrypt=True)
    outer = mime.outer_headers(parsed.raw)
    _collect(mime.parse_entity(parsed.raw), walk, outer)
    decrypted: ParsedMessage | None = None
    if walk.plaintext is not None:
        try:
            decrypted = parse_message(walk.plaintext, limits)
        except LimitExceeded as exc:
            findings.notes.append(f"decrypted content not used: {exc}")
            findings.decrypt_failed = True
        else:
            # Signed-then-encrypted: the signatures are inside; text around them counts as unsigned.
            inner = _Walk(keyring, settings, findings, False, walk.calls, covered=walk.plaintext_signed)
            _collect(mime.parse_entity(walk.plaintext), inner, outer)
    return summarise(findings, parsed, home_path(settings)), decrypted
