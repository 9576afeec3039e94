"""A report whose subject and body try to run script in the desk's browser (for the web tests)."""

from __future__ import annotations

from pathlib import Path

HOSTILE_IP = "198.51.100.77"
HOSTILE_SUBJECT = "<script>alert(1)</script> SSH attack {{7*7}} <img src=x onerror=alert(2)>"
HOSTILE_EVIDENCE_MARK = "{{7*7}}<script>alert(4)</script>"

HOSTILE_EML = f"""\
From: Reporter <reporter@victim.example.org>
To: abuse@example.org
Subject: {HOSTILE_SUBJECT}
Date: Thu, 19 Nov 2026 10:00:00 +0000
Message-ID: <hostile-1@victim.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello abuse team,

your host {HOSTILE_IP} brute-forced our SSH server. Logs (UTC):

Nov 19 01:20:30 server sshd[1234]: Failed password for invalid user {HOSTILE_EVIDENCE_MARK} \
from {HOSTILE_IP} port 52100 ssh2
Nov 19 01:20:35 server sshd[1234]: Failed password for invalid user admin from {HOSTILE_IP} port 52101 ssh2
Nov 19 01:20:40 server sshd[1234]: Failed password for root from {HOSTILE_IP} port 52102 ssh2

Details: <a href="javascript:alert(3)">javascript:alert(3)</a>

Please stop it.
"""


def write_hostile(folder: Path) -> Path:
    path = folder / "hostile.eml"
    path.write_text(HOSTILE_EML, encoding="utf-8")
    return path


HTML_MARK = "Brute force from 198.51.100.78 seen in our logs"


def html_hostile_eml(beacon: str) -> str:
    """An HTML-only report that tries to run script and to load from ``beacon`` (a URL prefix)."""
    return f"""\
From: Reporter <html-reporter@victim.example.org>
To: abuse@example.org
Subject: HTML-only report
Date: Thu, 19 Nov 2026 11:00:00 +0000
Message-ID: <hostile-html-1@victim.example.org>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>t</title>
<meta http-equiv="refresh" content="0;url={beacon}/refresh">
<link rel="stylesheet" href="{beacon}/style.css">
<script src="{beacon}/script.js"></script>
<script>alert(5); fetch("{beacon}/fetch"); document.title = "pwned";</script>
<style>body {{ background: url({beacon}/background.png); }}</style>
</head>
<body onload="alert(6)">
<p style="background-image: url({beacon}/inline.png)">{HTML_MARK}:</p>
<table><tr><td>2026-11-19 01:20:30 UTC sshd: Failed password for root from 198.51.100.78</td></tr></table>
<img src="{beacon}/img.png" onerror="alert(7)">
<iframe src="{beacon}/frame"></iframe>
<a href="javascript:alert(8)">details</a> <a href="{beacon}/link">more</a>
<svg><image href="{beacon}/svg.png"/></svg>
</body></html>
"""


def write_html_hostile(folder: Path, beacon: str) -> Path:
    path = folder / "hostile-html.eml"
    path.write_text(html_hostile_eml(beacon), encoding="utf-8")
    return path
