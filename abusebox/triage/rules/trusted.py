"""Trusted reporters (config allow-list, `keys trust`) and valid PGP signatures."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.rules.authentication import dmarc_pass
from abusebox.triage.text import domain_matches, sender_domain


def _norm_fpr(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def listed_reporter(addr: str | None, entries: list[str]) -> str | None:
    """The allow-list entry that matches a sender: an exact address or an @domain."""
    if not addr:
        return None
    addr = addr.lower()
    domain = sender_domain(addr) or ""
    for entry in entries:
        e = entry.strip().lower()
        if e.startswith("@") and domain and domain_matches(domain, e[1:]):
            return entry
        if e == addr:
            return entry
    return None


class TrustedReporter:
    name = "trusted_reporter"
    description = "sender or signing key on the allow-list (triage.trusted_reporters / trusted_fingerprints)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        pgp = ctx.pgp
        # Only a signature over the whole message by the From address speaks for the sender:
        # a good signature by another key is status "invalid" already, and a partially
        # signed message may be a genuine signed text replayed with unsigned words around it.
        verified = pgp.verified
        fpr = _norm_fpr(pgp.fingerprint)
        if verified and fpr and fpr in {_norm_fpr(f) for f in ctx.settings.trusted_fingerprints}:
            return RuleHit(-10.0, f"signed with trusted key {fpr[-16:]}")
        if verified and pgp.trusted_reporter:
            return RuleHit(
                -10.0, f"signed by trusted reporter {pgp.trusted_reporter} (key bound by the desk)"
            )
        entry = listed_reporter(ctx.parsed.from_addr, ctx.settings.trusted_reporters)
        if entry is None:
            return None
        if verified:
            return RuleHit(-10.0, f"trusted reporter {entry}, PGP signature valid and matches From")
        # The From address alone is forgeable: it counts only when our own MTA saw DMARC
        # pass for it, and then as a strong but not overriding signal.
        if not dmarc_pass(ctx):
            return RuleHit(
                0.0,
                f"From matches trusted reporter {entry}, not authenticated "
                "(no DMARC pass, no verified signature)",
            )
        if pgp.signer_matches_from is False:
            how = "signed by another key"
        else:
            how = "partially signed" if pgp.partially_signed else "unsigned"
        return RuleHit(-5.0, f"sender matches trusted reporter {entry} (From header, DMARC pass, {how})")


class PgpSignature:
    name = "pgp_signature"
    description = "a valid PGP signature whose signer matches the From address"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        pgp = ctx.pgp
        if pgp.verified:
            return RuleHit(-2.0, "valid PGP signature by the sender")
        if pgp.status == "valid" and pgp.signer_matches_from and pgp.partially_signed:
            return RuleHit(-0.5, "valid PGP signature by the sender over part of the message only")
        return None


class ForwardedSignature:
    name = "forwarded_pgp_signature"
    description = "a forwarded message (e.g. a JPCERT/CC notice) carries a valid signature by its sender"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        # Evidence that the forwarded content is a genuine notice, not that the forwarder is
        # who they claim: weaker than the sender's own signature, and never "trusted".
        good = [f for f in ctx.pgp.forwarded if f.verified]
        trusted = [f for f in good if f.trusted_reporter]
        if trusted:
            return RuleHit(
                -3.0, f"forwards a message signed by trusted reporter {trusted[0].trusted_reporter}"
            )
        if good:
            return RuleHit(-1.0, "forwards a message with a valid PGP signature by its sender")
        return None


register(TrustedReporter())
register(PgpSignature())
register(ForwardedSignature())
