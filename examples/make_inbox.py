"""Regenerate the example Maildir: python examples/make_inbox.py examples/inbox (output is committed)."""
import email.utils
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.header import Header
from email import encoders, message_from_bytes
from email.policy import SMTP, compat32
from pathlib import Path
import sys

out = Path(sys.argv[1])
for d in ("cur", "new", "tmp"):
    (out / d).mkdir(parents=True, exist_ok=True)

msgs = []

def add(name, msg):
    data = msg.as_bytes() if hasattr(msg, "as_bytes") else msg
    msgs.append((name, data))

def base(m, frm, subject, date, mid, to="abuse@example.jp"):
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = mid
    return m

# 1 English sshd brute force log
m = EmailMessage()
base(m, "Security Team <security@reporter.example.net>", "Abuse report: SSH brute force from 203.0.113.45",
     "Thu, 19 Nov 2026 10:32:11 +0100", "<ssh-bf-20261119@reporter.example.net>")
m.set_content("""Hello abuse team,

the host 203.0.113.45 in your network has been brute-forcing the SSH service
of our server 198.51.100.10 (port 22). Excerpt of /var/log/auth.log (times CET):

Nov 19 09:14:02 web01 sshd[2211]: Failed password for root from 203.0.113.45 port 53122 ssh2
Nov 19 09:14:05 web01 sshd[2211]: Failed password for root from 203.0.113.45 port 53122 ssh2
Nov 19 09:14:09 web01 sshd[2213]: Invalid user admin from 203.0.113.45 port 53130
Nov 19 09:14:12 web01 sshd[2213]: Failed password for invalid user admin from 203.0.113.45 port 53130 ssh2

fail2ban banned the address at 09:15. Please make sure the host is cleaned up.

Regards,
Reporter Security Team
""")
add("01-ssh-bruteforce-en", m)

# 2 Japanese ISO-2022-JP brute force
body2 = """ご担当者様

株式会社サンプル情報システム部の山田です。
貴組織のIPアドレス 203.0.113.77 から、弊社サーバ(198.51.100.20)に対して
SSHの総当たり攻撃(ブルートフォース攻撃)が行われました。

  発生日時: 2026年11月19日 22時05分〜22時40分(日本時間)
  攻撃元IPアドレス: 203.0.113.77
  攻撃先: 198.51.100.20 (TCP/22)
  回数: 約1,200回

ログの抜粋(JST):
2026-11-19 22:05:13 sshd[3301]: Failed password for invalid user test from 203.0.113.77 port 41022 ssh2
2026-11-19 22:05:15 sshd[3301]: Failed password for invalid user test from 203.0.113.77 port 41022 ssh2

ご確認と対応をお願いいたします。

--
山田 太郎 (Taro Yamada)
株式会社サンプル 情報システム部
"""
m = MIMEText(body2, "plain", "iso-2022-jp")
base(m, str(Header("山田 太郎", "iso-2022-jp")) + " <yamada@sample.example.co.jp>",
     Header("【不正アクセス報告】貴組織IPアドレスからのSSH総当たり攻撃について", "iso-2022-jp").encode(),
     "Thu, 19 Nov 2026 23:10:42 +0900", "<20261119231042.jp-bf@sample.example.co.jp>")
add("02-ssh-bruteforce-ja-iso2022jp", m)

# 3 Japanese UTF-8 base64 port scan
body3 = """abuse担当者様

貴社ネットワークのホスト（１９２．０．２．１５０）から弊社ネットワークへの
ポートスキャンを検知しましたのでご連絡いたします。

タイムゾーン: JST
検知期間: 2026/11/20 03:10 - 03:25

ファイアウォールのログ（抜粋）:
2026/11/20 03:10:01 DROP IN=eth0 SRC=192.0.2.150 DST=198.51.100.30 PROTO=TCP SPT=51515 DPT=23
2026/11/20 03:10:02 DROP IN=eth0 SRC=192.0.2.150 DST=198.51.100.31 PROTO=TCP SPT=51515 DPT=23
2026/11/20 03:10:04 DROP IN=eth0 SRC=192.0.2.150 DST=198.51.100.32 PROTO=TCP SPT=51516 DPT=2323

よろしくお願いいたします。
ネットワーク運用センター
"""
m = MIMEText(body3, "plain", "utf-8")
base(m, "NOC <noc@isp.example.ne.jp>", Header("ポートスキャンの通報 (192.0.2.150)", "utf-8").encode(),
     "Fri, 20 Nov 2026 09:02:00 +0900", "<scan-20261120@isp.example.ne.jp>")
add("03-portscan-ja-utf8", m)

# 4 English scan with iptables lines UTC
m = EmailMessage()
base(m, "abuse-reports@honeynet.example.org", "Port scan from 198.51.100.99 against our honeypots",
     "Sat, 21 Nov 2026 06:00:00 +0000", "<scan-21112026@honeynet.example.org>")
m.set_content("""Automated notice (times are UTC).

Source 198.51.100.99 scanned our sensors:

2026-11-21T05:41:10Z SRC=198.51.100.99 DST=192.0.2.10 PROTO=TCP DPT=3389
2026-11-21T05:41:11Z SRC=198.51.100.99 DST=192.0.2.11 PROTO=TCP DPT=3389
2026-11-21T05:41:13Z SRC=198.51.100.99 DST=192.0.2.12 PROTO=TCP DPT=445

Please investigate.
""")
add("04-portscan-en", m)

# 5 phishing report
m = EmailMessage()
base(m, "Phish Reporting <phish@bank.example.com>", "Phishing site hosted on 192.0.2.77",
     "Sun, 22 Nov 2026 14:20:00 +0000", "<phish-2211@bank.example.com>")
m.set_content("""Dear abuse team,

we found a phishing site imitating our online banking login, hosted on your
network at 192.0.2.77:

  URL: hxxp://192.0.2[.]77/secure-login/index.php
  First seen: 2026-11-22 13:55 UTC

The site was advertised in the following mail received by our customers:

> From: "Example Bank" <security@examp1e-bank.example>
> Subject: Your account has been suspended
> Please verify your account at hxxp://192.0.2[.]77/secure-login/

Please take the site down as soon as possible.

Example Bank CERT
""")
add("05-phishing-report-en", m)

# 6 JPCERT/CC style coordination (ISO-2022-JP)
body6 = """株式会社サンプル
セキュリティ担当者様

JPCERT/CC インシデントレスポンスグループです。

JPCERT/CC では、貴組織が管理されていると思われるIPアドレスのホストが
マルウェアの配布に使用されているとの報告を受けております。

  IPアドレス: 203.0.113.200
  URL: hxxp://203.0.113[.]200/update/invoice.exe
  確認日時: 2026年11月23日 10時15分 (JST)

つきましては、状況のご確認と必要な対応をお願いいたします。

======================================
一般社団法人JPCERTコーディネーションセンター (JPCERT/CC)
インシデントレスポンスグループ
"""
m = MIMEText(body6, "plain", "iso-2022-jp")
base(m, "JPCERT/CC <info@jpcert.or.jp>", Header("[JPCERT#12345678] マルウェア配布サイトに関する調整のお願い", "iso-2022-jp").encode(),
     "Mon, 23 Nov 2026 11:02:33 +0900", "<jpcert-12345678@jpcert.or.jp>")
add("06-jpcert-malware-ja", m)

# 7 Shadowserver-like CSV attachment
csv = """"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","sic","sector"
"2026-11-24 00:10:41","203.0.113.5","tcp",23,"","telnet",64500,"JP","TOKYO","TOKYO",0,0,"Communications"
"2026-11-24 00:12:03","203.0.113.6","tcp",23,"","telnet",64500,"JP","TOKYO","TOKYO",0,0,"Communications"
"2026-11-24 01:44:19","2001:db8:10::6","tcp",23,"","telnet",64500,"JP","OSAKA","OSAKA",0,0,"Communications"
"""
m = MIMEMultipart()
base(m, "Shadowserver <autoreports@shadowserver.org>", "[Example] Shadowserver Japan Accessible Telnet Service Report: 2026-11-24",
     "Tue, 24 Nov 2026 08:00:00 +0000", "<ss-telnet-20261124@shadowserver.org>")
m["Auto-Submitted"] = "auto-generated"
m["Precedence"] = "bulk"
m.attach(MIMEText("Attached is your Accessible Telnet report for 2026-11-24.\n\nThe Shadowserver Foundation\n", "plain", "utf-8"))
att = MIMEText(csv, "csv", "utf-8")
att.add_header("Content-Disposition", "attachment", filename="2026-11-24-scan_telnet-example-asn.csv")
m.attach(att)
add("07-shadowserver-telnet", m)

# 8 ARF spam complaint
m = MIMEMultipart("report", report_type="feedback-report")
base(m, "Mail Feedback <fbl@mailbox.example.net>", "Email Feedback Report for IP 198.51.100.66",
     "Tue, 24 Nov 2026 12:30:00 +0000", "<arf-8812@mailbox.example.net>")
m.attach(MIMEText("This is an email abuse report for an email message received from IP 198.51.100.66 on Tue, 24 Nov 2026 12:01:02 +0000.\n", "plain", "utf-8"))
fr = MIMEBase("message", "feedback-report")
fr.set_payload("Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\nOriginal-Mail-From: <promo@sender.example>\nArrival-Date: Tue, 24 Nov 2026 12:01:02 +0000\nSource-IP: 198.51.100.66\nReported-Domain: sender.example\n")
m.attach(fr)
orig = EmailMessage()
orig["Received"] = "from mta.sender.example (mta.sender.example [198.51.100.66]) by mx.mailbox.example.net; Tue, 24 Nov 2026 12:01:02 +0000"
orig["From"] = "promo@sender.example"
orig["To"] = "user@mailbox.example.net"
orig["Subject"] = "Cheap watches"
orig["Date"] = "Tue, 24 Nov 2026 12:00:58 +0000"
orig.set_content("Buy cheap watches now!\n")
m.attach(MIMEMessage(orig))
add("08-arf-spam-complaint", m)

# 9 spam
m = EmailMessage()
base(m, "Best Pharmacy <deals@pharma-offers.example>", "Viagra 80% OFF - limited offer!!! Bitcoin accepted",
     "Tue, 24 Nov 2026 15:00:00 +0000", "<spam-77331@pharma-offers.example>")
m.set_content("""Dear friend,

Cheap VIAGRA, CIALIS and other meds without prescription! 80% OFF today only.
Pay with Bitcoin or USDT and get free shipping.
Click here: http://pharma-offers.example/buy?id=1
Also: double your crypto in 24h: http://crypto-x.example/invest
Unsubscribe: http://pharma-offers.example/unsub
""")
add("09-spam-pharmacy", m)

# 10 Japanese one-click fraud (Shift_JIS)
body10 = """ご登録ありがとうございます。

この度は有料動画サイトへのご登録ありがとうございます。
登録料金 99,800円 が未払いとなっております。

本日中に下記口座へお振込みください。
お支払いが確認できない場合、法的措置を取らせていただきます。

退会をご希望の方は下記までご連絡ください。
http://example-payment.example/taikai
"""
m = MIMEText(body10, "plain", "shift_jis")
base(m, "=?shift_jis?b?" + __import__("base64").b64encode("会員サポート".encode("shift_jis")).decode() + "?= <support@douga-site.example>",
     Header("【重要】ご登録料金未払いのお知らせ", "shift_jis").encode(),
     "Wed, 25 Nov 2026 01:00:00 +0900", "<oneclick-5531@douga-site.example>")
add("10-oneclick-fraud-ja-sjis", m)

# 11 bounce of our ack (written raw: the generator cannot flatten a str delivery-status)
bounce = b"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.jp>
To: abuse@example.jp
Subject: Undelivered Mail Returned to Sender
Date: Wed, 25 Nov 2026 02:00:00 +0000
Message-ID: <bounce-1@mx.example.jp>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY-DSN"

--BOUNDARY-DSN
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.jp.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<noreply@gone.example>: host mx.gone.example[192.0.2.200] said: 550 5.1.1 User unknown

--BOUNDARY-DSN
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.jp

Final-Recipient: rfc822; noreply@gone.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.gone.example
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--BOUNDARY-DSN
Content-Type: text/rfc822-headers

From: abuse@example.jp
To: noreply@gone.example
Subject: [abusebox #41] Acknowledgement of your report
Auto-Submitted: auto-replied

--BOUNDARY-DSN--
"""
add("11-bounce-of-ack", bounce)

# 12 Japanese out of office
m = MIMEText("""お世話になっております。
誠に勝手ながら、11月25日から11月30日まで不在にしております。
12月1日以降に順次対応いたします。
""", "plain", "iso-2022-jp")
base(m, "Suzuki <suzuki@partner.example.jp>", Header("自動応答: 不在のお知らせ", "iso-2022-jp").encode(),
     "Wed, 25 Nov 2026 09:00:00 +0900", "<ooo-1@partner.example.jp>")
m["Auto-Submitted"] = "auto-replied"
m["X-Auto-Response-Suppress"] = "All"
add("12-out-of-office-ja", m)

# 13 DoS report en with IPv6
m = EmailMessage()
base(m, "NOC <noc@victim.example.org>", "DDoS from your network (2001:db8:beef::25)",
     "Wed, 25 Nov 2026 04:00:00 -0500", "<ddos-4410@victim.example.org>")
m.set_content("""Hi,

Our web server was hit by a UDP flood (DDoS) from 2001:db8:beef::25 in your network
between 03:10 and 03:40 EST today (2026-11-25). Peak 2.1 Gbit/s towards our 192.0.2.80.

Sample from our netflow collector (times EST):
2026-11-25 03:10:02 2001:db8:beef::25 -> 192.0.2.80 UDP 123 packets=88123
2026-11-25 03:11:02 2001:db8:beef::25 -> 192.0.2.80 UDP 123 packets=91002

Thanks,
Victim NOC
""")
add("13-ddos-en-ipv6", m)

for i, (name, data) in enumerate(msgs):
    data = data.replace(b"\r\n", b"\n")
    (out / "cur" / f"1764028800.M{i:02d}P1.{name}:2,").write_bytes(data)
print(len(msgs))
