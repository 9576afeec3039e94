"""Fold per-signature outcomes into one PgpResult: the rules a desk relies on.

Overall status
    ``valid`` only when *every* signature is cryptographically good with a usable key AND
    at least one of them was made by a key that has a user ID equal to the message's single
    From address. A good signature by a key that does not match From is reported as
    ``invalid`` (with ``signer_matches_from`` false and the signature itself listed as
    ``valid`` in ``PgpResult.signatures``): anyone can sign a message with their own key and
    put someone else's address in From, so a consumer that only reads ``status`` must not
    see ``valid`` for it. Otherwise the worst signature wins, in this order:
    invalid > revoked > expired > unknown_key > error (a definite verdict before "could
    not check"). No signature: ``none``, or ``error`` if an encrypted part could not be
    decrypted.

From, parsed strictly
    Exactly one From header holding exactly one address, and no second ``@`` in the header
    (a display name such as ``"cert@jpcert.or.jp" <x@evil>`` is refused). Compared
    case-insensitively with the addresses of the key's non-revoked, non-expired user IDs.

Partially signed
    Text outside the signed part (unsigned parts around a multipart/signed, text around an
    inline block, a signed text that differs from the displayed one) sets
    ``partially_signed`` and lists that text in ``unsigned_text``. The status still
    describes the signed part; ``trusted_reporter`` is only set for fully signed messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from abusebox.core.models import ParsedMessage, PgpResult, PgpSignature, PgpStatus
from abusebox.parsing.addresses import get_addresses
from abusebox.pgp.keys import UserId
from abusebox.pgp.trust import TrustFileError, trusted_reporter

_RANK: dict[PgpStatus, int] = {"invalid": 5, "revoked": 4, "expired": 3, "unknown_key": 2, "error": 1}
_SIGNER_KNOWN: tuple[PgpStatus, ...] = ("valid", "expired", "revoked")


@dataclass
class Findings:
    """What the checks found in one message, before it is summarised."""

    signatures: list[PgpSignature] = field(default_factory=list)
    unsigned_text: list[str] = field(default_factory=list)
    encrypted: bool = False
    decrypted: bool = False
    decrypt_failed: bool = False
    notes: list[str] = field(default_factory=list)


def strict_from(parsed: ParsedMessage) -> tuple[str | None, str | None]:
    """(the single From address, None) or (None, why it is not usable for matching)."""
    if parsed.from_count != 1 or not parsed.from_header:
        return None, f"From is not a single address ({parsed.from_count} found)"
    addresses = [a for _n, a in get_addresses(parsed.from_header) if a]
    if len(addresses) != 1 or addresses[0].count("@") != 1:
        return None, "From address cannot be parsed unambiguously"
    if parsed.from_header.count("@") != 1:
        return None, "From header contains more than one '@' (address-like display name)"
    local, _, domain = addresses[0].partition("@")
    if not local or "." not in domain:
        return None, "From address has no valid domain"
    return addresses[0].lower(), None


def _matches(sig: PgpSignature, from_addr: str | None) -> bool:
    addresses = {UserId(text, "-").address for text in sig.user_ids}
    return from_addr is not None and from_addr in addresses


def summarise(findings: Findings, parsed: ParsedMessage, home: Path) -> PgpResult:
    from_addr, from_problem = strict_from(parsed)
    for sig in findings.signatures:
        sig.signer_matches_from = _matches(sig, from_addr) if sig.status in _SIGNER_KNOWN else None
    result = PgpResult(
        encrypted=findings.encrypted,
        decrypted=findings.decrypted,
        signatures=findings.signatures,
        partially_signed=bool(findings.signatures) and bool(findings.unsigned_text),
        unsigned_text=findings.unsigned_text if findings.signatures else [],
    )
    notes = list(findings.notes)
    sigs = findings.signatures
    if not sigs:
        result.status = "error" if findings.decrypt_failed else "none"
        result.detail = "; ".join(notes) or None
        return result
    good = [s for s in sigs if s.status == "valid"]
    matching = [s for s in good if s.signer_matches_from]
    if len(good) == len(sigs) and matching:
        chosen = matching[0]
        result.status = "valid"
    elif len(good) == len(sigs):
        chosen = good[0]
        result.status = "invalid"
        notes.insert(
            0, f"good signature, but the signer is not the From address ({from_problem or from_addr})"
        )
    else:
        chosen = max((s for s in sigs if s.status != "valid"), key=lambda s: _RANK.get(s.status, 0))
        result.status = chosen.status
        if chosen.detail:
            notes.insert(0, chosen.detail)
    if len(sigs) > 1:
        notes.append(f"{len(sigs)} signatures: " + ", ".join(s.status for s in sigs))
    if result.partially_signed:
        notes.append("partially signed: text outside the signed part is not covered by the signature")
    result.fingerprint = chosen.fingerprint
    result.user_ids = list(chosen.user_ids)
    result.signer_matches_from = chosen.signer_matches_from
    if chosen.signer_matches_from is False and from_problem and from_problem not in " ".join(notes):
        notes.append(from_problem)
    if result.status == "valid" and not result.partially_signed and from_addr and chosen.fingerprint:
        try:
            result.trusted_reporter = trusted_reporter(home, chosen.fingerprint, from_addr)
        except TrustFileError as exc:  # a broken trust file must not fail the verification
            notes.append(str(exc))
    result.detail = "; ".join(notes) or None
    return result
