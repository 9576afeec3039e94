"""What every request handler needs: settings, database, templates, the login throttle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from abusebox.core.config import Settings
from abusebox.core.resources import MAIL_TEMPLATES_DIR
from abusebox.store.db import Database
from abusebox.web.throttle import LoginThrottle

WEB_TEMPLATES_DIR: Path = MAIL_TEMPLATES_DIR.parent / "web"
STATIC_DIR = Path(__file__).parent / "static"


def duration(seconds: float | None) -> str:
    """``95`` -> ``1m 35s``, ``7384`` -> ``2h 03m``, ``None`` -> ``-``."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


def template_env() -> Environment:
    # Autoescape everything (.html and .svg alike); no template is ever built from input.
    env = Environment(
        loader=FileSystemLoader(str(WEB_TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    return env


@dataclass
class WebContext:
    settings: Settings
    db: Database
    env: Environment
    throttle: LoginThrottle
