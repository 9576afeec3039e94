"""ISO-2022-JP mail as Japanese clients expect it, received by a real SMTP server (aiosmtpd).

For a recipient listed in ``[mail] iso_2022_jp`` the Subject and the From display name are
ISO-2022-JP encoded words and the body ISO-2022-JP in 7bit, also when the mail is signed;
parsed back, the received mail has the same Japanese subject, sender name and body.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from outbox_helpers import item, mail_settings
from pgp_support import World
from smtp_server import SmtpServer

from abusebox.core.config import Settings
from abusebox.outbox.compose import Outgoing, charset_for, new_message_id
from abusebox.outbox.queue import enqueue
from abusebox.outbox.sender import send_pass
from abusebox.store.db import Database

TEAM = "サンプル大学CSIRT"
SUBJECT = "Re: SSHへの不正アクセスのご報告（2026年11月19日 22時05分 JST） [abusebox #2026-000123]"
BODY = "ご報告ありがとうございます。\n受付番号 2026-000123 で受け付けました。\n全角：ＡＢＣ　半角カナ以外\n"
TO = "soc@sample.example.co.jp"


@pytest.mark.parametrize("signed", [False, True])
def test_iso_2022_jp_recipient_gets_iso_2022_jp_words_and_body(
    db: Database, settings: Settings, smtp: SmtpServer, w: World, signed: bool
) -> None:
    settings = mail_settings(settings, smtp, team_name=TEAM, iso_2022_jp=["@sample.example.co.jp"])
    if signed:
        settings = replace(settings, pgp=w.settings(sign_outgoing=True))
    charset = charset_for([TO], settings.mail)
    assert charset == "iso-2022-jp"
    msgid = new_message_id(settings.mail)
    out = Outgoing(to=[TO], subject=SUBJECT, body=BODY, message_id=msgid, charset=charset)
    with db.session() as session:
        pk = enqueue(session, settings, out, kind="notify", status="approved", actor="test")
    assert item(db, pk).subject == SUBJECT  # the row keeps the text, not the encoded words
    assert send_pass(settings, db).summary() == "sent 1, failed 0, deferred 0"
    [got] = smtp.wait_for(1)
    assert got.data.isascii()
    head = got.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert re.search(r"(?m)^Subject: =\?iso-2022-jp\?b\?", head)
    assert re.search(r"(?m)^From: =\?iso-2022-jp\?b\?", head)
    assert "=?utf-8?" not in head.lower()
    msg = got.message()
    assert str(msg["Subject"]) == SUBJECT
    assert msg["From"].addresses[0].display_name == TEAM
    text = msg.get_payload()[0] if signed else msg
    assert text.get_content_type() == "text/plain"
    assert text.get_content_charset() == "iso-2022-jp"
    if not signed:  # a signed part is quoted-printable so that no relay can alter it (RFC 3156)
        assert text["Content-Transfer-Encoding"] == "7bit" and b"\x1b$B" in got.data
    content = text.get_content().replace("\r\n", "\n")
    assert content.rstrip("\n") == BODY.rstrip("\n")
