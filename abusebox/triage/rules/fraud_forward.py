"""A user forwarding a one-click-fraud or extortion mail and asking what to do: fraud.

The billing-fraud rule reads only the sender's own words, so a forward ("Is this real?
What should I do?") of a 架空請求 or a "we recorded your IP address" settlement demand
slips past it and its address looks like a report. Here the sender's own words must
ask for advice and the whole body must carry the scam's phrasing.
"""

from __future__ import annotations

from abusebox.parsing.text import normalise
from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.rules.fraud import TERMS as BILLING_TERMS
from abusebox.triage.text import count_terms

ASKING: tuple[str, ...] = (
    "what should i do",
    "what do i do",
    "is this real",
    "is this legit",
    "i am scared",
    "should i pay",
    "do i have to pay",
    "どうすればいいですか",
    "どうすればよいですか",
    "どうしたらいいですか",
    "払わないといけない",
    "支払う必要",
    "本物でしょうか",
    "詐欺でしょうか",
)
LURE: tuple[str, ...] = (
    *BILLING_TERMS,
    "settlement fee",
    "gift card",
    "gift cards",
    "we recorded your ip address",
    "your ip address has been recorded",
    "avoid legal action",
    "を記録しました",
    "端末識別番号",
    "個体識別番号",
)


class FraudForward:
    name = "fraud_forward"
    description = "a user forwarding a billing/extortion scam and asking what to do (fraud)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        asking = count_terms(ctx.own_text, ASKING)
        if not asking:
            return None
        lure = count_terms(normalise(ctx.parsed.body_text[:100_000]), LURE)
        if len(lure) < 2:
            return None
        return RuleHit(
            12.0,
            f"forwarded scam with a request for advice: {asking[0]}; " + ", ".join(lure[:4]),
            "fraud",
        )


register(FraudForward())
