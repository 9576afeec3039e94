"""Display names that impersonate: "PayPal <x@random.tld>", or another address as the name."""

from __future__ import annotations

import re

from abusebox.triage.base import RuleHit, TriageContext, register
from abusebox.triage.text import display_name, domain_matches, sender_domain

# brand (as it appears in a display name) -> domains that legitimately send as it
BRANDS: dict[str, tuple[str, ...]] = {
    "paypal": ("paypal.com", "paypal.jp"),
    "amazon": ("amazon.com", "amazon.co.jp", "amazonses.com"),
    "apple": ("apple.com", "icloud.com"),
    "microsoft": ("microsoft.com", "outlook.com"),
    "google": ("google.com", "gmail.com"),
    "netflix": ("netflix.com",),
    "visa": ("visa.com", "visa.co.jp"),
    "mastercard": ("mastercard.com",),
    "三井住友": ("smbc.co.jp", "smbc-card.com"),
    "楽天": ("rakuten.co.jp", "rakuten.com"),
    "ヤマト運輸": ("kuronekoyamato.co.jp",),
    "佐川急便": ("sagawa-exp.co.jp",),
    "ゆうちょ": ("jp-bank.japanpost.jp",),
    "イオン": ("aeon.co.jp",),
    "エポス": ("eposcard.co.jp",),
}
_ADDR_IN_NAME = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


class DisplayNameMismatch:
    name = "display_name_mismatch"
    description = "the display name claims a brand or address the sending domain does not belong to"

    def check(self, ctx: TriageContext) -> RuleHit | None:
        name = display_name(ctx.parsed).lower()
        domain = sender_domain(ctx.parsed.from_addr)
        if not name or not domain:
            return None
        embedded = _ADDR_IN_NAME.search(name)
        if embedded and not domain_matches(domain, embedded.group(1)):
            return RuleHit(
                3.0, f"display name shows address at {embedded.group(1)} but mail is from {domain}", "spam"
            )
        for brand, domains in BRANDS.items():
            if brand in name and not any(domain_matches(domain, d) for d in domains):
                return RuleHit(3.0, f"display name claims {brand!r} but mail is from {domain}", "spam")
        return None


register(DisplayNameMismatch())
