"""Three mechanisms behind field trial 3's last misses, each on mails written for this test
(tests/data/accuracy/): a reply's quoted older thread is history; 不正アクセス is an
umbrella word a named technique outweighs; a record's ``Port:`` field (or ``A:port``
value) is the port of the service a C2 or exposure record describes.
"""

from __future__ import annotations

from paths import DATA

from abusebox.core.config import Settings
from abusebox.extract.categories import category_from_text
from abusebox.extract.freeform import extract_freeform
from abusebox.parsing.mime import parse_message
from abusebox.pipeline.analyze import analyze

MAILS = DATA / "accuracy"


def _contract(name: str) -> dict[str, object]:
    return analyze((MAILS / name).read_bytes(), Settings()).contract()


def _sources(contract: dict[str, object]) -> list[tuple[object, object, object]]:
    observations = contract["observations"]
    assert isinstance(observations, list)
    return [(o["ip"], o["time"], o["port"]) for o in observations]


def _mail(body: str, subject: str = "Report") -> bytes:
    head = (
        f"From: reporter@example.org\nTo: abuse@example.net\nSubject: {subject}\n"
        "Date: Wed, 25 Nov 2026 04:00:00 +0000\nMessage-ID: <x@example.org>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.encode("utf-8")


def _freeform(body: str, subject: str = "Report") -> list[tuple[str, int | None]]:
    extraction = extract_freeform(parse_message(_mail(body, subject)))
    return [(o.ip, o.port) for o in extraction.observations if o.role == "source"]


# --- a reply quoting the older thread ---------------------------------------------------


def test_a_reply_naming_a_new_source_leaves_the_quoted_old_one_out() -> None:
    contract = _contract("en_reply_new_source_quotes_old.eml")
    assert {ip for ip, _t, _p in _sources(contract)} == {"192.0.2.51"}


def test_a_reply_that_names_the_quoted_source_anew_keeps_it() -> None:
    body = (
        "192.0.2.50 is back: 2026-11-24 10:00:00 UTC failed login from 192.0.2.50\n\n"
        "> 2026-11-15 18:02:10 UTC failed login from 192.0.2.50\n"
    )
    assert {ip for ip, _p in _freeform(body)} == {"192.0.2.50"}


def test_a_forward_that_only_quotes_keeps_its_quoted_sources() -> None:
    body = "FYI, see below.\n\n> 2026-11-15 18:02:10 UTC failed login for admin from 192.0.2.50\n"
    assert {ip for ip, _p in _freeform(body)} == {"192.0.2.50"}


# --- 不正アクセス, an umbrella word ------------------------------------------------------


def test_a_named_technique_outweighs_fusei_access_in_the_subject() -> None:
    assert _contract("ja_fusei_access_subject_bruteforce_body.eml")["category"] == "brute-force"
    assert category_from_text("ポートスキャンを観測しました。", subject="不正アクセスの件") == "scan"


def test_fusei_access_alone_still_says_intrusion() -> None:
    assert (
        category_from_text("サーバへの不正アクセスを確認しました。", subject="不正アクセスの件")
        == "intrusion"
    )
    assert category_from_text("不正アクセスを受け、ページが改ざんされました。") == "intrusion"


# --- a record's port --------------------------------------------------------------------


def test_c2_records_carry_their_port_field_and_address_port() -> None:
    assert _sources(_contract("en_c2_record_fields.eml")) == [
        ("198.51.100.160", "2026-11-24T21:00:00Z", 8088),
        ("198.51.100.161", "2026-11-24T22:15:00Z", 4444),
    ]


def test_several_port_fields_name_no_single_port() -> None:
    body = "Exposed service found.\n\nIP: 198.51.100.9\nPort: 9200\nPort: 9300\nStatus: exposed\n"
    assert _freeform(body) == [("198.51.100.9", None)]


def test_an_attackers_own_port_is_still_not_recorded() -> None:
    # In an attack report the source's port is ephemeral, written as a field or not.
    body = "Brute force against our SSH server.\n\nAttacker: 203.0.113.5:51234\nTarget: 198.51.100.1\n"
    assert _freeform(body) == [("203.0.113.5", 22)]
