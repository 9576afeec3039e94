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

import pytest
from formats_mail import corpus_dir, mail_with_attachment

from abusebox.core.config import Settings
from abusebox.core.models import Extraction, canonical_ip
from abusebox.pipeline.analyze import analyze

CORPUS = corpus_dir()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="shared corpus not found at ../shared/corpus")

# Usual senders of the feeds that are not mails themselves.
FEED_SENDERS: dict[str, str] = {
    "intelmq/shadowserver/": "autoreports@shadowserver.org",
    "abuseio/feed-samples/shadowserver/": "autoreports@shadowserver.org",
    "intelmq/blocklistde/": "noreply@blocklist.de",
    "intelmq/dataplane/": "info@dataplane.org",
    "intelmq/cymru/": "noreply@cymru.com",
    "intelmq/microsoft/": "ctip-noreply@microsoft.com",
    "intelmq/cert_eu/": "feeds@cert.europa.eu",
    "intelmq/zoneh/": "notifications@zone-h.org",
    "intelmq/spamhaus/": "drop@spamhaus.org",
}

# Samples without expected files whose source is plain to a human reader.
OBVIOUS_SOURCES: dict[str, str] = {
    "abuseio/abusehub/Abusehub_Example_1.eml": "172.16.10.13",
    "abuseio/blocklistde/Blocklistde_Example_1.eml": "10.0.2.150",
    "abuseio/blocklistde/Blocklistde_Example_2.eml": "fdf1:cb9d:f59e:19b0::33:4f",
    "abuseio/feedback-loop/AOL_example_1.eml": "10.17.18.1",
    "abuseio/feedback-loop/Comcast_example_1.eml": "10.17.18.5",
    "abuseio/feedback-loop/Yahoo_example_1.eml": "10.17.18.25",
    "abuseio/feedback-loop/Zoho_example_1.eml": "10.17.18.28",
    "abuseio/netcraft/Netcraft_Example_6.eml": "10.19.3.1",
    "abuseio/parser-netcraft/Netcraft_Example_11.eml": "10.2.3.4",
    "abuseio/shadowserver/2015-01-01-scan_ntp-sample-asn.csv.zip.eml": "76.22.142.205",
    "abuseio/spamexperts/1.eml": "172.16.10.13",
    "email-arf/SampleARFReport1.eml": "203.190.229.246",
    "email-arf/SampleARFReport8.eml": "203.190.228.30",
    "sisimai/arf-01.eml": "192.0.2.89",
    "sisimai/arf-18.eml": "192.0.2.222",
    "sisimai/arf-19.eml": "203.0.113.2",
    "sisimai/arf-22.eml": "192.0.2.222",
    "sisimai/arf-25.eml": "10.0.0.1",
    "abuseio/cyscon/Cyscon_Example_1.eml": "172.16.10.13",
}


def sample_bytes(rel: str) -> bytes:
    assert CORPUS is not None
    path = CORPUS / rel
    if path.suffix in (".eml", ".msg"):
        return path.read_bytes()
    sender = next(s for prefix, s in FEED_SENDERS.items() if rel.startswith(prefix))
    return mail_with_attachment(path.read_bytes(), path.name, sender=sender, subject=f"Report {path.name}")


def extraction_of(rel: str) -> Extraction:
    return analyze(sample_bytes(rel), Settings()).extraction


def expected_files() -> list[Path]:
    return sorted((CORPUS / "expected").rglob("*.json")) if CORPUS else []


def _want(event: dict[str, object]) -> str | None:
    value = event.get("ip") or event.get("network")
    return canonical_ip(str(value)) if value else None


def test_expected_values_recall() -> None:
    assert CORPUS is not None
    total = found = timed = timed_found = 0
    misses: list[str] = []
    for path in expected_files():
        rel = str(path.relative_to(CORPUS / "expected"))[: -len(".json")]
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


@pytest.mark.parametrize("rel", sorted(OBVIOUS_SOURCES))
def test_obvious_source_found(rel: str) -> None:
    extraction = extraction_of(rel)
    assert OBVIOUS_SOURCES[rel] in [o.ip for o in extraction.observations if o.role == "source"]


def test_every_corpus_mail_parses() -> None:
    assert CORPUS is not None
    mails = [p for p in CORPUS.rglob("*") if p.suffix in (".eml", ".msg") and "expected" not in p.parts]
    assert len(mails) > 30
    for path in mails:
        extraction = analyze(path.read_bytes(), Settings()).extraction
        assert extraction.format, path


def test_structured_formats_are_recognised() -> None:
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
