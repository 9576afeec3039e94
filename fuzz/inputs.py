"""What the fuzzer feeds the pipeline: real seeds, mutated, and hostile messages built from parts.

Seeds are the example inbox, the test data and the shared corpus (read in place). The
mutations are what broken mailers and attackers produce; the built messages combine the
header and body tricks the hostile-input probe used (encoded words hiding CRLF or an
address, format and bidi characters, terminal escapes, absurd dates, archives).
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
MAX_SEED_BYTES = 300_000
_BOUNDARY_LINE = re.compile(rb"^--[^\r\n]*\r?\n", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[A-Za-z-]+:[^\r\n]*\r?\n", re.MULTILINE)


@cache
def seeds() -> tuple[bytes, ...]:
    roots = [REPO / "examples", REPO / "tests" / "data", REPO.parent / "shared" / "corpus"]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    out = []
    for p in files:
        raw = p.read_bytes()
        if 0 < len(raw) <= MAX_SEED_BYTES and (b"\nFrom:" in raw or raw.startswith(b"From")):
            out.append(raw)
    return tuple(out)


JUNK = (
    b"\x00",
    b"\xff\xfe",
    b"\r\n\r\n",
    b"--",
    b"=?utf-8?B?",
    b"(" * 300,
    b"<" * 300,
    b"\x1b$B",
    b"\x1b]52;c;ZXZpbA==\x07",
    b"\xe2\x80\x8b",  # ZERO WIDTH SPACE
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE
    b"\xc2\x9b",  # C1 CSI
    b"=?utf-8?q?a=0D=0ABcc=3A_victim=40evil.example?=",
    b"203.0.113.9",
    b"2001:db8::1",
    b"1\xe2\x80\x8b98.51.100.7",
    b"Date: Mon, 1 Jan 99999999999999999999 00:00:00 +0000\r\n",
    b"Nov 19 01:20:30 sshd[1]: Failed password for root from 198.51.100.7 port 22\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"-----BEGIN PGP SIGNED MESSAGE-----\r\n",
    b"\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n",
)

MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 10**9), st.just(0)),
    st.tuples(st.just("boundary"), st.integers(0, 100), st.just(0)),
    st.tuples(st.just("header"), st.integers(0, 100), st.integers(1, 50)),
    st.tuples(st.just("insert"), st.integers(0, 10**9), st.integers(0, len(JUNK) - 1)),
    st.tuples(st.just("repeat"), st.integers(0, 10**9), st.integers(2, 2000)),
    st.tuples(st.just("splice"), st.integers(0, 10**9), st.integers(0, 10**6)),
)


def mutate(raw: bytes, mutation: tuple[str, int, int]) -> bytes:
    kind, a, b = mutation
    if kind == "flip" and raw:
        i = a % len(raw)
        return raw[:i] + bytes([raw[i] ^ (1 << b)]) + raw[i + 1 :]
    if kind == "truncate":
        return raw[: a % (len(raw) + 1)]
    if kind == "boundary":
        found = list(_BOUNDARY_LINE.finditer(raw))
        if found:
            m = found[a % len(found)]
            return raw[: m.start()] + raw[m.end() :]
        return raw
    if kind == "header":
        found = list(_HEADER_LINE.finditer(raw))
        if found:
            m = found[a % len(found)]
            return raw[: m.end()] + m.group() * b + raw[m.end() :]
        return raw
    if kind == "repeat":  # a line repeated many times: the shape of big feeds and floods
        lines = raw.splitlines(keepends=True)
        if lines:
            line = lines[a % len(lines)][:400]
            i = a % len(lines)
            return b"".join(lines[:i]) + line * b + b"".join(lines[i:])
        return raw
    if kind == "splice":  # the tail of another seed
        pool = seeds()
        other = pool[b % len(pool)]
        i = a % (len(raw) + 1)
        return raw[:i] + other[a % (len(other) + 1) :]
    i = a % (len(raw) + 1)
    return raw[:i] + JUNK[b % len(JUNK)] + raw[i:]


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            list("\u200b\u200d\u2060\ufeff\u202e\u2066\x1b\x9b\x07\x08\r\n\t.:[]0123456789abcdef")
        ),
    ),
    max_size=200,
)
_IPISH = st.one_of(
    st.ip_addresses().map(str),
    st.builds(
        lambda a, s, b: f"{a}{s}{b}",
        st.ip_addresses(v=4).map(str),
        st.sampled_from(["\u200b", "\u200d", "[.]", "\u2060", ""]),
        st.integers(0, 999).map(str),
    ),
)
_DATE = st.one_of(
    st.just("Mon, 19 Nov 2026 10:05:00 +0900"),
    st.builds(lambda y: f"Mon, 1 Jan {y} 00:00:00 +0000", st.integers(0, 10**25)),
    st.builds(lambda z: f"Thu, 19 Nov 2026 10:05:00 {z}", st.text(max_size=12)),
    _TEXT,
)


def _encoded(text: str, mode: str) -> str:
    import base64
    import quopri

    data = text.encode("utf-8", "surrogatepass")
    if mode == "b":
        return "=?utf-8?b?" + base64.b64encode(data).decode() + "?="
    return "=?utf-8?q?" + quopri.encodestring(data, header=True).decode().replace("\n", "") + "?="


@st.composite
def built_message(draw: st.DrawFn) -> bytes:
    """A message assembled from hostile parts: headers, body lines, maybe an archive."""
    display = draw(_TEXT)
    mode = draw(st.sampled_from(["b", "q", "raw"]))
    shown = display if mode == "raw" else _encoded(display, mode)
    addr = draw(
        st.sampled_from(
            ["reporter@example.org", "security@jpcert.or.jp", "evil@attacker.example", "", "<>", "a@b@c"]
        )
    )
    subject = draw(_TEXT)
    smode = draw(st.sampled_from(["b", "q", "raw"]))
    subj = subject if smode == "raw" else _encoded(subject, smode)
    headers = [
        f"From: {shown} <{addr}>",
        f"Subject: {subj}",
        f"Date: {draw(_DATE)}",
        "Message-ID: <fuzz@example.org>",
        "To: abuse@example.net",
    ]
    if draw(st.booleans()):
        authserv = draw(st.sampled_from(["mx.example.net", "evil"]))
        dmarc = draw(st.sampled_from(["pass", "fail", "none"]))
        headers.append(f"Authentication-Results: {authserv}; dmarc={dmarc} header.from={addr.split('@')[-1]}")
    lines = draw(
        st.lists(
            st.one_of(
                st.builds(
                    lambda ip, t: f"{t} sshd[4]: Failed password for root from {ip} port 22",
                    _IPISH,
                    st.sampled_from(["Nov 19 01:20:30", "2026-11-19T01:20:30Z", "2026年11月19日 22時05分"]),
                ),
                st.builds(lambda ip, t: f"{ip} {t}", _IPISH, _TEXT),
                _TEXT,
            ),
            max_size=30,
        )
    )
    body = "\r\n".join(lines)
    parts = draw(st.sampled_from(["plain", "zip", "gzip", "html"]))
    head = "\r\n".join(h.replace("\r", " ").replace("\n", " ") for h in headers)
    if parts == "plain":
        return (head + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n").encode() + body.encode(
            "utf-8", "surrogatepass"
        )
    if parts == "html":
        return (
            head + "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>"
        ).encode() + body.encode("utf-8", "surrogatepass").replace(b"\r\n", b"<br>")
    import base64

    data = body.encode("utf-8", "surrogatepass")
    if parts == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for n in range(draw(st.integers(1, 4))):
                zf.writestr(f"log{n}.txt", data * draw(st.integers(1, 50)))
        blob, ctype = buf.getvalue(), "application/zip"
    else:
        blob, ctype = gzip.compress(data), "application/gzip"
    b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n")
    return (
        head
        + '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        + "Content-Type: text/plain\r\n\r\nSee the attached log.\r\n--b1\r\n"
        + f'Content-Type: {ctype}; name="log"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b1--\r\n'
    ).encode()


@st.composite
def message(draw: st.DrawFn) -> bytes:
    """Either a mutated seed or a built message (then maybe mutated too)."""
    if draw(st.booleans()):
        pool = seeds()
        raw = pool[draw(st.integers(0, len(pool) - 1))]
    else:
        raw = draw(built_message())
    for mutation in draw(st.lists(MUTATION, max_size=6)):
        raw = mutate(raw, mutation)
    return raw
