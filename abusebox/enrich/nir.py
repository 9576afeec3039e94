"""National registries (JPNIC, KRNIC): the operator's own contact behind an APNIC answer.

APNIC's RDAP answer for Japanese and Korean space names the national registry (for
example IRT-JPNIC-JP, hostmaster@nic.ad.jp), not the network that misbehaved; JPNIC
asks not to be sent abuse reports meant for its members. ipwhois's ``NIRWhois`` reads
the JPNIC and KRNIC whois gateways (HTML), and from them we take the more specific
network, its name and organisation, and the technical then administrative contacts'
addresses. A failing NIR step keeps the APNIC answer (noted in ``raw``): the
national gateway is a refinement, not a reason to retry the whole lookup.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import replace
from typing import Any

from ipwhois import exceptions as ipw
from ipwhois.net import Net
from ipwhois.nir import NIR_WHOIS, NIRWhois

from abusebox.enrich.ratelimit import RegistryCoolingDown, RegistryLimiter
from abusebox.store.enrichment import NetworkInfo

log = logging.getLogger(__name__)

NIR_BY_COUNTRY = {"JP": "jpnic", "KR": "krnic"}
CONTACT_ORDER = ("tech", "admin")  # JPNIC and KRNIC publish no abuse role
MAX_CONTACTS = 10


def nir_for(asn_data: dict[str, Any]) -> str | None:
    """The national registry under APNIC that holds this address, if any (as ipwhois decides)."""
    if str(asn_data.get("asn_registry") or "") != "apnic":
        return None
    return NIR_BY_COUNTRY.get(str(asn_data.get("asn_country_code") or "").upper())


def mirror_pairs(base_url: str) -> list[tuple[str, str]]:
    """(gateway URL prefix, mirror prefix): ``{base}/jpnic/whois_gw?...``, ``{base}/krnic/whois.jsc``."""
    base = base_url.rstrip("/")
    pairs = []
    for nir, cfg in NIR_WHOIS.items():
        url = str(cfg["url"])
        cut = url.split("?")[0].rsplit("/", 1)[0] + "/"
        pairs.append((cut, f"{base}/{nir}/"))
    return pairs


def refine(net: Net, ip: str, info: NetworkInfo, nir: str, limiter: RegistryLimiter) -> NetworkInfo:
    """``info`` with the national registry's network, name and contacts where it has them."""
    try:
        limiter.acquire(nir)
        data = NIRWhois(net).lookup(nir=nir, retry_count=0)
    except (ipw.HTTPLookupError, RegistryCoolingDown) as exc:
        log.info("%s lookup of %s failed, keeping the APNIC answer: %s", nir, ip, exc)
        return replace(info, raw={**info.raw, "nir": {"registry": nir, "error": str(exc)}})
    return merge(ip, info, nir, data)


def merge(ip: str, info: NetworkInfo, nir: str, data: dict[str, Any]) -> NetworkInfo:
    """Fold a parsed NIRWhois answer into the RIR's (pure: tested on recorded answers)."""
    addr = ipaddress.ip_address(ip)
    best: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, dict[str, Any]] | None = None
    for entry in data.get("nets") or []:
        for part in str(entry.get("cidr") or "").split(","):
            try:
                cidr = ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                continue
            if (
                cidr.version == addr.version
                and addr in cidr
                and (best is None or cidr.prefixlen >= best[0].prefixlen)
            ):
                best = (cidr, entry)
    if best is None:
        return replace(
            info, raw={**info.raw, "nir": {"registry": nir, "error": "no network containing the address"}}
        )
    cidr, entry = best
    contacts = nir_contacts(entry.get("contacts") or {})
    handle, org = entry.get("handle"), entry.get("name")
    name = f"{handle} ({org})" if handle and org and handle != org else (handle or org or info.name)
    rir_network = ipaddress.ip_network(info.network)
    more_specific = cidr.prefixlen >= rir_network.prefixlen
    return replace(
        info,
        network=cidr.compressed if more_specific else info.network,
        name=name,
        country=entry.get("country") or info.country,
        abuse_contacts=contacts or info.abuse_contacts,
        raw={
            **info.raw,
            "rir_abuse_contacts": list(info.abuse_contacts),
            "nir": {
                "registry": nir,
                "cidr": cidr.compressed,
                "handle": handle,
                "organization": org,
                "contacts": list(contacts),
            },
        },
    )


def nir_contacts(contacts: dict[str, Any]) -> tuple[str, ...]:
    """Technical, then administrative contact addresses (E-Mail, then Reply Mail)."""
    found: list[str] = []
    for role in CONTACT_ORDER:
        contact = contacts.get(role)
        if not isinstance(contact, dict):
            continue
        for key in ("email", "reply_email"):
            for value in str(contact.get(key) or "").split():
                value = value.strip().strip("<>,;").lower()
                if "@" in value and value not in found:
                    found.append(value)
    return tuple(found[:MAX_CONTACTS])
