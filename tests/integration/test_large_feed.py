"""A large Shadowserver feed in one mail gives exactly the incidents computed independently.

The feed is what the bulk commit and the batch grouping exist for (issue 13: one message,
thousands of rows, most addresses new, some seen before). The expected incidents are
computed here from the rows alone: per (address, category), the times in order, cut
wherever two are a grouping window apart. The rows' times come in clusters far more than
a window apart, so joining, extending and opening leave no choice to the algorithm, and
a feed that joins incidents of an earlier mail must give the same as the union.
"""

from __future__ import annotations

import io
import itertools
import random
import zipfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from shadowserver_columns import SCAN_SSH
from sqlalchemy import select

from abusebox.core.config import Settings
from abusebox.core.models import RawMessage
from abusebox.pipeline.ingest import Pipeline
from abusebox.pipeline.pool import AnalyzerPool
from abusebox.store.db import Database
from abusebox.store.schema import IncidentEventRow, IncidentRow, MessageRow, ObservationRow

START = datetime(2026, 10, 1, tzinfo=UTC)
CLUSTER_DAYS = (0, 30, 60)  # a cluster spans at most a day; clusters are 30 days apart
# Shadowserver's scan_ssh columns up to the ones the parser reads (the real names and order).
COLUMNS = SCAN_SSH[:11]
Row = tuple[str, datetime, int]  # address, time, port
# Clear of loopback, private, shared and link-local space (never a reported source).
PUBLIC_FIRST_OCTETS = [o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192)]


def addresses(rng: random.Random, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        if rng.random() < 0.1:
            out.add(f"2001:db8:{rng.randrange(1, 65536):x}::{rng.randrange(1, 65536):x}")
        else:
            first = rng.choice(PUBLIC_FIRST_OCTETS)
            out.add(f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
    return sorted(out)


def rows(rng: random.Random, ips: list[str], n: int, clusters: tuple[int, ...], offset: int) -> list[Row]:
    """``n`` rows over ``ips``, each in one of ``clusters``, at distinct seconds."""
    out = []
    for i in range(n):
        day = rng.choice(clusters)
        when = START + timedelta(days=day, seconds=(offset + i) * 7 % 86_000)
        out.append((rng.choice(ips), when, rng.choice((22, 2222))))
    rng.shuffle(out)
    return out


def feed_mail(feed: list[Row], name: str) -> bytes:
    text = io.StringIO()
    text.write(",".join(f'"{c}"' for c in COLUMNS) + "\n")
    for n, (ip, when, port) in enumerate(feed):
        values = [when.strftime("%Y-%m-%d %H:%M:%S"), "medium", ip, "tcp", str(port), f"h{n}.example.jp"]
        values += ["ssh", "64500", "JP", "TOKYO", "TOKYO"]
        text.write(",".join(f'"{v}"' for v in values) + "\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.csv", text.getvalue())
    msg = EmailMessage()
    msg["From"] = "autoreports@shadowserver.org"
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = f"[Japan] Shadowserver Japan Report: {name}.csv"
    msg["Date"] = "Fri, 20 Nov 2026 06:32:10 +0000"
    msg["Message-ID"] = f"<{name}@shadowserver.org>"
    msg.set_content("The report is attached.\n")
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=f"{name}.csv.zip")
    return msg.as_bytes()


def expected_incidents(
    feeds: list[list[Row]], window: timedelta
) -> list[tuple[str, datetime, datetime, int, int]]:
    """(address, first seen, last seen, observations, reports) of every incident, sorted."""
    seen: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for report, feed in enumerate(feeds):
        for ip, when, _port in feed:
            seen[ip].append((when, report))
    out = []
    for ip, times in seen.items():
        times.sort()
        run = [times[0]]
        for prev, cur in itertools.pairwise(times):
            if cur[0] - prev[0] >= window:
                out.append((ip, run[0][0], run[-1][0], len(run), len({r for _t, r in run})))
                run = []
            run.append(cur)
        out.append((ip, run[0][0], run[-1][0], len(run), len({r for _t, r in run})))
    return sorted(out)


def stored_incidents(db: Database) -> list[tuple[str, datetime, datetime, int, int]]:
    with db.session() as session:
        incidents = session.scalars(select(IncidentRow)).all()
        members: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
        for pk, ip, when in session.execute(
            select(ObservationRow.incident_pk, ObservationRow.ip, ObservationRow.time)
        ):
            members[pk].append((ip, when))
        out = []
        for row in incidents:
            assert row.category == "vulnerable" and row.key_kind == "ip"
            assert row.first_seen is not None and row.last_seen is not None
            mine = members[row.id]
            # the counters kept incrementally agree with the observations pointing at it
            assert len(mine) == row.observation_count
            assert {ip for ip, _w in mine} == {row.group_key}
            assert (min(w for _i, w in mine), max(w for _i, w in mine)) == (row.first_seen, row.last_seen)
            out.append(
                (row.group_key, row.first_seen, row.last_seen, row.observation_count, row.report_count)
            )
        assert None not in members  # every source observation is in an incident
    return sorted(out)


def ingest(settings: Settings, db: Database, mails: list[bytes]) -> list[tuple[int, ...]]:
    with AnalyzerPool(settings) as pool:
        results = list(
            Pipeline(settings, db, pool).ingest(
                [RawMessage(m, "test", f"feed/{n}") for n, m in enumerate(mails)]
            )
        )
    assert [r.outcome for r in results] == ["processed"] * len(mails)
    return [r.incidents for r in results]


def test_a_large_feed_gives_exactly_the_incidents_computed_from_its_rows(
    settings: Settings, db: Database
) -> None:
    rng = random.Random(13)
    ips = addresses(rng, 1500)
    feed = rows(rng, ips, 4000, CLUSTER_DAYS, 0)
    (touched,) = ingest(settings, db, [feed_mail(feed, "2026-11-19-scan_ssh-japan-geo")])
    expected = expected_incidents([feed], timedelta(days=settings.grouping.window_days))
    assert len(expected) > len(ips)  # addresses in several clusters: several incidents each
    assert stored_incidents(db) == expected
    assert len(touched) == len(set(touched)) == len(expected)
    with db.session() as session:
        actions = list(session.scalars(select(IncidentEventRow.action)))
    assert actions.count("created") == actions.count("grouped") == len(expected)


def test_a_large_feed_joins_and_extends_the_incidents_of_an_earlier_mail(
    settings: Settings, db: Database
) -> None:
    rng = random.Random(31)
    ips = addresses(rng, 1200)
    earlier = rows(rng, ips[:400], 600, CLUSTER_DAYS[:2], 0)
    feed = rows(rng, ips, 3000, CLUSTER_DAYS, 600)
    ingest(settings, db, [feed_mail(earlier, "2026-11-18-scan_ssh-japan-geo")])
    before = {(ip, first) for ip, first, *_rest in stored_incidents(db)}
    ingest(settings, db, [feed_mail(feed, "2026-11-19-scan_ssh-japan-geo")])
    expected = expected_incidents([earlier, feed], timedelta(days=settings.grouping.window_days))
    got = stored_incidents(db)
    assert got == expected
    assert any(reports == 2 for *_rest, reports in got)  # joined an incident of the earlier mail
    assert any((ip, first) not in before for ip, first, *_rest in got if ip in set(ips[:400]))


def test_a_large_feed_replayed_keeps_exactly_its_incidents(settings: Settings, db: Database) -> None:
    """Replay takes the message-at-a-time path: the report replaced, the rows inserted
    again (one bulk insert of hundreds), the incidents recounted."""
    rng = random.Random(7)
    feed = rows(rng, addresses(rng, 300), 900, CLUSTER_DAYS, 0)
    ingest(settings, db, [feed_mail(feed, "2026-11-19-scan_ssh-japan-geo")])
    expected = expected_incidents([feed], timedelta(days=settings.grouping.window_days))
    assert stored_incidents(db) == expected
    with db.session() as session:
        (message_pk,) = session.scalars(select(MessageRow.id)).all()
    with AnalyzerPool(settings) as pool:
        (result,) = list(Pipeline(settings, db, pool).replay([message_pk]))
    assert result.outcome == "processed"
    assert stored_incidents(db) == expected
