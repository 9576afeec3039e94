"""`abusebox parse --json` prints, byte for byte, the pinned output for every pinned mail.

The pins cover the shared corpus, the field trials and the example inbox (tests/pin_parse.py
lists them). Work meant to leave results alone (speed) must keep them; work meant to change
results regenerates them and the pin diff is reviewed with it:

    .venv/bin/python tests/pin_parse.py --update

Signed samples run the real gpg binary, hence an integration test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pin_parse import PINS, outputs, pin_path, samples
from services import binary, corpus_dir


@pytest.fixture(scope="module")
def current() -> dict[str, str]:
    binary("gpg", package="gnupg")
    corpus_dir()  # the corpus pins need the corpus
    return outputs()


def test_every_mail_has_a_pin_and_every_pin_a_mail(current: dict[str, str]) -> None:
    pinned = {p.relative_to(PINS).as_posix().removesuffix(".json") for p in PINS.rglob("*.json")}
    assert sorted(current) == sorted(pinned), "run: .venv/bin/python tests/pin_parse.py --update"
    assert len(pinned) > 150
    assert sum(name.startswith("corpus/") for name in pinned) > 40


def test_the_output_is_the_pinned_output(current: dict[str, str]) -> None:
    changed = [name for name, text in current.items() if pin_path(name).read_text(encoding="utf-8") != text]
    assert not changed, f"parse --json output changed for {len(changed)} mails: {changed[:10]}"


def test_the_pins_render_what_the_command_prints(tmp_path: Path) -> None:
    """The pins are what `abusebox parse --json FILE` prints, not a look-alike."""
    chosen = {"fieldtrial/jpcert_clearsigned_phishing.eml", "examples/07-shadowserver-telnet"}
    by_name = {name: raw for name, raw in samples() if name in chosen}
    assert sorted(by_name) == sorted(chosen)
    for name, raw in by_name.items():
        path = tmp_path / "mail.eml"
        path.write_bytes(raw)
        printed = subprocess.run(
            [sys.executable, "-m", "abusebox", "parse", "--json", str(path)],
            capture_output=True,
            check=True,
            cwd=tmp_path,  # its default keyring (var/gnupg) is then new and empty
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        ).stdout.decode("utf-8")
        assert printed == pin_path(name).read_text(encoding="utf-8"), name


def test_a_changed_result_is_caught(current: dict[str, str]) -> None:
    """The comparison sees a one-character difference (it is not vacuous)."""
    name = "examples/07-shadowserver-telnet"
    assert current[name] == pin_path(name).read_text(encoding="utf-8")
    assert current[name].replace('"report"', '"spam"', 1) != pin_path(name).read_text(encoding="utf-8")
