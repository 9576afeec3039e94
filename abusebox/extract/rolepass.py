"""Roles that one line cannot decide: lists, headings above an address, the whole report.

roles.py guesses each address from its own line. Some reports need more context:
- "Destination IPs: A, B": B shares A's cue (``inherit_listed``);
- a heading line above an address-only line ("2 通信先（C2サーバ）" / "  203.0.113.250")
  is that address's key (``heading_label``);
- report-wide (``settle_roles``): a C2 server is the offender only when the report names
  no infected host (a sinkhole or police notice names both: the bot is the offender, the
  C2 it contacted is not); 対象 ("the host concerned") is a victim beside a source, but
  the offender when the report names no other source; an address without a cue on a log
  row beside the one source the subject names is that source's target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from abusebox.extract.ips import IpHit
from abusebox.extract.lines import EvidenceLine
from abusebox.extract.roles import RoleGuess

_LIST_GAP = re.compile(r"^\s{0,3}(?:[,、，;/]|and|&)\s{0,3}$", re.IGNORECASE)
MAX_HEADING = 80
MAX_REST = 40  # what an address-only line may hold besides its addresses
# What may stand beside the address on an address-only line: a port, a protocol.
_ADDRESS_ONLY_REST = re.compile(
    r"^[\s()（）:/,\-]*(?:(?:tcp|udp)?[\s/:]*\d{0,5}[\s()（）/]*(?:tcp|udp)?)?[\s()（）]*$", re.I
)

Guessed = tuple[int, EvidenceLine, list[IpHit], list[RoleGuess]]


def inherit_listed(line: str, hits: Sequence[IpHit], roles: list[RoleGuess]) -> list[RoleGuess]:
    """An uncued address listed right after a cued one ("A, B", "A and B") takes its role."""
    out = list(roles)
    for i in range(1, len(out)):
        prev, guess = out[i - 1], out[i]
        if guess.cued or not prev.cued:
            continue
        if _LIST_GAP.match(line[hits[i - 1].end : hits[i].start]):
            out[i] = RoleGuess(
                prev.role, prev.confidence, f"listed with the previous ({prev.reason})", kind=prev.kind
            )
    return out


def heading_label(
    lines: Sequence[EvidenceLine], index: int, hits: Sequence[IpHit], has_hits: set[int]
) -> str | None:
    """The heading above an address-only line, when the line before it is one."""
    if index == 0 or (index - 1) in has_hits:
        return None
    line, above = lines[index], lines[index - 1]
    if above.paragraph != line.paragraph or above.part != line.part or len(above.text.strip()) > MAX_HEADING:
        return None
    rest, pos = [], 0
    for hit in hits:
        rest.append(line.text[pos : hit.start])
        pos = hit.end
    rest.append(line.text[pos:])
    joined = "".join(rest)
    # Bounded before the pattern (its adjacent optional runs would backtrack on long input).
    if len(joined) > MAX_REST or not _ADDRESS_ONLY_REST.match(joined):
        return None
    return above.text.strip()


_WRAPPED_TAIL = re.compile(r"(?:^|\s)((?:\S+\s+){0,3}\S*[A-Za-z\u3040-\u9fff])\s*$")


def wrapped_label(lines: Sequence[EvidenceLine], index: int, hits: Sequence[IpHit]) -> str | None:
    """The end of the line above, when prose wrapped right before this line's first address.

    "... against our hosts" / "198.51.100.8 and 198.51.100.9 on ..." - the cue sits on the
    line above; its last few words (ending in a word, not a full stop) are the cue.
    """
    if index == 0 or not hits or lines[index].text[: hits[0].start].strip():
        return None
    line, above = lines[index], lines[index - 1]
    if above.paragraph != line.paragraph or above.part != line.part or above.quoted != line.quoted:
        return None
    match = _WRAPPED_TAIL.search(above.text[-MAX_HEADING:])
    return match.group(1) if match else None


def settle_roles(guesses: list[Guessed], subject_sources: set[str]) -> list[Guessed]:
    """The report-wide corrections described in the module docstring."""
    kinds = {g.kind for _i, _l, _h, roles in guesses for g in roles}
    has_source = any(g.role == "source" and g.kind != "c2" for _i, _l, _h, roles in guesses for g in roles)
    lone_subject = next(iter(subject_sources)) if len(subject_sources) == 1 else None
    settled: list[Guessed] = []
    for index, line, hits, roles in guesses:
        new: list[RoleGuess] = []
        on_line = {h.ip for h in hits}
        for hit, guess in zip(hits, roles, strict=True):
            if guess.kind == "c2" and "infected" in kinds:
                guess = RoleGuess("target", 0.9, "the C2 server the infected host contacted", kind="c2")
            elif guess.kind == "ambiguous" and guess.role == "target" and not has_source:
                guess = RoleGuess(
                    "source", 0.8, "the host concerned (対象, Server IP:), no other source named"
                )
            elif (
                not guess.cued
                and lone_subject is not None
                and hit.ip != lone_subject
                and lone_subject in on_line
            ):
                guess = RoleGuess("target", 0.8, f"beside {lone_subject}, the source the subject names")
            new.append(guess)
        settled.append((index, line, hits, new))
    return settled
