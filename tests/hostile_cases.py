"""A catalogue of hostile messages, generated in code ("anyone on the internet can mail us").

Each case is a name, a builder returning the raw bytes, and what the pipeline must do
with it: ``processed`` (with a sensible verdict), ``quarantined`` (with a reason and a
stage) or ``either`` (both are clear outcomes; the point is that nothing crashes or
stalls). Shared by tests/integration/test_hostile_input.py and benchmarks/hostile_bench.py.
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Expect = Literal["processed", "quarantined", "either"]

HEAD = (
    b"From: Reporter <reporter@example.net>\r\n"
    b"To: abuse@example.jp\r\n"
    b"Subject: hostile case\r\n"
    b"Date: Thu, 19 Nov 2026 10:20:30 +0900\r\n"
    b"Message-ID: <hostile@example.net>\r\n"
)
REPORT_LINE = b"Nov 19 01:20:30 host sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2\r\n"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    expect: Expect = "either"
    verdicts: tuple[str, ...] = ()  # when processed: one of these verdicts (empty: any)


def _mail(body: bytes, headers: bytes = b"", ctype: bytes = b"text/plain; charset=utf-8") -> bytes:
    return HEAD + headers + b"MIME-Version: 1.0\r\nContent-Type: " + ctype + b"\r\n\r\n" + body


def _multipart(parts: list[bytes], boundary: bytes = b"BOUND", extra: bytes = b"") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + boundary + b"--\r\n"
    return _mail(body, extra, b'multipart/mixed; boundary="' + boundary + b'"')


def _attachment(name: bytes, data: bytes, ctype: bytes = b"application/octet-stream") -> bytes:
    return (
        b"Content-Type: " + ctype + b"\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="' + name + b'"\r\n\r\n' + base64.encodebytes(data)
    )


def _text_part(text: bytes, charset: bytes = b"utf-8", cte: bytes = b"8bit") -> bytes:
    return (
        b"Content-Type: text/plain; charset="
        + charset
        + b"\r\nContent-Transfer-Encoding: "
        + cte
        + b"\r\n\r\n"
        + text
    )


# --- structure -----------------------------------------------------------------------


def nested_multipart(depth: int = 500) -> bytes:
    body = b"innermost " + REPORT_LINE
    for level in range(depth):
        b = b"b%d" % level
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + b"\r\n"
            + body
            + b"\r\n--"
            + b
            + b"--"
        )
    return HEAD + b"MIME-Version: 1.0\r\n" + body + b"\r\n"


def many_parts(count: int = 100_000) -> bytes:
    return _multipart([b"Content-Type: text/plain\r\n\r\nx"] * count)


def nested_rfc822(depth: int = 500) -> bytes:
    inner = b"From: a@example.org\r\nSubject: inner\r\n\r\n" + REPORT_LINE
    for _ in range(depth):
        inner = b"From: a@example.org\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    return _mail(inner, ctype=b"message/rfc822")


def headers_only() -> bytes:
    return HEAD


def headers_no_newline() -> bytes:
    return b"From: x@example.org\r\nSubject: no body and no final newline"


def png_file() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + bytes(
        200
    )


# --- headers -------------------------------------------------------------------------


def header_40mb() -> bytes:
    return HEAD + b"X-Long: " + b"a" * (40 * 1024 * 1024) + b"\r\n\r\n" + REPORT_LINE


def encoded_words(count: int = 5000) -> bytes:
    words = b" ".join(b"=?utf-8?B?" + base64.b64encode(b"\xe3\x81\x82%d" % i) + b"?=" for i in range(count))
    return b"From: x@example.org\r\nSubject: " + words + b"\r\n\r\n" + REPORT_LINE


def folded_lines(count: int = 20_000) -> bytes:
    return HEAD + b"X-Folded: start" + b"\r\n x" * count + b"\r\n\r\n" + REPORT_LINE


def nested_comments(depth: int = 20_000) -> bytes:
    return (
        b"From: "
        + b"(" * depth
        + b"x@example.org"
        + b")" * depth
        + b"\r\nSubject: comments\r\n\r\n"
        + REPORT_LINE
    )


def unbalanced_comments(depth: int = 50_000) -> bytes:
    return b"From: " + b"(" * depth + b"x@example.org\r\nTo: " + b"<" * depth + b"\r\n\r\n" + REPORT_LINE


def received_chain(count: int = 3000) -> bytes:
    hops = b"".join(
        b"Received: from h%d.example.net (h%d.example.net [198.51.100.%d]) by mx.example.jp; "
        b"Thu, 19 Nov 2026 10:20:%02d +0900\r\n" % (i, i, i % 250 + 1, i % 60)
        for i in range(count)
    )
    return hops + HEAD + b"\r\n" + REPORT_LINE


def many_addresses(count: int = 10_000) -> bytes:
    to = b", ".join(b'"n%d" <u%d@example.org>' % (i, i) for i in range(count))
    return HEAD.replace(b"To: abuse@example.jp", b"To: " + to) + b"\r\n" + REPORT_LINE


def nul_in_headers() -> bytes:
    return (
        b"From: evil\x00@example.org\r\nSubject: nul\x00subject\r\nX-Nul: \x00\x00\r\n"
        b"Content-Type: text/plain\r\n\r\n" + REPORT_LINE + b"body \x00 nul 203.0.113.10\x00\r\n"
    )


def eight_bit_headers() -> bytes:
    return (
        b"From: \xff\xfe\x80 <r@example.net>\r\nSubject: \xe6\x94\xbb\xe6\x92\x83 \xff\xc0\xaf\r\n"
        b"X-Bad: \xed\xa0\x80\r\n\r\n" + REPORT_LINE
    )


def surrogate_filename() -> bytes:
    parts = [
        _text_part(REPORT_LINE),
        _attachment(b"\xed\xa0\x80\xff.csv", b"ip,time\n203.0.113.9,2026-11-19T01:20:30Z\n", b"text/csv"),
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%ED%A0%80%FF.txt\r\n\r\nxx",
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=undefined''abc.txt\r\n\r\nxx",
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="=?base64?B?AAAA?="\r\n\r\nxx',
    ]
    return _multipart(parts)


# --- boundaries and transfer encodings ------------------------------------------------


def broken_boundaries() -> bytes:
    body = (
        b"--BOUND\r\nContent-Type: text/plain\r\n\r\n" + REPORT_LINE + b"--BOUN\r\n--BOUND-\r\n"
        b"--BOUNDx\r\nContent-Type: text/plain\r\n\r\nmore\r\n"
    )
    return _mail(body, ctype=b'multipart/mixed; boundary="BOUND"')


def missing_closing_boundary() -> bytes:
    body = (
        b"--BOUND\r\nContent-Type: text/plain\r\n\r\n"
        + REPORT_LINE
        + b"--BOUND\r\nContent-Type: text/html\r\n\r\n<p>x"
    )
    return _mail(body, ctype=b'multipart/mixed; boundary="BOUND"')


def boundary_is_body_line() -> bytes:
    body = b"--" + REPORT_LINE.strip() + b"\r\n\r\n" + REPORT_LINE + b"--" + REPORT_LINE.strip() + b"--\r\n"
    return _mail(body, ctype=b'multipart/mixed; boundary="' + REPORT_LINE.strip().replace(b'"', b"") + b'"')


def empty_and_missing_boundary() -> bytes:
    body = b"--\r\n\r\n" + REPORT_LINE + b"----\r\n"
    one = _mail(body, ctype=b'multipart/mixed; boundary=""')
    return one.replace(b'boundary=""', b"boundary") + b"\r\n"


def bad_base64() -> bytes:
    parts = [
        _text_part(
            b"!!!not base64@@@\r\n====\r\nQUJD\r\n" + base64.b64encode(REPORT_LINE)[:-3], cte=b"base64"
        ),
        _text_part(b"=\r\n=ZZ=4=\r\n=E3=81" + REPORT_LINE + b"=", cte=b"quoted-printable"),
        _text_part(b"begin 644 x\r\n!!!\r\n", cte=b"x-uuencode"),
        _text_part(REPORT_LINE, cte=b"base64; garbage=\x00"),
    ]
    return _multipart(parts)


# --- charsets --------------------------------------------------------------------------

HOSTILE_CHARSETS = (
    b"utf-7",
    b"idna",
    b"rot13",
    b"undefined",
    b"punycode",
    b"base64",
    b"hex",
    b"zlib",
    b"bz2",
    b"uu",
    b"quopri",
    b"unicode_escape",
    b"raw_unicode_escape",
    b"utf-16",
    b'"utf-8\\"',
    b"x" * 5000,
    b"\xff\xfe",
    b"utf-8''",
)


def hostile_charsets() -> bytes:
    text = b"+ADw-script+AD4- \\x41\\N{LATIN SMALL LETTER A} " + REPORT_LINE
    parts = [_text_part(text, charset=cs) for cs in HOSTILE_CHARSETS]
    parts += [
        b"Content-Type: text/html; charset=" + cs + b"\r\n\r\n<p>" + text
        for cs in (b"undefined", b"idna", b"rot13")
    ]
    subject = b"Subject: " + b" ".join(
        b"=?" + cs.strip(b'"') + b"?B?" + base64.b64encode(b"xn--abc " * 3) + b"?="
        for cs in HOSTILE_CHARSETS[:14]
    )
    return _multipart(parts).replace(b"Subject: hostile case", subject)


def utf7_surrogates() -> bytes:
    return (
        b"From: r@example.net\r\nSubject: =?utf-7?Q?+2AA-?= \x00 nul\r\nMessage-ID: <\xff\xfe@x>\r\n"
        b"Content-Type: text/plain; charset=utf-7\r\n\r\n+2AA- "
        + REPORT_LINE.replace(b"+", b"+-")
        + b"+2AA-\r\n"
    )


# --- senders -------------------------------------------------------------------------


def two_from_headers() -> bytes:
    return HEAD + b"From: ceo@bank.example\r\n\r\n" + REPORT_LINE


def display_name_address() -> bytes:
    head = HEAD.replace(
        b"From: Reporter <reporter@example.net>", b'From: "security@jpcert.or.jp" <evil@attacker.example>'
    )
    return head + b"\r\n" + REPORT_LINE


def empty_from() -> bytes:
    return HEAD.replace(b"From: Reporter <reporter@example.net>", b"From:") + b"\r\n" + REPORT_LINE


def garbage_from() -> bytes:
    head = HEAD.replace(b"From: Reporter <reporter@example.net>", b'From: <<<@@@>>> ,,,;;; "unterminated <a@')
    return head + b"\r\n" + REPORT_LINE


# --- HTML ----------------------------------------------------------------------------


def html_script() -> bytes:
    html = (
        b"<html><head><style>p{x:expression(alert(1))}</style><script>alert('203.0.113.66')</script></head>"
        b"<body onload=alert(1)><p>Attack from 203.0.113.9 at 2026-11-19 01:20:30 UTC</p>"
        b"<script>document.write('<p>198.51.100.1</p>')</script><img src=x onerror=alert(1)></body></html>"
    )
    return _mail(html, ctype=b"text/html; charset=utf-8")


def html_data_uri() -> bytes:
    data = base64.b64encode(bytes(6 * 1024 * 1024))
    html = b'<html><body><p>203.0.113.9</p><img src="data:image/png;base64,' + data + b'"></body></html>'
    return _mail(html, ctype=b"text/html; charset=utf-8")


def html_entity_bomb() -> bytes:
    html = b"<p>" + b"&amp;&#x41;&#99999999999;&bogus;&" * 100_000 + b"</p>" + b"<!--" + b"<!" * 50_000
    return _mail(html, ctype=b"text/html; charset=utf-8")


def html_unclosed() -> bytes:
    html = b"<p>203.0.113.9</p>" + b"<a " * 50_000 + b"</" * 50_000 + b"<![CDATA[" * 20_000
    return _mail(html, ctype=b"text/html; charset=utf-8")


# --- attachments -----------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def zip_bomb() -> bytes:
    return _multipart(
        [_text_part(REPORT_LINE), _attachment(b"report.csv.zip", _zip([("a.csv", bytes(200 * 1024 * 1024))]))]
    )


def zip_in_zip() -> bytes:
    data = _zip([("r.csv", b"ip\n203.0.113.9\n")])
    for i in range(10):
        data = _zip([(f"l{i}.zip", data)])
    return _multipart([_text_part(REPORT_LINE), _attachment(b"nested.zip", data)])


def gzip_bomb() -> bytes:
    return _multipart(
        [_text_part(REPORT_LINE), _attachment(b"feed.csv.gz", gzip.compress(bytes(200 * 1024 * 1024), 9))]
    )


def many_zip_entries() -> bytes:
    data = _zip([(f"e{i}.csv", b"ip\n203.0.113.9\n") for i in range(5000)])
    return _multipart([_text_part(REPORT_LINE), _attachment(b"many.zip", data)])


def path_traversal_names() -> bytes:
    data = _zip(
        [
            ("../../../../etc/passwd", b"root:x:0:0\n"),
            ("/abs/evil.csv", b"ip\n203.0.113.9\n"),
            ("a/../../b.csv", b"x"),
        ]
    )
    parts = [
        _text_part(REPORT_LINE),
        _attachment(b"../../../../tmp/evil.csv", b"ip,time\n203.0.113.9,2026-11-19T01:20:30Z\n", b"text/csv"),
        _attachment(b"..\\..\\windows\\evil.zip", data, b"application/zip"),
        _attachment(b"/dev/zero", b"x"),
    ]
    return _multipart(parts)


def corrupt_archives() -> bytes:
    good = _zip([("r.csv", b"ip\n203.0.113.9\n")])
    parts = [
        _text_part(REPORT_LINE),
        _attachment(b"cut.zip", good[: len(good) // 2], b"application/zip"),
        _attachment(b"bad.gz", b"\x1f\x8b\x08\x00garbage" * 10, b"application/gzip"),
        _attachment(
            b"trunc.csv.gz", gzip.compress(b"ip\n" + b"203.0.113.9\n" * 1000)[:-20], b"application/gzip"
        ),
    ]
    return _multipart(parts)


def _report_with(name: bytes, data: bytes, ctype: bytes) -> Callable[[], bytes]:
    def build() -> bytes:
        return _multipart([_text_part(REPORT_LINE), _attachment(name, data, ctype)])

    return build


HOSTILE_ATTACHMENTS: dict[str, tuple[bytes, bytes, bytes]] = {
    "json_deep": (b"report.json", b"[" * 100_000 + b"]" * 100_000, b"application/json"),
    "json_xarf_deep": (b"xarf.json", b'{"xarf_version": ' + b"{" * 50_000, b"application/json"),
    "json_huge_number": (
        b"r.json",
        b'{"ip": "203.0.113.9", "port": 1' + b"0" * 100_000 + b"}",
        b"application/json",
    ),
    "csv_nul": (b"r.csv", b"ip,timestamp\n203.0.113.9\x00,2026-11-19\n\x00\x00\n", b"text/csv"),
    "csv_huge_field": (b"r.csv", b'ip,note\n203.0.113.9,"' + b"x" * 300_000 + b'"\n', b"text/csv"),
    "csv_unterminated_quote": (b"r.csv", b'ip,note\n"203.0.113.9,' + b"y\n" * 50_000, b"text/csv"),
    "csv_many_columns": (b"r.csv", b",".join([b"ip"] * 100_000) + b"\n" + b"1," * 100_000, b"text/csv"),
    "shadowserver_garbage": (
        b"scan_ssh-2026-11-19.csv",
        b'"timestamp","ip"\n"\xff\xfe","' + b"9" * 5000 + b'"\n',
        b"text/csv",
    ),
    "xarf_yaml_bomb": (
        b"report.txt",
        b"Reported-From: x@example.org\nReport-Type: login-attack\nSource: 203.0.113.9\nSource-Type: ipv4\n"
        + b"Date: "
        + b"9" * 100_000
        + b"\n",
        b"text/plain",
    ),
    "rfc822_attachment_garbage": (b"orig.eml", b"\x00\xff" * 5000, b"message/rfc822"),
    "headers_attachment": (b"h.txt", b"Received: " + b"(" * 20_000 + b"\n", b"text/rfc822-headers"),
}


# --- long lines and extractor regex traps -----------------------------------------------


def long_line(size: int = 20 * 1024 * 1024) -> bytes:
    return _mail(b"203.0.113.9 " + b"A" * size + b"\r\n")


def _trap(unit: bytes, size: int = 1024 * 1024) -> Callable[[], bytes]:
    def build() -> bytes:
        return _mail(REPORT_LINE + unit * (size // len(unit)) + b"\r\n" + REPORT_LINE)

    return build


REGEX_TRAPS: dict[str, bytes] = {
    "digits_and_dots": b"1.2.3.",
    "hex_and_colons": b"ab:cd:",
    "colons": b":::",
    "defang_brackets": b"1[.]",
    "fullwidth_digits": "１２３．".encode(),
    "japanese_dates": "年月日".encode(),
    "japanese_date_digits": "2026年11月19日".encode(),
    "syslog_prefix": b"Nov 19 ",
    "times_of_day": b"01:20:30 ",
    "ip_port_runs": b"203.0.113.9:22 ",
    "hxxp_runs": b"hxxp://",
    "dpt_runs": b"DPT=",
    "digits": b"1234567890",
    "blank_lines": b"\r\n",  # a quote detector starting "^\\s*" in MULTILINE is quadratic on these
    "quoted_blank_lines": b">\r\n",
}


# --- PGP -----------------------------------------------------------------------------


def pgp_armor_no_body() -> bytes:
    body = (
        b"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n"
        + REPORT_LINE
        + b"-----BEGIN PGP SIGNATURE-----\r\n"
        b"-----BEGIN PGP MESSAGE-----\r\n-----END PGP MESSAGE-----\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\n"
        + b"-----BEGIN PGP MESSAGE-----\r\n"
        * 50
    )
    return _mail(body)


def pgp_mime_missing_parts() -> bytes:
    signed = _mail(
        b"--S\r\n" + _text_part(REPORT_LINE) + b"\r\n--S--\r\n",
        ctype=b'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="S"',
    )
    encrypted_body = b"--E\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--E--\r\n"
    encrypted = _mail(
        encrypted_body, ctype=b'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"'
    )
    nested = b"Content-Type: message/rfc822\r\n\r\n" + encrypted
    return signed.replace(b"\r\n--S--\r\n", b"\r\n--S\r\n" + nested + b"\r\n--S--\r\n")


def pgp_garbage_blocks() -> bytes:
    body = (
        b"-----BEGIN PGP MESSAGE-----\r\n\r\n" + base64.encodebytes(bytes(range(256)) * 40) + b"=AAAA\r\n"
        b"-----END PGP MESSAGE-----\r\n" + REPORT_LINE
    )
    return _mail(body)


CASES: list[Case] = [
    Case("nested_multipart_500", nested_multipart, "quarantined"),
    Case("nested_multipart_10k", lambda: nested_multipart(10_000), "quarantined"),
    Case("many_parts_100k", many_parts, "quarantined"),
    Case("nested_rfc822_500", nested_rfc822, "quarantined"),
    Case("headers_only", headers_only, "processed"),
    Case("headers_no_newline", headers_no_newline, "processed"),
    Case("png_file", png_file, "processed", ("spam", "non_incident", "automated")),
    Case("header_line_40mb", header_40mb, "quarantined"),
    Case("encoded_words_5000", encoded_words, "processed"),
    Case("folded_lines_20k", folded_lines, "processed", ("report",)),
    Case("nested_comments_from", nested_comments, "processed"),
    Case("unbalanced_comments", unbalanced_comments, "processed"),
    Case("received_chain_3000", received_chain, "processed"),
    Case("many_addresses_10k", many_addresses, "processed"),
    Case("nul_in_headers", nul_in_headers, "processed", ("report",)),
    Case("eight_bit_headers", eight_bit_headers, "processed", ("report",)),
    Case("surrogate_filenames", surrogate_filename, "processed", ("report",)),
    Case("broken_boundaries", broken_boundaries, "processed", ("report",)),
    Case("missing_closing_boundary", missing_closing_boundary, "processed", ("report",)),
    Case("boundary_is_body_line", boundary_is_body_line, "processed"),
    Case("empty_boundary", empty_and_missing_boundary, "processed"),
    Case("bad_base64_qp", bad_base64, "processed"),
    Case("hostile_charsets", hostile_charsets, "processed", ("report",)),
    Case("utf7_surrogates", utf7_surrogates, "processed", ("report",)),
    Case("two_from_headers", two_from_headers, "processed"),
    Case("display_name_address", display_name_address, "processed"),
    Case("empty_from", empty_from, "processed"),
    Case("garbage_from", garbage_from, "processed"),
    Case("html_script", html_script, "processed", ("report",)),
    Case("html_data_uri", html_data_uri, "processed"),
    Case("html_entity_bomb", html_entity_bomb, "processed"),
    Case("html_unclosed", html_unclosed, "processed"),
    Case("zip_bomb", zip_bomb, "processed", ("report",)),
    Case("zip_in_zip", zip_in_zip, "processed", ("report",)),
    Case("gzip_bomb", gzip_bomb, "processed", ("report",)),
    Case("many_zip_entries", many_zip_entries, "processed", ("report",)),
    Case("path_traversal_names", path_traversal_names, "processed", ("report",)),
    Case("corrupt_archives", corrupt_archives, "processed", ("report",)),
    Case("long_line_20mb", long_line, "either"),
    *[
        Case(f"attachment_{name}", _report_with(*spec), "processed", ("report",))
        for name, spec in HOSTILE_ATTACHMENTS.items()
    ],
    *[Case(f"trap_{name}", _trap(unit), "processed", ("report",)) for name, unit in REGEX_TRAPS.items()],
    Case("pgp_armor_no_body", pgp_armor_no_body, "processed"),
    Case("pgp_mime_missing_parts", pgp_mime_missing_parts, "processed"),
    Case("pgp_garbage_blocks", pgp_garbage_blocks, "processed", ("report",)),
]
