"""RDAP/whois lookups with ipwhois: ASN step, then the registry's RDAP answer.

ipwhois's ``lookup_rdap`` is its ASN lookup followed by ``RDAP.lookup``; we make the two
calls ourselves so the per-registry pacing sits between them (the registry is only
known after the ASN step). ipwhois parses everything; we only pick the fields we keep.

``rdap_base_url`` points every RIR RDAP URL (and the ARIN REST and bootstrap URLs) at
one mirror: ``{base}/{rir}/ip/{addr}`` and ``{base}/{rir}/entity/{handle}``. It goes
through ipwhois's documented ``proxy_opener`` hook, so ipwhois's own HTTP and parsing
code runs unchanged. ``asn_dns_server`` does the same for the Team Cymru DNS step.

For Japanese and Korean space the national registry (JPNIC, KRNIC) is asked next, as
ipwhois's own ``lookup_rdap`` does: see ``abusebox.enrich.nir``.

ipwhois is told never to retry or sleep (``retry_count=0``, ``rate_limit_timeout=0``):
a lookup is one attempt, and the queue owns retries and backoff.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from typing import Any
from urllib.request import BaseHandler, OpenerDirector, ProxyHandler, Request, build_opener

from ipwhois import exceptions as ipw
from ipwhois import net as ipw_net
from ipwhois import rdap as ipw_rdap
from ipwhois.asn import IPASN
from ipwhois.net import Net
from ipwhois.rdap import RDAP

from abusebox.core.config import EnrichmentSettings
from abusebox.core.errors import PermanentError, TransientError
from abusebox.enrich import nir as nir_step
from abusebox.enrich.ratelimit import RegistryLimiter
from abusebox.store.enrichment import NetworkInfo

log = logging.getLogger(__name__)

MAX_CONTACTS = 10


class LookupFailed(TransientError):
    """The lookup did not complete (timeout, HTTP error, no ASN data): retry later."""

    def __init__(self, message: str, registry: str | None = None) -> None:
        super().__init__(message)
        self.registry = registry


class RateLimited(LookupFailed):
    """The registry answered 429 or a rate-limit notice."""


class NotRoutable(PermanentError):
    """A reserved, private or otherwise defined address: no registry knows it."""


def mirror_map(base_url: str) -> list[tuple[str, str]]:
    """(original URL prefix, mirror prefix) pairs for every URL ipwhois may query."""
    base = base_url.rstrip("/")
    pairs: list[tuple[str, str]] = []
    for rir, urls in ipw_rdap.RIR_RDAP.items():
        prefix = str(urls["ip_url"]).split("ip/{0}")[0]
        pairs.append((prefix, f"{base}/{rir}/"))
    pairs.append((ipw_rdap.BOOTSTRAP_URL.rstrip("/") + "/", f"{base}/bootstrap/"))
    pairs.append((str(ipw_net.ARIN).split("nets;")[0], f"{base}/arin-rest/"))
    pairs.extend(nir_step.mirror_pairs(base_url))
    return pairs


class _MirrorHandler(BaseHandler):
    """Rewrite registry URLs to the configured mirror before urllib opens them."""

    handler_order = 100  # before the HTTP(S) handlers see the request

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def _rewrite(self, req: Request) -> Request:
        url = req.full_url
        for original, mirror in self._pairs:
            if url.startswith(original):
                req.full_url = mirror + url[len(original) :]
                break
        return req

    http_request = _rewrite
    https_request = _rewrite


class RdapClient:
    """One lookup per call; raises LookupFailed / RateLimited / NotRoutable."""

    def __init__(self, settings: EnrichmentSettings, limiter: RegistryLimiter) -> None:
        self._settings = settings
        self._limiter = limiter
        self._opener: OpenerDirector | None = None
        if settings.rdap_base_url:
            self._opener = build_opener(ProxyHandler({}), _MirrorHandler(mirror_map(settings.rdap_base_url)))
        self._dns: tuple[str, int] | None = None
        if settings.asn_dns_server:
            host, _, port = settings.asn_dns_server.rpartition(":")
            self._dns = (host.strip("[]") or "127.0.0.1", int(port or 53))

    def lookup(self, ip: str) -> NetworkInfo:
        try:
            net = Net(ip, timeout=self._settings.timeout_seconds, proxy_opener=self._opener)
        except ipw.IPDefinedError as exc:
            raise NotRoutable(str(exc)) from None
        if self._dns is not None:
            net.dns_resolver.nameservers = [self._dns[0]]
            net.dns_resolver.port = self._dns[1]
        try:
            asn_data = IPASN(net).lookup(
                retry_count=0, asn_methods=list(self._settings.asn_methods), get_asn_description=False
            )
        except (ipw.ASNRegistryError, ipw.ASNLookupError, ipw.ASNParseError) as exc:
            raise LookupFailed(f"ASN lookup failed: {exc}") from None
        registry = str(asn_data.get("asn_registry") or "")
        if registry not in ipw_rdap.RIR_RDAP:
            raise LookupFailed(f"unknown registry {registry!r} for {ip}")
        self._limiter.acquire(registry)
        try:
            result = RDAP(net).lookup(
                retry_count=0,
                asn_data=asn_data,
                depth=self._settings.rdap_depth,
                rate_limit_timeout=0,
            )
        except ipw.HTTPRateLimitError as exc:
            self._limiter.rate_limited(registry)
            raise RateLimited(f"{registry}: {exc}", registry) from None
        except (ipw.HTTPLookupError, ipw.InvalidNetworkObject, ipw.InvalidEntityObject) as exc:
            raise LookupFailed(f"{registry}: {exc}", registry) from None
        info = to_network_info(ip, registry, asn_data, result)
        nir = nir_step.nir_for(asn_data)
        if nir is not None:
            info = nir_step.refine(net, ip, info, nir, self._limiter)
        return info


def to_network_info(ip: str, registry: str, asn_data: dict[str, Any], result: dict[str, Any]) -> NetworkInfo:
    """Pick our fields out of ipwhois's parsed answer."""
    network = result.get("network") or {}
    addr = ipaddress.ip_address(ip)
    return NetworkInfo(
        network=_containing_cidr(addr, network.get("cidr"), asn_data.get("asn_cidr")),
        rir=registry,
        asn=_first_asn(asn_data.get("asn")),
        asn_cidr=_valid_cidr(asn_data.get("asn_cidr")),
        country=(network.get("country") or asn_data.get("asn_country_code") or None),
        name=network.get("name") or None,
        abuse_contacts=abuse_contacts(result.get("objects") or {}),
        raw=_jsonable(
            {
                "asn": asn_data,
                "network": {k: network.get(k) for k in ("handle", "name", "cidr", "country", "type")},
                "entities": result.get("entities"),
            }
        ),
    )


def abuse_contacts(objects: dict[str, Any]) -> tuple[str, ...]:
    """E-mail addresses of the entities with the `abuse` role, else the `technical` ones."""
    for role in ("abuse", "technical"):
        found: list[str] = []
        for obj in objects.values():
            if not isinstance(obj, dict) or role not in (obj.get("roles") or []):
                continue
            contact = obj.get("contact") or {}
            for email in contact.get("email") or []:
                value = str(email.get("value") or "").strip().lower()
                if "@" in value and value not in found:
                    found.append(value)
        if found:
            return tuple(found[:MAX_CONTACTS])
    return ()


def _first_asn(value: object) -> int | None:
    match = re.search(r"\d+", str(value or ""))
    return int(match.group()) if match else None


def _valid_cidr(value: object) -> str | None:
    try:
        return ipaddress.ip_network(str(value), strict=False).compressed
    except ValueError:
        return None


def _containing_cidr(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, *candidates: object) -> str:
    """The most specific given CIDR that contains the address, else the address itself."""
    nets = []
    for candidate in candidates:
        for part in str(candidate or "").split(","):
            try:
                net = ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                continue
            if net.version == addr.version and addr in net:
                nets.append(net)
    if nets:
        return max(nets, key=lambda n: n.prefixlen).compressed
    return ipaddress.ip_network(addr).compressed


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(data, default=str)))
