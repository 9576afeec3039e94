"""PGP/MIME signing and encryption of outgoing mail (RFC 3156).

The signed part is serialised once, 7-bit clean (quoted-printable, ``From`` escaped,
trailing blanks encoded) so no relay can alter it, and the signature is computed over
exactly those bytes in CRLF form. The message is then assembled as bytes and re-parsed;
a final self-check cuts the signed part out of the re-serialised result the way a
receiver does and refuses to return a message whose signed bytes would differ.
Send the result with ``msg.as_bytes(policy=email.policy.SMTP)`` (or ``bytes(msg)``).
"""

from __future__ import annotations

import copy
import email
import quopri
import re
from email import base64mime
from email.message import EmailMessage, Message
from email.policy import SMTP
from email.policy import default as default_policy
from email.utils import make_msgid

from abusebox.core.config import PgpSettings
from abusebox.core.errors import AbuseboxError
from abusebox.pgp import mime
from abusebox.pgp.gpg import Keyring, open_keyring, passphrase
from abusebox.pgp.keys import is_fingerprint, list_keys, normalise_fingerprint

_MICALG = {"2": "pgp-sha1", "8": "pgp-sha256", "9": "pgp-sha384", "10": "pgp-sha512", "11": "pgp-sha224"}
_PREAMBLE = b"This is an OpenPGP/MIME message (RFC 4880 and 3156)"


class OutgoingPgpError(AbuseboxError):
    """Signing or encrypting an outgoing message failed; the message must not be sent as is."""


def _is_content_header(name: str) -> bool:
    lname = name.lower()
    return lname.startswith("content-") or lname == "mime-version"


def _seven_bit(part: Message) -> None:
    """Make every text leaf quoted-printable (and any 8-bit leaf base64) so relays leave it alone."""
    for leaf in part.walk():
        if leaf.is_multipart():
            continue
        cte = str(leaf.get("Content-Transfer-Encoding", "7bit")).lower()
        if cte in ("base64", "quoted-printable"):
            continue
        payload = leaf.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if leaf.get_content_maintype() == "text":
            del leaf["Content-Transfer-Encoding"]
            encoded = quopri.encodestring(mime.canonical_crlf(data).replace(b"\r\n", b"\n"))
            # "From " at a line start is rewritten by some mbox tools (RFC 3156 3).
            encoded = re.sub(rb"(?m)^From ", b"=46rom ", encoded)
            leaf.set_payload(encoded.decode("ascii"))
            leaf["Content-Transfer-Encoding"] = "quoted-printable"
        elif cte in ("8bit", "binary") or not data.isascii():
            del leaf["Content-Transfer-Encoding"]
            leaf.set_payload(base64mime.body_encode(data))
            leaf["Content-Transfer-Encoding"] = "base64"


def _content_entity(msg: Message) -> bytes:
    """The body of ``msg`` as a MIME entity (content headers only), CRLF, without final CRLF."""
    inner = copy.deepcopy(msg)
    for name in {k for k in inner if not _is_content_header(k)} | {"MIME-Version"}:
        del inner[name]
    if "Content-Type" not in inner:
        inner["Content-Type"] = "text/plain; charset=us-ascii"
    _seven_bit(inner)
    data = mime.canonical_crlf(inner.as_bytes(policy=SMTP))
    return data[:-2] if data.endswith(b"\r\n") else data


def _outer_headers(msg: Message) -> bytes:
    """The non-content headers of ``msg``, folded as they will be sent."""
    shell = EmailMessage(policy=SMTP)
    for name, value in msg.items():
        if not _is_content_header(name):
            shell[name] = value
    header, _body = mime.split_header(shell.as_bytes(policy=SMTP))
    return header + b"\r\n" if header else b""


def _boundary(*parts: bytes) -> str:
    while True:
        candidate = "=_abusebox_" + make_msgid().strip("<>").split("@")[0].replace(".", "_")
        if not any(candidate.encode() in p for p in parts):
            return candidate


def _assemble(msg: Message, content_type: str, first: bytes, second: bytes, boundary: str) -> bytes:
    b = boundary.encode()
    return (
        _outer_headers(msg)
        + b"MIME-Version: 1.0\r\n"
        + f'Content-Type: {content_type};\r\n boundary="{boundary}"\r\n\r\n'.encode()
        + _PREAMBLE
        + b"\r\n--"
        + b
        + b"\r\n"
        + first
        + b"\r\n--"
        + b
        + b"\r\n"
        + second
        + b"\r\n--"
        + b
        + b"--\r\n"
    )


def _signing_key(settings: PgpSettings) -> str:
    if not settings.key_fingerprint:
        raise OutgoingPgpError("pgp.key_fingerprint is not set: no key to sign or decrypt with")
    return normalise_fingerprint(settings.key_fingerprint)


def detached_signature(keyring: Keyring, data: bytes, settings: PgpSettings) -> tuple[bytes, str]:
    """(armored detached signature over ``data``, micalg) made with our key."""
    args = ["--pinentry-mode", "loopback", "--local-user", _signing_key(settings)]
    args += ["--digest-algo", "SHA256", "--armor", "--detach-sign"]
    secret = passphrase(settings)
    call = keyring.run(args if secret is None else args[2:], data, passphrase=secret)
    created = call.values("SIG_CREATED")
    if not call.ok or not created:
        raise OutgoingPgpError(f"signing failed: {call.describe_failure()}")
    fields = created[0].split()
    micalg = _MICALG.get(fields[2] if len(fields) > 2 else "")
    if micalg is None:
        raise OutgoingPgpError(f"signature uses an unexpected hash algorithm: {created[0]}")
    return call.data.strip() + b"\r\n", micalg


def _wire_form(msg: Message, content_type: str, first: bytes, second: bytes) -> tuple[EmailMessage, bytes]:
    """Assemble, parse and re-serialise as the mailer will; return the message and its first part."""
    raw = _assemble(msg, content_type, first, second, _boundary(first, second))
    out = email.message_from_bytes(raw, _class=EmailMessage, policy=default_policy)
    entity = mime.parse_entity(out.as_bytes(policy=SMTP))
    if len(entity.children) < 2:
        raise OutgoingPgpError("the assembled message does not have two parts")
    return out, mime.canonical_crlf(entity.children[0].source)


def sign_message(msg: EmailMessage, settings: PgpSettings) -> EmailMessage:
    """Return ``msg`` as RFC 3156 multipart/signed, signed with ``settings.key_fingerprint``."""
    keyring = open_keyring(settings)
    ctype = 'multipart/signed; micalg="pgp-sha256";\r\n protocol="application/pgp-signature"'
    placeholder = b"Content-Type: application/pgp-signature\r\n\r\n"
    # First pass: the signed part exactly as it will be on the wire (the generator may add
    # a line ending after a nested multipart); that is what gets signed.
    _out, signed = _wire_form(msg, ctype, _content_entity(msg), placeholder)
    signature, micalg = detached_signature(keyring, signed, settings)
    sig_part = (
        b'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
        b"Content-Description: OpenPGP digital signature\r\n"
        b'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n' + signature.rstrip(b"\r\n")
    )
    out, on_wire = _wire_form(msg, ctype.replace("pgp-sha256", micalg), signed, sig_part)
    if on_wire != signed:
        raise OutgoingPgpError("the serialised message would not carry the signed bytes unchanged")
    return out


def recipient_fingerprints(keyring: Keyring, recipients: list[str]) -> list[str]:
    """Fingerprints of usable encryption keys for ``recipients`` (addresses or fingerprints).

    Each address must match exactly one usable key we hold; anything else is an error,
    so we never encrypt to a guess.
    """
    out: list[str] = []
    for recipient in recipients:
        if is_fingerprint(recipient):
            keys = [k for k in list_keys(keyring, [normalise_fingerprint(recipient)]) if k.usable]
        else:
            address = recipient.strip().lower()
            keys = [k for k in list_keys(keyring, [f"<{address}>"]) if k.usable and address in k.addresses()]
        keys = [k for k in keys if k.can_encrypt()]
        if len(keys) != 1:
            found = "no usable key" if not keys else f"{len(keys)} keys"
            raise OutgoingPgpError(f"cannot encrypt to {recipient}: {found} in our keyring")
        out.append(keys[0].fingerprint)
    return out


def can_encrypt_to(recipient: str, settings: PgpSettings) -> bool:
    """Do we hold exactly one usable encryption key for ``recipient``?"""
    try:
        recipient_fingerprints(open_keyring(settings), [recipient])
    except OutgoingPgpError:
        return False
    return True


def encrypt_message(msg: EmailMessage, recipients: list[str], settings: PgpSettings) -> EmailMessage:
    """Return ``msg`` (possibly already signed) as RFC 3156 multipart/encrypted.

    Encrypted to every recipient's key and to our own key (if configured) so that the
    desk can read what it sent. Headers (Subject included) stay in the clear.
    """
    keyring = open_keyring(settings)
    fingerprints = recipient_fingerprints(keyring, recipients)
    if settings.key_fingerprint:
        fingerprints.append(normalise_fingerprint(settings.key_fingerprint))
    args = ["--trust-model", "always", "--armor", "--encrypt"]
    for fpr in dict.fromkeys(fingerprints):
        args += ["--recipient", fpr]
    call = keyring.run(args, _content_entity(msg) + b"\r\n")
    if not call.ok or not call.has("END_ENCRYPTION"):
        raise OutgoingPgpError(f"encryption failed: {call.describe_failure()}")
    control = (
        b"Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version\r\n\r\nVersion: 1"
    )
    body = (
        b'Content-Type: application/octet-stream; name="encrypted.asc"\r\n'
        b'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n' + call.data.strip()
    )
    ctype = 'multipart/encrypted;\r\n protocol="application/pgp-encrypted"'
    return _wire_form(msg, ctype, control, body)[0]


def protect_outgoing(msg: EmailMessage, recipients: list[str], settings: PgpSettings) -> EmailMessage:
    """Sign when ``sign_outgoing`` is set; encrypt when every recipient is in ``encrypt_to``."""
    wanted = {r.strip().lower() for r in settings.encrypt_to}
    if settings.sign_outgoing:
        msg = sign_message(msg, settings)
    if recipients and all(r.strip().lower() in wanted for r in recipients):
        msg = encrypt_message(msg, recipients, settings)
    return msg
