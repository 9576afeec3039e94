"""Extraction over the shared corpus, on the samples where gpg runs too (signed mail).

The peers' expected values are checked in tests/unit/test_corpus_expected.py; these
tests also take signed samples, whose PGP check calls the gpg binary. Assertions are on
``analysis.extraction``, not on the verdict (triage is another stage).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_samples import extraction_of

from abusebox.core.config import Settings
from abusebox.pipeline.analyze import analyze

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


@pytest.mark.parametrize("rel", sorted(OBVIOUS_SOURCES))
def test_obvious_source_found(corpus: Path, rel: str) -> None:
    extraction = extraction_of(rel)
    assert OBVIOUS_SOURCES[rel] in [o.ip for o in extraction.observations if o.role == "source"]


def test_every_corpus_mail_parses(corpus: Path) -> None:
    mails = [p for p in corpus.rglob("*") if p.suffix in (".eml", ".msg") and "expected" not in p.parts]
    assert len(mails) > 30
    for path in mails:
        extraction = analyze(path.read_bytes(), Settings()).extraction
        assert extraction.format, path
