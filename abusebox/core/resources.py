"""Where the files shipped beside the code are: Alembic migrations, templates, the starter config.

Their one source is the top-level migrations/, templates/ and config.example.toml of the
source tree. abusebox/data/ holds symlinks to them: an editable install reads them in place,
and setuptools follows the links when it builds a wheel, so an installed abusebox carries
copies. Everything else finds them here, never through a path relative to a module.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _data_root() -> Path:
    root = files("abusebox") / "data"
    if not isinstance(root, Path):
        # Alembic and Jinja2's FileSystemLoader read real folders, not a zip archive.
        raise RuntimeError(f"abusebox is installed as an archive ({root}): install it unpacked on disk")
    return root


_DATA = _data_root()
MIGRATIONS_DIR = _DATA / "migrations"
MAIL_TEMPLATES_DIR = _DATA / "templates" / "mail"
EXAMPLE_CONFIG = _DATA / "config.example.toml"
