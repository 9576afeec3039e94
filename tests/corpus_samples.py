"""Samples of the shared corpus as ``abusebox parse`` would read them, for the corpus tests.

.eml/.msg samples go in as they are; feed files are wrapped into a mail as an attachment
from the feed's usual sender.
"""

from __future__ import annotations

from formats_mail import mail_with_attachment
from services import corpus_dir

from abusebox.core.config import Settings
from abusebox.core.models import Extraction
from abusebox.pipeline.analyze import analyze

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


def sample_bytes(rel: str) -> bytes:
    path = corpus_dir() / rel
    if path.suffix in (".eml", ".msg"):
        return path.read_bytes()
    sender = next(s for prefix, s in FEED_SENDERS.items() if rel.startswith(prefix))
    return mail_with_attachment(path.read_bytes(), path.name, sender=sender, subject=f"Report {path.name}")


def extraction_of(rel: str) -> Extraction:
    return analyze(sample_bytes(rel), Settings()).extraction
