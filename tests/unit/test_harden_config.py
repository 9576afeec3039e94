"""Config files that are wrong in hostile ways: one line naming the file and key, never a hang.

A number that disables a limit (nan), overflows (inf, 1e20), or quarantines everything
(a zero timeout) is refused when the config loads; the file itself must be a regular
file of bounded size in UTF-8: not a device, a FIFO, a directory or a TOML bomb.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from abusebox.cli import main
from abusebox.core.config import ConfigError
from abusebox.core.config_file import MAX_CONFIG_BYTES, load_settings


def config(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "abusebox.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("message_timeout_seconds = nan", "must be a finite number, not nan"),
        ("message_timeout_seconds = inf", "must be a finite number, not inf"),
        ("message_timeout_seconds = -inf", "must be a finite number"),
        ("message_timeout_seconds = 1e300", "must be a finite number"),
        ("message_timeout_seconds = 0", "must be between 0.1 and 86400"),
        ("worker_memory_mb = 100000000000000000000", "out of range"),
        ("worker_memory_mb = 1000000000", "must be between 0 and"),
        ("max_parts = 0", "must be between 1 and"),
        ("max_message_bytes = 0", "must be between 1 and"),
    ],
)
def test_numbers_that_disable_or_break_a_limit_are_refused(
    tmp_path: Path, setting: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(config(tmp_path, f"[limits]\n{setting}\n"))
    key = setting.split(" =")[0]
    assert f"abusebox.toml: limits.{key}: " in str(info.value) and message in str(info.value)


def test_a_sane_limit_still_loads(tmp_path: Path) -> None:
    settings = load_settings(
        config(tmp_path, "[limits]\nmessage_timeout_seconds = 30\nworker_memory_mb = 0\n")
    )
    assert settings.limits.message_timeout_seconds == 30.0 and settings.limits.worker_memory_mb == 0


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(fifo)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: Path("/dev/zero"), "not a regular file"),
        (lambda tmp: tmp, "a directory"),
        (lambda tmp: config(tmp, b"\xff\xfe[limits]\n"), "not UTF-8 text"),
        (lambda tmp: config(tmp, "a = " + "[" * 50_000 + "]" * 50_000 + "\n"), "nested too deeply"),
        (lambda tmp: config(tmp, "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1)), "larger than"),
    ],
)
def test_files_that_are_not_config_files_are_one_line_errors(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message):
        load_settings(make(tmp_path))


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, "[limits]\nmessage_timeout_seconds = nan\n")
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "message_timeout_seconds" in err and "Traceback" not in err
    assert main(["--config", "/dev/zero", "status"]) == 2
    assert "not a regular file" in capsys.readouterr().err
