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


def template_env() -> Environment:
    # Autoescape everything (.html and .svg alike); no template is ever built from input.
    return Environment(
        loader=FileSystemLoader(str(WEB_TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass
class WebContext:
    settings: Settings
    db: Database
    env: Environment
    throttle: LoginThrottle
