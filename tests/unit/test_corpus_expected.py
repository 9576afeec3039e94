"""Extraction over the shared corpus against what peer projects' tests expect.

For each ``corpus/expected/<path>.json`` the sample ``corpus/<path>`` goes through
``analyze()`` (what ``abusebox parse`` runs): .eml/.msg samples as they are, feed files
wrapped into a mail as an attachment from the feed's usual sender. The expected
address (or network) must be among the extracted sources (recall >= 98 % over the
corpus), with the stated time where the peer states one (>= 95 %). Assertions are on
``analysis.extraction``, not on the verdict (triage is another stage).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from corpus_samples import extraction_of

from abusebox.core.models import canonical_ip


def expected_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "expected").rglob("*.json"))


def _want(event: dict[str, object]) -> str | None:
    value = event.get("ip") or event.get("network")
    return canonical_ip(str(value)) if value else None


def test_expected_values_recall(corpus: Path) -> None:
    total = found = timed = timed_found = 0
    misses: list[str] = []
    for path in expected_files(corpus):
        rel = str(path.relative_to(corpus / "expected"))[: -len(".json")]
        extraction = extraction_of(rel)
        sources = [o for o in extraction.observations if o.role == "source"]
        for event in json.loads(path.read_text()):
            want = _want(event)
            if want is None:
                continue
            total += 1
            matches = [o for o in sources if o.ip == want]
            found += bool(matches)
            if not matches:
                misses.append(f"{rel}: {want} not found (format {extraction.format})")
            if event.get("time"):
                timed += 1
                when = datetime.fromisoformat(str(event["time"]))
                if any(o.time == when for o in matches):
                    timed_found += 1
                elif matches:
                    got = sorted({str(o.time) for o in matches})
                    misses.append(f"{rel}: {want} time {when.isoformat()} expected, got {got}")
    print(f"\ncorpus expected: {found}/{total} addresses, {timed_found}/{timed} times")
    for miss in misses:
        print("  miss:", miss)
    assert total > 50
    assert found / total >= 0.98, misses
    assert timed_found / timed >= 0.95, misses


def test_structured_formats_are_recognised(corpus: Path) -> None:
    formats = {
        "email-arf/example2.msg": "arf",
        "mail-abuse/spamcop_msg3.eml": "spamcop",
        "abuseio/blocklistde/Blocklistde_Example_1.eml": "blocklistde",
        "abuseio/shadowserver/2015-01-01-scan_ntp-sample-asn.csv.zip.eml": "shadowserver",
        "intelmq/shadowserver/testdata/event4_honeypot_brute_force.csv": "shadowserver",
        "intelmq/microsoft/ctip.txt": "json",
        "intelmq/cert_eu/example.csv": "csv",
        "intelmq/dataplane/sshpwauth.txt": "feed",
    }
    for rel, name in formats.items():
        assert extraction_of(rel).format == name, rel
