"""What extraction found: a parsed structured format, log lines with times, or nothing."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register


class KnownFormat:
    name = "known_format"
    description = "extraction recognised a structured report format (ARF, X-ARF, Shadowserver ...)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        fmt = ctx.extraction.format
        if fmt == "freeform":
            return None
        if fmt == "html" and not ctx.sources:
            return None  # free text in HTML with nothing found: no structure to credit
        return RuleHit(-6.0, f"parsed as a structured {fmt} report ({ctx.sources} sources)")


class LogEvidence:
    name = "log_evidence"
    description = "offending addresses found, with times (log lines) or without"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        timed, sources = ctx.timed_sources, ctx.sources
        if timed:
            score = -3.0 if timed >= 2 else -2.0
            return RuleHit(score, f"{sources} offending addresses, {timed} with times (log evidence)")
        if sources:
            return RuleHit(-0.5, f"{sources} addresses found, none with a time")
        return None


class NoEvidence:
    name = "no_evidence"
    description = "nothing a report would carry: no format, no address, no attachment"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        if ctx.extraction.format != "freeform" or ctx.sources:
            return None
        if ctx.parsed.attachments or any(p.origin == "attachment" for p in ctx.parsed.text_parts):
            return RuleHit(0.5, "no offending address found (but it has attachments)", "non_incident")
        return RuleHit(1.0, "no offending address or log evidence found", "non_incident")


class NotAMail:
    name = "not_a_mail"
    description = "no header block at all: a file (an image, a document) rather than a mail"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        # Bytes that start with anything but headers (a PNG delivered as a message) parse
        # to no header at all. Alone that is no report; log evidence can still outweigh it.
        if ctx.parsed.headers:
            return None
        return RuleHit(4.0, "not a mail: no header block (no From, Subject or Date)", "non_incident")


register(KnownFormat())
register(LogEvidence())
register(NoEvidence())
register(NotAMail())
