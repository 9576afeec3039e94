"""SPF, DKIM and DMARC results, read only from our own MTA's Authentication-Results.

Anyone can write an Authentication-Results header into a message, so only the
one whose authserv-id is ours (``triage.authserv_id``) counts, and only the
topmost such header: RFC 8601 section 5 has our MTA strip incoming copies that
claim its id, and the topmost is the last one added. Any other is ignored, and
the reason says so.
"""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register

_METHOD = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
# score per method and result; positive = junk-ward
_SCORES: dict[tuple[str, str], float] = {
    ("spf", "fail"): 1.0,
    ("spf", "softfail"): 0.5,
    ("dkim", "fail"): 1.0,
    ("dmarc", "fail"): 3.0,
    ("dmarc", "pass"): -0.5,
}


def authserv_id(value: str) -> str:
    """The authserv-id: the first token before ';' (an optional version follows it)."""
    head = value.split(";", 1)[0].strip()
    return head.split()[0].lower() if head else ""


def results(value: str) -> dict[str, str]:
    """method -> result of one header (the first result per method)."""
    found: dict[str, str] = {}
    for part in value.split(";")[1:]:
        match = _METHOD.search(part.strip()[:40])
        if match and match.start() == 0:
            found.setdefault(match.group(1).lower(), match.group(2).lower())
    return found


_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*([^\s;]+)", re.IGNORECASE)


def dmarc_pass(ctx: TriageContext) -> bool:
    """True when our own MTA's Authentication-Results says DMARC pass for the From domain.

    Only the header with our authserv-id counts (anyone can write one); when it names the
    domain it checked (``header.from=``), that must be the From address's domain.
    """
    ours = (ctx.settings.authserv_id or "").lower()
    addr = (ctx.parsed.from_addr or "").lower()
    if not ours or "@" not in addr:
        return False
    domain = addr.rsplit("@", 1)[1]
    for header in ctx.parsed.header_all("Authentication-Results"):
        if authserv_id(header) != ours or results(header).get("dmarc") != "pass":
            continue
        named = _HEADER_FROM.search(header)
        if named is None or named.group(1).lower().strip(".") == domain:
            return True
    return False


def sender_authenticated(ctx: TriageContext) -> bool:
    """The From address is the sender's: DMARC pass at our MTA, or a verified PGP signature
    over the whole message by a key bound to the From address."""
    return bool(ctx.pgp.verified) or dmarc_pass(ctx)


class Authentication:
    name = "authentication"
    description = "SPF/DKIM/DMARC from our own MTA's Authentication-Results (others are ignored)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        headers = ctx.parsed.header_all("Authentication-Results")
        if not headers:
            return None
        ours = (ctx.settings.authserv_id or "").lower()
        mine = [h for h in headers if ours and authserv_id(h) == ours]
        foreign = sorted({authserv_id(h) or "(empty)" for h in headers if h not in mine})
        ignored = ""
        if foreign:
            why = "not our authserv-id" if ours else "no triage.authserv_id configured"
            ignored = f"ignored Authentication-Results from {', '.join(foreign[:3])} ({why}; forgeable)"
        if not mine:
            return RuleHit(0.0, ignored)
        found = results(mine[0])
        score = sum(_SCORES.get(item, 0.0) for item in found.items())
        text = ", ".join(f"{m}={r}" for m, r in sorted(found.items())) or "no SPF/DKIM/DMARC result"
        reason = f"our MTA ({ours}) says {text}"
        if ignored:
            reason += f"; {ignored}"
        return RuleHit(score, reason, "spam" if score > 0 else None)


register(Authentication())
