"""IODEF (RFC 5070 v1, RFC 7970 v2) XML attachments: Flow/System source and target nodes.

Each ``EventData`` (or the ``Incident`` itself) may carry a ``DetectTime``; a System
with ``category="source"`` is an offender, ``"target"`` a victim, whose ``Service/Port``
is the attacked port. Namespaces are ignored (v1 and v2 differ only there for what we
read). Parsed with defusedxml: entity expansion and external entities are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from abusebox.core.models import Extraction, Observation, ParsedMessage
from abusebox.core.reasons import Reason
from abusebox.extract.categories import category_from_text
from abusebox.extract.formats import register
from abusebox.extract.formats.context import FormatContext
from abusebox.extract.formats.values import evidence, field_ip, field_port, field_time

MAX_XML = 2_000_000


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(node: Element, name: str) -> Iterator[Element]:
    return (child for child in node if _local(child.tag) == name)


def _find_all(node: Element, name: str) -> Iterator[Element]:
    return (el for el in node.iter() if _local(el.tag) == name)


def _first_text(node: Element, name: str) -> str | None:
    for el in _find_all(node, name):
        if el.text and el.text.strip():
            return el.text.strip()
    return None


def _own_time(node: Element) -> str | None:
    for child in _children(node, "DetectTime"):
        if child.text and child.text.strip():
            return child.text.strip()
    return None


def load_iodef(text: str) -> Element | None:
    if "IODEF-Document" not in text[:4000] or len(text) > MAX_XML:
        return None
    try:
        root = SafeET.fromstring(text.strip().encode("utf-8"))
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        return None
    return root if _local(root.tag) == "IODEF-Document" else None


def _incident_category(incident: Element, context: str) -> str | None:
    words = [_first_text(incident, "Description") or ""]
    for impact in (*_find_all(incident, "Impact"), *_find_all(incident, "SystemImpact")):
        kind = impact.get("type", "")
        if kind and kind not in ("unknown", "ext-value"):
            words.append(
                {"recon": "port scan", "dos": "denial of service", "admin": "intrusion"}.get(kind, kind)
            )
    return category_from_text(" ".join(words)) or category_from_text(context)


def _systems(flow: Element, category: str) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for system in _children(flow, "System"):
        if system.get("category") != category:
            continue
        port = None
        for service in _find_all(system, "Service"):
            port = field_port(_first_text(service, "Port"))
        for address in _find_all(system, "Address"):
            ip = field_ip(address.text or "")
            if ip is not None:
                out.append((ip, port))
    return out


def read_iodef(root: Element, extraction: Extraction, context: str, label: str) -> int:
    found = 0
    targets: dict[str, None] = dict.fromkeys(extraction.targets)
    for incident in _find_all(root, "Incident"):
        category = _incident_category(incident, context)
        extraction.category = extraction.category or category
        incident_time = _own_time(incident)
        events = list(_find_all(incident, "EventData")) or [incident]
        for event in events:
            stamp = _own_time(event) or incident_time
            for flow in _find_all(event, "Flow"):
                victims = _systems(flow, "target")
                attacked = next((port for _ip, port in victims if port is not None), None)
                for ip, _port in victims:
                    if "/" not in ip:
                        targets[ip] = None
                for ip, _own_port in _systems(flow, "source"):
                    if "/" in ip:
                        extraction.context.append(ip)
                        continue
                    extraction.observations.append(
                        Observation(
                            ip,
                            field_time(stamp),
                            category,
                            attacked,
                            evidence(f"IODEF System category=source {ip} DetectTime {stamp or '-'}"),
                            time_original=stamp,
                            reason=f"iodef {label}",
                        )
                    )
                    found += 1
    extraction.targets = list(targets)
    return found


@register(order=35)
class IodefParser:
    name = "iodef"

    def parse(self, parsed: ParsedMessage, ctx: FormatContext) -> Extraction | None:
        extraction = Extraction(format=self.name)
        context = parsed.subject + "\n" + parsed.body_text[:20_000]
        matched = False
        for data in ctx.files(parsed):
            root = load_iodef(data.text)
            if root is None:
                continue
            if read_iodef(root, extraction, context, data.name):
                matched = True
            else:
                extraction.reasons.append(
                    Reason("extract", self.name, None, f"iodef {data.name}: no source system found")
                )
        return extraction if matched else None
