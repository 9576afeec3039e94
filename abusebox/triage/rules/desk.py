"""Signals learned from the desk's own decisions: known senders, keys, and a classifier."""

from __future__ import annotations

from abusebox.triage.base import Hint, RuleHit, TriageContext, register
from abusebox.triage.rules.authentication import sender_authenticated

_HINTS: dict[str, Hint] = {"spam": "spam", "non_incident": "non_incident", "automated": "automated"}


def _majority(counts: dict[str, int]) -> tuple[str, int, int]:
    verdict = max(sorted(counts), key=lambda v: counts[v])
    return verdict, counts[verdict], sum(counts.values())


class DeskHistory:
    name = "desk_history"
    description = "how the desk classified earlier mail from this sender or key"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        learned = ctx.learned
        if learned is None:
            return None
        fpr = (ctx.pgp.fingerprint or "").upper()
        if ctx.pgp.verified and fpr in learned.fingerprints:
            verdict, n, total = _majority(learned.fingerprints[fpr])
            what = f"key {fpr[-16:]}"
        elif ctx.parsed.from_addr and ctx.parsed.from_addr.lower() in learned.senders:
            verdict, n, total = _majority(learned.senders[ctx.parsed.from_addr.lower()])
            what = ctx.parsed.from_addr
        else:
            return None
        strength = 4.0 if n >= 2 else 2.5
        reason = f"the desk classified {n} of {total} earlier messages from {what} as {verdict}"
        if verdict == "report":
            if what == ctx.parsed.from_addr and not sender_authenticated(ctx):
                # A known sender's address is forgeable: its bonus needs proof it is theirs.
                return RuleHit(0.0, reason + "; From not authenticated: no bonus")
            return RuleHit(-strength, reason)
        return RuleHit(strength, reason, _HINTS.get(verdict, "spam"))


class DeskClassifier:
    name = "desk_classifier"
    description = "token classifier trained on the desk's decisions (after classifier_min_examples)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        from abusebox.triage.signals import document_tokens

        learned = ctx.learned
        model = learned.classifier if learned is not None else None
        # It speaks only when it can tell reports from junk: with no `report` example (the
        # desk only ever moved mail between junk queues) p(report) would be 0 for every
        # message and push all of it, real reports included, towards junk.
        if model is None or "report" not in model.classes or len(model.classes) < 2:
            return None
        if model.examples < ctx.settings.classifier_min_examples:
            return None
        toks = document_tokens(ctx.own_text, ctx.parsed.from_addr)
        probs = model.predict(toks)
        p_report = probs.get("report", 0.0)
        junk = [c for c in model.classes if c != "report"]
        best = max(junk, key=lambda c: probs[c]) if junk else "report"
        score = round((1.0 - 2.0 * p_report) * 5.0, 2)
        if abs(score) < 0.5:
            return RuleHit(0.0, f"desk-trained classifier undecided ({p_report:.0%} report)")
        if score > 0:
            words = model.explain(toks, best, "report") if "report" in model.classes else []
            reason = f"desk-trained classifier ({model.examples} examples): {probs[best]:.0%} {best}"
            reason += f" (tokens: {', '.join(words)})" if words else ""
            return RuleHit(score, reason, _HINTS.get(best, "spam"))
        words = model.explain(toks, "report", best)
        reason = f"desk-trained classifier ({model.examples} examples): {p_report:.0%} report"
        reason += f" (tokens: {', '.join(words)})" if words else ""
        return RuleHit(score, reason)


register(DeskHistory())
register(DeskClassifier())
