"""The one Jinja2 environment for outgoing mail: sandboxed, plain text, strict about names.

Reporter text (a subject, an evidence line) is only ever a variable of these templates,
never template source; the sandbox keeps a template from reaching Python internals.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from abusebox.core.choices import MAIL_LANGUAGES
from abusebox.core.resources import MAIL_TEMPLATES_DIR

LANGUAGES = MAIL_LANGUAGES


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(MAIL_TEMPLATES_DIR),
        autoescape=False,  # plain-text mail: HTML escaping would only garble it
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language_of(wanted: str | None, fallback: str) -> str:
    for candidate in (wanted, fallback):
        if candidate in LANGUAGES:
            return candidate
    return "en"


def render(name: str, language: str, context: dict[str, Any]) -> str:
    """Render ``templates/mail/<name>.<language>.txt``."""
    return environment().get_template(f"{name}.{language}.txt").render(context)
