"""`abusebox serve [--host H] [--port P]`: the web UI, API and metrics alone (no polling)."""

from __future__ import annotations

import argparse

from abusebox.cli.common import open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="serve the web UI and the JSON API")
    p.add_argument("--host", help="address to listen on (default: [web] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: [web] port, 8080)")
    p.set_defaults(func=cmd_serve, long_running=True)


def cmd_serve(args: argparse.Namespace) -> int:
    from abusebox.web.server import serve

    serve(args.settings, open_db(args.settings), args.host, args.port)
    return 0
