"""What the tests need from outside the repository: service binaries and the shared corpus.

A missing one skips the tests that need it on a developer's machine; under ``CI=true`` it
fails them instead, so that a CI run never passes with part of the suite left out.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest
from paths import CORPUS


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the running test (or fixture) because ``reason``; fail it under CI."""
    if under_ci():
        pytest.fail(f"{reason} (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(f"{reason}: SKIPPED")


def binary(name: str, *fallbacks: str, package: str) -> str:
    """The path of the program ``name`` (on PATH or at a fallback path), else unavailable."""
    found = shutil.which(name) or next((f for f in fallbacks if Path(f).is_file()), None)
    if found is None:
        unavailable(f"{name} not installed (Debian package {package})")
    return found


def corpus_dir() -> Path:
    """The shared sample corpus (see paths.CORPUS)."""
    if not CORPUS.is_dir():
        unavailable(f"shared corpus not found at {CORPUS}")
    return CORPUS


def corpus_file(rel: str) -> Path:
    """One sample of the shared corpus; a missing sample is like a missing corpus."""
    path = corpus_dir() / rel
    if not path.is_file():
        unavailable(f"corpus sample {path} not found")
    return path
