"""Whether a configured host is this machine: where a password may travel in clear text.

Both an IMAP source and the SMTP relay refuse ``security = "plain"`` with a password
unless the server is on the loopback interface (a local Dovecot or Postfix).
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
