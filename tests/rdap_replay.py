"""A local RDAP registry and Team Cymru DNS responder replaying recorded answers.

The recorded RIR answers (ipwhois's own test data, in the shared corpus) are served in
place: ``/{rir}/ip/{addr}`` and ``/{rir}/entity/{handle}`` over HTTP, and the origin
TXT records over UDP DNS, so ipwhois's real network and parsing code runs end to end.
``behaviour[ip]`` makes one address answer 429 or too slowly.

The national registries (recorded JPNIC and KRNIC whois gateway pages, also ipwhois's
test data) are served at ``/jpnic/whois_gw?key=...`` (GET) and ``/krnic/whois.jsc``
(POST ``query=``). Their recordings hold no ASN step, no APNIC answer and (for JPNIC) no
contact page, so ``SYNTHETIC`` supplies those, built here by hand in the registries'
formats and marked as such; every NIR page the tests parse is the recorded one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dns.message
import dns.rrset
from ipwhois.net import Net


@dataclass
class Replay:
    base_url: str
    dns_server: str
    behaviour: dict[str, str] = field(
        default_factory=dict
    )  # ip or "jpnic"/"krnic" -> "429" | "slow" | "down"
    requests: list[str] = field(default_factory=list)
    slow_seconds: float = 2.0


def _apnic_answer(ip: str, cidr: str, irt: str, email: str) -> dict[str, Any]:
    """A minimal APNIC RDAP ip answer naming the national registry (hand-built)."""
    start, _, _ = cidr.partition("/")
    return {
        "rdapConformance": ["rdap_level_0"],
        "objectClassName": "ip network",
        "handle": f"{start} - NIR",
        "startAddress": start,
        "endAddress": start,
        "ipVersion": "v4",
        "name": f"{irt}-NET",
        "type": "ALLOCATED PORTABLE",
        "country": irt[-2:],
        "cidr0_cidrs": [{"v4prefix": start, "length": int(cidr.split("/")[1])}],
        "entities": [
            {
                "objectClassName": "entity",
                "handle": f"IRT-{irt}",
                "roles": ["abuse"],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["email", {}, "text", email]]],
            }
        ],
    }


# Hand-built (not recorded): the ASN step and APNIC answer for the two NIR recordings,
# and a JPNIC contact page in the gateway's format (documentation-style addresses).
SYNTHETIC: dict[str, Any] = {
    "asn": {
        "133.1.2.5": ("4730", "133.0.0.0/8", "JP", "apnic", "1997-03-01"),
        "115.1.2.3": ("4766", "115.0.0.0/12", "KR", "apnic", "2008-07-03"),
    },
    "rdap": {
        "133.1.2.5": _apnic_answer("133.1.2.5", "133.0.0.0/8", "JPNIC-JP", "hostmaster@nic.ad.jp"),
        "115.1.2.3": _apnic_answer("115.1.2.3", "115.0.0.0/12", "KRNIC-KR", "hostmaster@nic.or.kr"),
    },
    "jpnic_contacts": {
        "MY22537JP": (
            "<HTML><BODY><PRE>\nContact Information: [担当者情報]\n"
            "a. [JPNICハンドル]             MY22537JP\n"
            "c. [Last, First]               Yamada, Taro\n"
            "d. [E-Mail]                    noc@osaka-u.example.jp\n"
            "g. [Organization]              Osaka University\n"
            "[Reply Mail]                   abuse@osaka-u.example.jp\n"
            "[Last Update]                  2015/01/14 11:50:03(JST)\n</PRE></BODY></HTML>\n"
        )
    },
}


def _entities(node: dict[str, Any], index: dict[str, dict[str, Any]]) -> None:
    for ent in node.get("entities") or []:
        if isinstance(ent, dict) and ent.get("handle"):
            index.setdefault(ent["handle"], ent)
            _entities(ent, index)


def load_nir(corpus: Path) -> dict[str, dict[str, str]]:
    """nir -> {queried ip: recorded gateway page}."""
    out: dict[str, dict[str, str]] = {"jpnic": {}, "krnic": {}}
    for nir in out:
        recorded = json.loads((corpus / "rdap" / f"ipwhois-tests-{nir}.json").read_text())
        out[nir] = {ip: item["response"] for ip, item in recorded.items()}
    return out


def load(corpus: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    rdap = json.loads((corpus / "rdap" / "ipwhois-tests-rdap.json").read_text())
    fields = ("asn", "asn_cidr", "asn_country_code", "asn_registry", "asn_date")
    for ip, answer in SYNTHETIC["rdap"].items():
        rdap[ip] = {"response": answer, "asn_data": dict(zip(fields, SYNTHETIC["asn"][ip], strict=True))}
    entities: dict[str, dict[str, Any]] = {}
    entity_file = corpus / "rdap" / "ipwhois-tests-entity.json"
    if entity_file.exists():
        ent = json.loads(entity_file.read_text())
        entities[ent["handle"]] = ent
    for item in rdap.values():
        _entities(item["response"], entities)
    return rdap, entities


@contextmanager
def serve(corpus: Path) -> Iterator[Replay]:
    rdap, entities = load(corpus)
    nir_pages = load_nir(corpus)
    zones = {Net(ip).dns_zone.rstrip(".").lower(): ip for ip in rdap}
    state = Replay("", "")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # silence test output
            return

        def _send(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_html(self, code: int, page: str) -> None:
            data = page.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _nir(self, nir: str, key: str) -> None:
            mode = state.behaviour.get(nir)
            if mode == "down":
                self._send_html(503, "<html>maintenance</html>")
                return
            if mode == "slow":
                time.sleep(state.slow_seconds)
            page = nir_pages[nir].get(key) or SYNTHETIC["jpnic_contacts"].get(key)
            if page is None:
                self._send_html(404, "<html>No match!!</html>")
                return
            self._send_html(200, page)

        def do_POST(self) -> None:
            state.requests.append("POST " + self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
            if self.path.startswith("/krnic/"):
                self._nir("krnic", (form.get("query") or [""])[0])
                return
            self._send(404, {"errorCode": 404, "title": "Not Found"})

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path.startswith("/jpnic/"):
                self._nir("jpnic", (parse_qs(urlsplit(self.path).query).get("key") or [""])[0])
                return
            parts = [unquote(p) for p in self.path.strip("/").split("/")]
            if len(parts) == 3 and parts[1] == "ip" and parts[2] in rdap:
                ip = parts[2]
                mode = state.behaviour.get(ip)
                if mode == "429":
                    self._send(429, {"errorCode": 429, "title": "Too Many Requests"})
                    return
                if mode == "slow":
                    time.sleep(state.slow_seconds)
                self._send(200, rdap[ip]["response"])
                return
            if len(parts) == 3 and parts[1] == "entity" and parts[2] in entities:
                self._send(200, entities[parts[2]])
                return
            self._send(404, {"errorCode": 404, "title": "Not Found"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def dns_loop() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            name = query.question[0].name
            ip = zones.get(name.to_text().rstrip(".").lower())
            if ip is not None:
                a = rdap[ip]["asn_data"]
                fields = (a["asn"], a["asn_cidr"], a["asn_country_code"], a["asn_registry"], a["asn_date"])
                txt = '"' + " | ".join(fields) + '"'
                response.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", txt))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), addr)

    threads = [
        threading.Thread(target=httpd.serve_forever, daemon=True),
        threading.Thread(target=dns_loop, daemon=True),
    ]
    for t in threads:
        t.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    state.dns_server = f"127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield state
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        threads[1].join(timeout=2)
        sock.close()
