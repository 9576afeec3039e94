"""Serving the app with uvicorn: alone (`abusebox serve`) or beside the worker (`abusebox run`)."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from abusebox.core.config import Settings
from abusebox.store.db import Database
from abusebox.web.app import create_app

log = logging.getLogger(__name__)


def _config(settings: Settings, db: Database, host: str | None, port: int | None) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, db),
        host=host or settings.web.host,
        port=port if port is not None else settings.web.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.web.forwarded_allow_ips,
        server_header=False,
        log_level="warning",
        access_log=False,
    )


def serve(settings: Settings, db: Database, host: str | None = None, port: int | None = None) -> None:
    config = _config(settings, db, host, port)
    log.warning("web UI on http://%s:%s/", config.host, config.port)
    uvicorn.Server(config).run()


class BackgroundServer:
    """The web server in a thread of the worker process; stopped with the worker."""

    def __init__(
        self, settings: Settings, db: Database, host: str | None = None, port: int | None = None
    ) -> None:
        self.server = uvicorn.Server(_config(settings, db, host, port))
        self.thread = threading.Thread(target=self.server.run, name="abusebox-web", daemon=True)

    def start(self) -> None:
        log.warning("web UI on http://%s:%s/", self.server.config.host, self.server.config.port)
        self.thread.start()

    def wait_started(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.server.started and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.05)
        return bool(self.server.started)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
