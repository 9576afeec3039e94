"""Calendar invitations (text/calendar METHOD:REQUEST and its replies): not reports."""

from __future__ import annotations

from abusebox.triage.base import RuleHit, TriageContext, register


class CalendarInvite:
    name = "calendar_invite"
    description = "meeting invitations and their answers (text/calendar parts)"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        parsed = ctx.parsed
        types = [p.content_type.lower() for p in parsed.text_parts]
        types += [a.content_type.lower() for a in parsed.attachments]
        if "text/calendar" not in types and "application/ics" not in types:
            return None
        return RuleHit(9.0, "calendar invitation (text/calendar part)", "non_incident")


register(CalendarInvite())
