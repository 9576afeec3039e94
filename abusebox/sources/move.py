"""Moving finished messages by UID: MOVE, or COPY + \\Deleted + UID EXPUNGE, or COPY alone.

Kept apart from the connection handling in imap.py. The COPY fallback is made safe to
repeat: a retry after a lost answer never copies a message a second time.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Literal

from imapclient import IMAPClient

from abusebox.sources.imap import UidValidityChanged, uid_set

log = logging.getLogger(__name__)
MoveMethod = Literal["move", "copy-expunge", "copy"]


@dataclass
class CopyAttempt:
    """What the COPY fallback of one move remembers across its retries.

    A connection that drops after the server ran COPY but before its answer arrived
    leaves the outcome unknown; the retry compares what reached the target since the
    UIDNEXT noted before the COPY with the messages to copy, so none is copied twice.
    """

    uidvalidity: int  # of the source folder, pinned by the poll
    source_folder: str = ""  # the server's name of the source folder (set by the step)
    target_uidnext: int | None = None


def move(client: IMAPClient, uids: list[int], target: str, attempt: CopyAttempt) -> MoveMethod:
    """Move by UID; without MOVE copy + \\Deleted + UID EXPUNGE; without UIDPLUS only copy.

    A plain EXPUNGE would also remove messages someone else flagged \\Deleted: never used.
    Every retry of one move passes the same `attempt`.
    """
    message_set = uid_set(uids)
    if client.has_capability("MOVE"):
        # Repeating a UID MOVE is harmless: UIDs already moved are gone from the folder.
        client.move(message_set, target)
        return "move"
    to_copy = _not_yet_copied(client, uids, target, attempt)
    if to_copy:
        attempt.target_uidnext = _uidnext(client, target)
        client.copy(uid_set(to_copy), target)
    if client.has_capability("UIDPLUS"):
        client.add_flags(message_set, [b"\\Deleted"], silent=True)
        client.uid_expunge(message_set)
        return "copy-expunge"
    return "copy"


def _uidnext(client: IMAPClient, folder: str) -> int:
    return int(client.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"])


def _not_yet_copied(client: IMAPClient, uids: list[int], target: str, attempt: CopyAttempt) -> list[int]:
    """The UIDs whose copy has not reached the target: all of them unless a COPY was tried.

    A copy matches its original by size and the sha256 of the header block (COPY keeps
    both); only messages that reached the target since the earlier attempt count.
    """
    since = attempt.target_uidnext
    if since is None:  # no COPY in this process: one may have run before a crash
        return _not_in_target(client, uids, target, attempt)
    if _uidnext(client, target) == since:  # the COPY did not happen
        return list(uids)
    mine = client.fetch(uids, [b"RFC822.SIZE", b"BODY.PEEK[HEADER]"])
    client.select_folder(target, readonly=True)
    try:
        # `N:*` also names the highest UID when that is below N: keep only what came since.
        arrived_uids = [uid for uid in client.search(["UID", f"{since}:*"]) if uid >= since]
        answer = client.fetch(arrived_uids, [b"RFC822.SIZE", b"BODY.PEEK[HEADER]"]) if arrived_uids else {}
    finally:
        info = client.select_folder(attempt.source_folder)
    if int(info[b"UIDVALIDITY"]) != attempt.uidvalidity:
        raise UidValidityChanged(f"UIDVALIDITY of {attempt.source_folder} changed during a move")
    arrived = Counter(_fingerprint(data) for uid, data in answer.items() if uid >= since)
    wanted = set(uids)
    mine = {uid: data for uid, data in mine.items() if uid in wanted}  # not unsolicited ones
    missing: list[int] = []
    for uid in sorted(mine):
        key = _fingerprint(mine[uid])
        if arrived[key] > 0:
            arrived[key] -= 1
        else:
            missing.append(uid)
    log.info(
        "a COPY to %s whose answer was lost had copied %d of %d messages",
        target,
        len(mine) - len(missing),
        len(mine),
    )
    return missing


def _not_in_target(client: IMAPClient, uids: list[int], target: str, attempt: CopyAttempt) -> list[int]:
    """The UIDs with no copy in the target yet, found by Message-ID and then fingerprint.

    A process killed between COPY and UID EXPUNGE leaves the originals in the source and
    their copies in the target, and remembers nothing: the next poll moves them again.
    Copies are found by the Message-ID their headers carry and confirmed by size and
    header digest (COPY keeps both), so a message is never copied a second time. A
    message without a usable Message-ID is copied (there is nothing to find it by).
    """
    mine = client.fetch(uids, [b"RFC822.SIZE", b"BODY.PEEK[HEADER]"])
    ids = {uid: _message_id(data) for uid, data in mine.items() if uid in set(uids)}
    wanted = {mid for mid in ids.values() if mid}
    if not wanted:
        return list(uids)
    client.select_folder(target, readonly=True)
    try:
        found: set[int] = set()
        for mid in sorted(wanted):
            found.update(client.search(["HEADER", "Message-ID", mid]))
        answer = client.fetch(sorted(found), [b"RFC822.SIZE", b"BODY.PEEK[HEADER]"]) if found else {}
    finally:
        info = client.select_folder(attempt.source_folder)
    if int(info[b"UIDVALIDITY"]) != attempt.uidvalidity:
        raise UidValidityChanged(f"UIDVALIDITY of {attempt.source_folder} changed during a move")
    present = Counter(_fingerprint(data) for data in answer.values())
    missing: list[int] = []
    for uid in uids:
        key = _fingerprint(mine[uid]) if uid in mine else None
        if key is not None and present[key] > 0:
            present[key] -= 1
        else:
            missing.append(uid)
    if len(missing) < len(uids):
        log.info(
            "%d of %d messages were already copied to %s (an interrupted move)",
            len(uids) - len(missing),
            len(uids),
            target,
        )
    return missing


def _message_id(data: dict[bytes, object]) -> str | None:
    """The Message-ID of a fetched header block, if it is one a SEARCH can carry."""
    header = data.get(b"BODY[HEADER]")
    if not isinstance(header, bytes):
        return None
    value = HeaderParser().parsestr(header.decode("ascii", "replace")).get("Message-ID")
    value = str(value or "").strip()
    if not value or len(value) > 500 or any(c in value for c in '\r\n\0"\\') or not value.isascii():
        return None
    return value


def _fingerprint(data: dict[bytes, object]) -> tuple[int, str]:
    header = data.get(b"BODY[HEADER]")
    digest = hashlib.sha256(header if isinstance(header, bytes) else b"").hexdigest()
    return int(str(data.get(b"RFC822.SIZE") or 0)), digest


__all__ = ["CopyAttempt", "MoveMethod", "move"]
