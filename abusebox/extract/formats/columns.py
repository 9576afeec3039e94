"""Which column or key of a generic table/JSON feed holds what, and feed categories.

Names are compared after ``normalise_column`` (``"Source IP"`` -> ``source_ip``).
Columns are listed in order of preference; a column is only used for addresses when
its values actually are addresses (zone-h's ``attacker`` is a nickname).
"""

from __future__ import annotations

from abusebox.extract.categories import category_from_text

SOURCE_KEYS = (
    "src_ip",
    "source_ip",
    "sourceip",
    "source_address",
    "networksourceipv4",
    "networksourceipv6",
    "ip_address",
    "ipaddress",
    "ip",
    "src",
    "srcip",
    "source",
    "attacker_ip",
    "attacker",
    "offender",
    "host_ip",
    "address",
    "client_ip",
    "client",
    "remote_addr",
    "remote_ip",
    "remote_host",
    "src_addr",
    "peer_ip",
    "peer_address",
)
TIME_KEYS = (
    "source_time",
    "time_source",
    "timestamp",
    "time",
    "datetime",
    "date_time",
    "event_time",
    "first_seen",
    "firstseen",
    "firstreporteddatetime",
    "add_date",
    "date",
    "last_seen",
    "lastseen",
    "observation_time",
    "epoch",
    "unixtime",
    "unix_time",
    "epoch_time",
    "ts",
    "first_seen_ts",
    "firstseen_ts",
    "start_ts",
    "event_ts",
    "time_ts",
    "timestamp_s",
)
PORT_KEYS = (
    "dst_port",
    "destination_port",
    "dport",
    "dstport",
    "port",
    "networkdestinationport",
    "src_port",
    "source_port",
)
TARGET_KEYS = (
    "dst_ip",
    "destination_ip",
    "dest_ip",
    "networkdestinationipv4",
    "networkdestinationipv6",
    "target_ip",
    "target_server",
    "target_host",
    "victim_ip",
    "attacked_host",
    "target",
    "victim",
    "destination",
)
CATEGORY_KEYS = (
    "type",
    "category",
    "classification_type",
    "classification",
    "threat_type",
    "indicatorthreattype",
    "report_type",
    "attack_type",
    "reason",
    "description",
    "event",
    "eventid",
    # IDS alerts: Suricata EVE alert.category / alert.signature, Snort classtype
    "alert_category",
    "classtype",
    "alert_signature",
    "signature",
)

# Sender domain -> category when the file itself says nothing we understand.
SENDER_CATEGORIES: dict[str, str] = {
    "zone-h.org": "intrusion",
    "spamhaus.org": "spam",
    "blocklist.de": "brute-force",
    "dataplane.org": "brute-force",
    "microsoft.com": "malware",
}

# Feed type words (file names, cymru report names, dataplane categories) -> category.
FEED_WORDS: dict[str, str] = {
    "bruteforce": "brute-force",
    "bruteforcelogin": "brute-force",
    "sshpwauth": "brute-force",
    "telnetlogin": "brute-force",
    "sipregistration": "brute-force",
    "ssh": "brute-force",
    "imap": "brute-force",
    "ftp": "brute-force",
    "sip": "brute-force",
    "pop3": "brute-force",
    "strongips": "brute-force",
    "sshclient": "scan",
    "sipquery": "scan",
    "sipinvitation": "scan",
    "vncrfb": "scan",
    "dnsrd": "scan",
    "dnsrdany": "scan",
    "scanners": "scan",
    "darknet": "scan",
    "openresolvers": "vulnerable",
    "proxy": "vulnerable",
    "phishing": "phishing",
    "spam": "spam",
    "mail": "spam",
    "smtpdata": "spam",
    "smtpgreet": "spam",
    "drop": "spam",
    "edrop": "spam",
    "bots": "malware",
    "ircbot": "malware",
    "malwareurl": "malware",
    "apache": "intrusion-attempt",
    "ddosreport": "dos",
    "defacement": "intrusion",
    "botnet": "malware",
    # Suricata/Snort classification names (alert.category, classtype)
    "attemptedinformationleak": "scan",
    "attemptedrecon": "scan",
    "detectionofanetworkscan": "scan",
    "networkscan": "scan",
    "attemptedadministratorprivilegegain": "intrusion-attempt",
    "attempteduserprivilegegain": "intrusion-attempt",
    "webapplicationattack": "intrusion-attempt",
    "attemptedadmin": "intrusion-attempt",
    "attempteduser": "intrusion-attempt",
    "webapplicationactivity": "intrusion-attempt",
    "attempteddenialofservice": "dos",
    "attempteddos": "dos",
    "denialofservice": "dos",
    "successfuladministratorprivilegegain": "intrusion",
    "successfuladmin": "intrusion",
    "trojanactivity": "malware",
    "trojan": "malware",
    # honeypot event names (Cowrie, OpenCanary and friends)
    "login.failed": "brute-force",
    "loginfailed": "brute-force",
    "cowrie.login.failed": "brute-force",
    "login.success": "brute-force",
}

_CATEGORY_CACHE: dict[str, str | None] = {}


def category_of_value(value: str) -> str | None:
    """Category for a feed's type cell (``malware url``, ``phishing``, ``Botnet``), cached."""
    key = value.strip().lower()
    if not key:
        return None
    if key not in _CATEGORY_CACHE:
        word = key.replace(" ", "").replace("-", "").replace("_", "")
        found = FEED_WORDS.get(word) or category_from_text(value)
        if len(_CATEGORY_CACHE) < 10_000:
            _CATEGORY_CACHE[key] = found
        return found
    return _CATEGORY_CACHE[key]


def sender_category(from_addr: str | None) -> str | None:
    domain = (from_addr or "").rpartition("@")[2]
    for known, category in SENDER_CATEGORIES.items():
        if domain == known or domain.endswith("." + known):
            return category
    return None
