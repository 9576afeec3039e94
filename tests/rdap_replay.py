"""A local RDAP registry and Team Cymru DNS responder replaying recorded answers.

The recorded RIR answers (ipwhois's own test data, in the shared corpus) are served in
place: ``/{rir}/ip/{addr}`` and ``/{rir}/entity/{handle}`` over HTTP, and the origin
TXT records over UDP DNS, so ipwhois's real network and parsing code runs end to end.
``behaviour[ip]`` makes one address answer 429 or too slowly.
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
from urllib.parse import unquote

import dns.message
import dns.rrset
from ipwhois.net import Net


@dataclass
class Replay:
    base_url: str
    dns_server: str
    behaviour: dict[str, str] = field(default_factory=dict)  # ip -> "429" | "slow"
    requests: list[str] = field(default_factory=list)
    slow_seconds: float = 2.0


def _entities(node: dict[str, Any], index: dict[str, dict[str, Any]]) -> None:
    for ent in node.get("entities") or []:
        if isinstance(ent, dict) and ent.get("handle"):
            index.setdefault(ent["handle"], ent)
            _entities(ent, index)


def load(corpus: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    rdap = json.loads((corpus / "rdap" / "ipwhois-tests-rdap.json").read_text())
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

        def do_GET(self) -> None:
            state.requests.append(self.path)
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
