"""A realistic mixed abuse-mailbox corpus of any size, each mail a new sha256.

Half are the real samples (the example inbox, every shared-corpus mail and feed when the
corpus is present, the field trials: ARF, X-ARF, Shadowserver zips, JPCERT/CC, signed mail,
spam, bounces, en/ja free text), each with a header of its own; half are generated: en/ja
free-text reports with log lines, zipped Shadowserver CSV feeds, spam and bounces, with
addresses and times that differ per mail.
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
for entry in (str(REPO), str(TESTS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from pin_parse import samples  # noqa: E402  (the pinned corpus: examples, shared corpus, field trials)


def real_samples() -> list[bytes]:
    return [raw for _name, raw in samples()]


def _ip(rng: random.Random) -> str:
    first = rng.choice((198, 203, 192, 45, 91, 185))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _mail(sender: str, subject: str, body: str, when: datetime, seq: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "abuse@example.jp"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<bench-{seq}@{sender.split('@')[-1]}>"
    msg.set_content(body)
    return msg


def free_text_en(rng: random.Random, seq: int, when: datetime) -> bytes:
    ip = _ip(rng)
    lines = [
        f"{(when - timedelta(seconds=17 * k)):%b %d %H:%M:%S} web01 sshd[{2000 + k}]: "
        f"Failed password for {rng.choice(('root', 'admin', 'oracle'))} from {ip} port {40000 + k} ssh2"
        for k in range(rng.randrange(5, 40))
    ]
    body = (
        "Hello abuse team,\n\nWe detected a brute-force attack against our SSH server 198.51.100.10 "
        f"from {ip}, which belongs to your network. Please investigate and stop this activity.\n\n"
        "Log excerpt (times are UTC):\n\n" + "\n".join(lines) + "\n\nRegards,\nSecurity Operations\n"
    )
    return _mail(f"soc{seq % 97}@example.org", f"SSH brute force from {ip}", body, when, seq).as_bytes()


def free_text_ja(rng: random.Random, seq: int, when: datetime) -> bytes:
    ip = _ip(rng)
    jst = when + timedelta(hours=9)
    lines = [
        f"{(jst - timedelta(minutes=k)):%Y/%m/%d %H:%M:%S} {ip} -> "
        f"198.51.100.20:{rng.choice((22, 23, 445, 3389))} TCP"
        for k in range(rng.randrange(3, 25))
    ]
    body = (
        "ご担当者様\n\nお世話になっております。\n貴組織のネットワークに属する以下のIPアドレスから、"
        "弊社サーバに対するポートスキャンを検知いたしました。\nご確認とご対応をお願いいたします。\n\n"
        f"送信元IPアドレス: {ip}\nタイムゾーン: JST\n\n"
        + "\n".join(lines)
        + "\n\n以上、よろしくお願いいたします。\n"
    )
    msg = _mail(f"security{seq % 53}@example.co.jp", f"不正アクセスのご連絡 ({ip})", body, when, seq)
    msg.set_content(body, charset="iso-2022-jp" if seq % 2 else "utf-8")
    return msg.as_bytes()


def shadowserver_zip(rng: random.Random, seq: int, when: datetime) -> bytes:
    header = '"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city"\n'
    rows = "".join(
        f'"{(when - timedelta(minutes=k)):%Y-%m-%d %H:%M:%S}","{_ip(rng)}","tcp","23","","telnet",'
        f'"64500","JP","TOKYO","TOKYO"\n'
        for k in range(rng.randrange(5, 80))
    )
    name = f"{when:%Y-%m-%d}-scan_telnet-example-asn.csv"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, header + rows)
    msg = _mail(
        "autoreports@shadowserver.org",
        f"[example.jp] Shadowserver JP Open Telnet Report: {when:%Y-%m-%d}",
        "Please find the attached report.\n",
        when,
        seq,
    )
    msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=name + ".zip")
    return msg.as_bytes()


def spam(rng: random.Random, seq: int, when: datetime) -> bytes:
    body = (
        "Dear friend,\n\nCHEAP MEDS online! Viagra, Cialis at 90% discount. No prescription needed.\n"
        f"Click here: http://pharma{rng.randrange(1000)}.example.com/?id={seq}\n\n"
        "Limited offer, act now! Unsubscribe: reply STOP\n"
    )
    return _mail(
        f"deals{seq}@promo.example.net", "Best prices for your health!!!", body, when, seq
    ).as_bytes()


def bounce(rng: random.Random, seq: int, when: datetime) -> bytes:
    body = (
        "This is the mail system at host mx.example.org.\n\nI'm sorry to have to inform you that your "
        "message could not be delivered to one or more recipients.\n\n"
        f"<user{seq}@example.org>: host mx{rng.randrange(9)}.example.org[192.0.2.25] said: 550 5.1.1 "
        "User unknown (in reply to RCPT TO command)\n"
    )
    msg = _mail("MAILER-DAEMON@mx.example.org", "Undelivered Mail Returned to Sender", body, when, seq)
    msg["Auto-Submitted"] = "auto-replied"
    return msg.as_bytes()


GENERATORS: tuple[tuple[Callable[[random.Random, int, datetime], bytes], int], ...] = (
    (free_text_en, 4),
    (free_text_ja, 3),
    (shadowserver_zip, 1),
    (spam, 1),
    (bounce, 1),
)


def corpus(n: int, seed: int = 13) -> Iterator[bytes]:
    """``n`` mails: every other one a real sample (cycled), the rest generated; all distinct."""
    rng = random.Random(seed)
    real = real_samples()
    weighted = [gen for gen, weight in GENERATORS for _ in range(weight)]
    start = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    for seq in range(n):
        if seq % 2 == 0:
            raw = real[(seq // 2) % len(real)]
        else:
            raw = weighted[rng.randrange(len(weighted))](rng, seq, start + timedelta(seconds=37 * seq))
        # A header of its own: a new sha256 per mail, as in a real mailbox.
        eol = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
        yield f"X-Bench-Seq: {seq}".encode() + eol + raw


def write_maildir(path: Path, mails: Iterator[bytes] | list[bytes]) -> int:
    """Write the mails as a Maildir (new/); returns the count."""
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    count = 0
    for count, raw in enumerate(mails, 1):
        (path / "new" / f"1764028800.M{count}P1.bench").write_bytes(raw)
    return count
