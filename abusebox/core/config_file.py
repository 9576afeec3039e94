"""Finding, reading and loading the config file, and reading the secrets it names.

The file is read defensively (a regular file of bounded size, checked on the open
descriptor) and built into Settings (core/config.py) by settings_loader, which names
the file and key in every error.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

from abusebox.core.config import Settings
from abusebox.core.settings_loader import ConfigError, build

DEFAULT_CONFIG_NAME = "abusebox.toml"
CONFIG_ENV = "ABUSEBOX_CONFIG"


def load_settings(path: str | Path) -> Settings:
    """Read and validate a config file; raise ConfigError naming file and key."""
    p = Path(path)
    raw = _read_config(p)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{p}: not valid TOML: nested too deeply") from None
    if "path" in data:  # reserved: where the settings came from
        raise ConfigError(f"{p.name}: path: unknown key")
    data["path"] = str(p)
    return build(Settings, data, file=p.name)


MAX_CONFIG_BYTES = 1024 * 1024


def _read_config(p: Path) -> bytes:
    """The bytes of a config file: a regular file of bounded size, never a device or FIFO.

    Opened without blocking (a FIFO would wait for a writer forever) and checked on the
    open descriptor, so what is read is what was checked.
    """
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file (run `abusebox init` to write one)") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ConfigError(f"{p}: {kind}, not a config file")
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{p}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config file")
    return raw


def find_config(explicit: str | None) -> Path | None:
    """The config to use: --config, else ./abusebox.toml, else $ABUSEBOX_CONFIG."""
    if explicit:
        return Path(explicit)
    local = Path(DEFAULT_CONFIG_NAME)
    if local.exists():
        return local
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return None


def secret(env_name: str | None, what: str) -> str | None:
    """Read a secret from the environment variable the config names."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(f"{what}: environment variable {env_name} is not set")
    return value


__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG_NAME", "MAX_CONFIG_BYTES", "find_config", "load_settings", "secret"]
