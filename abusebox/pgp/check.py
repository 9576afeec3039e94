"""Walk one message, verify every signed part and decrypt every encrypted one.

The walk works on the raw bytes (abusebox.pgp.mime) so signatures are checked over the
exact bytes that were signed. Each decrypted PGP/MIME or inline part is cut back into the
message in place of its ciphertext (abusebox.pgp.rebuild), so the text around it and the
other parts still reach the pipeline; the result is re-parsed. The signatures inside each
plaintext are checked too (signed-then-encrypted, RFC 3156 6.1). Nothing is decrypted
twice: an encrypted part inside decrypted content is only reported.

A forwarded message (message/rfc822) is another sender's mail: its signatures are checked
against *its* From and reported in ``PgpResult.forwarded``; they never make the outer
message valid, and the forwarded part stays unsigned content of the outer message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from abusebox.core.config import LimitSettings, PgpSettings
from abusebox.core.errors import LimitExceeded
from abusebox.core.models import ParsedMessage, PgpResult
from abusebox.parsing.charsets import decode_bytes
from abusebox.parsing.mime import parse_message
from abusebox.pgp import mime
from abusebox.pgp.decrypt import decrypt
from abusebox.pgp.detect import has_pgp
from abusebox.pgp.gpg import Keyring, home_path, passphrase
from abusebox.pgp.rebuild import Splice, as_message, splice, text_entity
from abusebox.pgp.result import Findings, summarise
from abusebox.pgp.verify import verify_clearsigned, verify_detached

_INLINE_TYPES = ("application/pgp",)  # pre-RFC 3156 inline PGP content type
_PLAIN = b"Content-Type: text/plain\r\n\r\n"


@dataclass
class _Budget:
    """gpg calls per message, shared by every walk over it (forwarded and decrypted parts too)."""

    limit: int
    used: int = 0


@dataclass
class _Walk:
    keyring: Keyring
    settings: PgpSettings
    limits: LimitSettings
    findings: Findings
    calls: _Budget
    allow_decrypt: bool
    verify_forwarded: bool = True
    covered: bool = False  # everything walked is inside a verified OpenPGP signature
    splices: list[Splice] = field(default_factory=list)  # decrypted parts, in document order
    plaintexts: list[tuple[bytes, bool]] = field(default_factory=list)  # (message, signed inside)
    forwarded: list[PgpResult] = field(default_factory=list)

    def budget(self, what: str) -> bool:
        """Count a gpg call; beyond the per-message budget, note and skip it."""
        if self.calls.used >= self.calls.limit:
            self.findings.notes.append(f"{what} not checked: more than {self.calls.limit} PGP blocks")
            return False
        self.calls.used += 1
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
        if walk.verify_forwarded:
            _forwarded(entity, walk)
        walk.outside("", f"[forwarded message, not covered by a signature: {entity.filename or ctype}]")
        return
    if _is_text(entity):
        _inline(entity, walk, outer)
        return
    walk.outside("", f"[attachment not covered by a signature: {entity.filename or ctype}]")


def _mime_signed(entity: mime.RawEntity, walk: _Walk) -> None:
    signed, signature = entity.children[0], entity.children[1]
    for extra in entity.children[2:]:  # RFC 3156 has two parts: anything more is not signed
        walk.outside(extra.text() if _is_text(extra) else "", f"[part not covered: {extra.content_type}]")
    if len(entity.children) > 2:
        walk.findings.notes.append(
            "multipart/signed with more than two parts: the extra parts are not signed"
        )
    if not walk.budget("PGP/MIME signature"):
        walk.outside(signed.text() if _is_text(signed) else "", "[signed part not checked]")
        return
    # RFC 3156 5: the signature covers the first part with CRLF line endings, byte for byte.
    sigs, _call = verify_detached(walk.keyring, mime.canonical_crlf(signed.source), signature.decoded_body())
    walk.findings.signatures.extend(sigs)
    if walk.verify_forwarded:  # a notice forwarded inside the signed part has its own signer
        for leaf in signed.leaves():
            if leaf.content_type == "message/rfc822":
                _forwarded(leaf, walk)


def _mime_encrypted(entity: mime.RawEntity, walk: _Walk, outer: bytes) -> None:
    walk.findings.encrypted = True
    if not walk.allow_decrypt:
        walk.findings.notes.append("encrypted part inside decrypted or forwarded content not decrypted")
        return
    if not walk.budget("encrypted part"):
        return
    plaintext = _decrypt(entity.children[1].decoded_body(), walk)
    if plaintext is None:
        return
    data, signed = plaintext
    body = data if mime.looks_like_entity(data) else _PLAIN + data
    walk.splices.append(Splice(entity.source, body))
    walk.plaintexts.append((as_message(outer, body), signed))


def _decrypt(ciphertext: bytes, walk: _Walk) -> tuple[bytes, bool] | None:
    """Decrypt one OpenPGP message and record the outcome: (plaintext, signed inside) or None."""
    settings = walk.settings
    result = decrypt(walk.keyring, ciphertext, passphrase(settings), settings.max_plaintext_bytes)
    walk.findings.signatures.extend(result.signatures)
    if result.encrypted:
        walk.findings.encrypted = True
    if result.plaintext is None:
        walk.findings.decrypt_failed = True
        walk.findings.notes.append(result.detail or "decryption failed")
        return None
    walk.findings.decrypted = walk.findings.decrypted or result.encrypted
    return result.plaintext, bool(result.signatures)


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
    pieces: list[str] = []  # the part's text with each decrypted block replaced by its plaintext
    replaced = False
    for start, end, kind in blocks:
        if start < pos:  # an armored block inside a clear-signed one: part of its text
            continue
        before = decode_bytes(data[pos:start], charset)[0]
        walk.outside(before)
        pieces.append(before)
        pos = end
        block = data[start:end]
        plaintext: tuple[bytes, bool] | None = None
        if kind == "signed":
            if walk.budget("clear-signed block"):
                _clearsigned(block, charset, walk)
            else:
                walk.outside(decode_bytes(mime.displayed_clearsigned_text(block), charset)[0])
        elif not walk.allow_decrypt:
            walk.findings.notes.append("PGP message inside decrypted or forwarded content not decrypted")
        elif walk.budget("PGP message"):
            plaintext = _decrypt(block, walk)
        if plaintext is None:
            pieces.append(decode_bytes(block, charset)[0])
        else:
            # Inline plaintext has no MIME headers: its charset is guessed.
            pieces.append(decode_bytes(plaintext[0], None)[0])
            walk.plaintexts.append((as_message(outer, _PLAIN + plaintext[0]), plaintext[1]))
            replaced = True
    after = decode_bytes(data[pos:], charset)[0]
    walk.outside(after)
    if replaced:
        subtype = (
            entity.content_type.partition("/")[2] if entity.content_type.startswith("text/") else "plain"
        )
        walk.splices.append(Splice(entity.source, text_entity("".join([*pieces, after]), subtype)))


def _clearsigned(block: bytes, charset: str | None, walk: _Walk) -> None:
    sigs, verified, _call = verify_clearsigned(walk.keyring, block, walk.settings.max_plaintext_bytes)
    walk.findings.signatures.extend(sigs)
    displayed = mime.displayed_clearsigned_text(block)
    if verified is not None and mime.normalise_text(verified) != mime.normalise_text(displayed):
        # What gpg verified is not what a reader sees: treat the displayed text as unsigned.
        walk.findings.notes.append("the text gpg verified differs from the displayed clear-signed text")
        walk.findings.unsigned_text.append(decode_bytes(displayed, charset)[0].strip())


def _forwarded(entity: mime.RawEntity, walk: _Walk) -> None:
    """Check the signatures of a forwarded message against its own From (not ours)."""
    body = entity.decoded_body()
    try:
        nested = parse_message(body, walk.limits)
    except LimitExceeded as exc:
        walk.forwarded.append(PgpResult(status="error", detail=f"forwarded message not checked: {exc}"))
        return
    if not has_pgp(nested):
        return
    sub = _Walk(
        walk.keyring,
        walk.settings,
        walk.limits,
        Findings(),
        walk.calls,
        allow_decrypt=False,  # mail to someone else: not ours to decrypt
        verify_forwarded=False,  # one level: a forward of a forward is only content
    )
    try:
        _collect(mime.parse_entity(body), sub, mime.outer_headers(body))
    except mime.MimeLimit as exc:
        walk.forwarded.append(PgpResult(status="error", detail=f"forwarded message not checked: {exc}"))
        return
    result = summarise(sub.findings, nested, home_path(walk.settings))
    if result.status == "none" and not result.encrypted:
        return  # PGP-looking text, but nothing signed: nothing to report about the forward
    result.detail = "; ".join(filter(None, ["forwarded message", result.detail]))
    walk.forwarded.append(result)


def run_checks(
    parsed: ParsedMessage, settings: PgpSettings, keyring: Keyring, limits: LimitSettings
) -> tuple[PgpResult, ParsedMessage | None]:
    """Verify/decrypt ``parsed``; see abusebox.pgp.result for how the status is decided."""
    findings = Findings()
    walk = _Walk(keyring, settings, limits, findings, _Budget(settings.max_gpg_calls), allow_decrypt=True)
    outer = mime.outer_headers(parsed.raw)
    _collect(mime.parse_entity(parsed.raw), walk, outer)
    decrypted: ParsedMessage | None = None
    forwarded = walk.forwarded
    if walk.splices:
        try:
            decrypted = parse_message(splice(parsed.raw, outer, walk.splices), limits)
        except LimitExceeded as exc:
            findings.notes.append(f"decrypted content not used: {exc}")
            findings.decrypt_failed = True
        else:
            for plaintext, signed in walk.plaintexts:
                # Signed-then-encrypted: the signatures are inside; text around them counts as unsigned.
                inner = _Walk(keyring, settings, limits, findings, walk.calls, False, covered=signed)
                _collect(mime.parse_entity(plaintext), inner, outer)
                forwarded += inner.forwarded
    result = summarise(findings, parsed, home_path(settings))
    result.forwarded = forwarded
    return result, decrypted
