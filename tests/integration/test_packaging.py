"""A wheel built from a clean copy of the checkout, installed non-editable, works on its own.

The migrations, templates and starter config must come from the installed package
(abusebox/core/resources.py), not from a checkout next to it: the test builds the wheel
from the checkout's files (tracked and new, symlinks kept), installs it without its
dependencies into a fresh venv that borrows them from the running environment, then runs
`abusebox init`, `abusebox ingest` and `abusebox draft` in an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from paths import EXAMPLES, REPO
from services import binary

pytestmark = pytest.mark.slow

# What ingesting examples/inbox into an empty database reports (more counts may follow).
SUMMARY = "read 13, new 13, duplicate 0, quarantined 0"


def run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def clean_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored), symlinks kept."""
    git = binary("git", package="git")
    listed = run(git, "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for rel in sorted(set(filter(None, listed.split("\0")))):
        src, dst = REPO / rel, target / rel
        if not src.is_symlink() and not src.exists():  # deleted in the working tree
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = clean_copy(tmp_path_factory.mktemp("source"))
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source, cwd=source)
    [built] = dist.glob("abusebox-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; the dependencies come from this environment via a .pth file."""
    root = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root)
    python = root / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(run(python, "-c", where, cwd=root).strip())
    ours = sysconfig.get_paths()
    (purelib / "abusebox-test-deps.pth").write_text(f"{ours['purelib']}\n{ours['platlib']}\n")
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "-q", "--no-deps", "--no-index", wheel, cwd=root)
    return root


def installed_env() -> dict[str, str]:
    """This environment without what could point the installed tool at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ABUSEBOX_CONFIG")}


def test_the_wheel_carries_the_files_beside_the_code(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"abusebox", "abusebox-0.1.0.dist-info"}
    for shipped in (
        "abusebox/data/config.example.toml",
        "abusebox/data/migrations/env.py",
        "abusebox/data/migrations/script.py.mako",
        "abusebox/data/migrations/versions/0001_initial_schema.py",
        "abusebox/data/templates/mail/notify.ja.txt",
        "abusebox/py.typed",
    ):
        assert shipped in names
    assert not [n for n in names if "__pycache__" in n]


def test_installed_abusebox_inits_ingests_and_drafts_in_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    env = installed_env()
    where = run(
        venv / "bin" / "python",
        "-c",
        "import abusebox.core.resources as r; print(r.__file__); print(r.MIGRATIONS_DIR.resolve())",
        cwd=tmp_path,
        env=env,
    ).splitlines()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # not the checkout's copy

    abusebox = venv / "bin" / "abusebox"
    out = run(abusebox, "init", cwd=tmp_path, env=env)
    assert "abusebox.toml: written" in out
    assert "schema at" in out
    starter = (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert (tmp_path / "abusebox.toml").read_text(encoding="utf-8") == starter

    lines = run(abusebox, "ingest", EXAMPLES, cwd=tmp_path, env=env).splitlines()
    assert any(line == SUMMARY or line.startswith(SUMMARY + ",") for line in lines), lines

    draft = run(abusebox, "draft", "1", cwd=tmp_path, env=env)
    assert "Subject: [abusebox #" in draft and "-000001]" in draft  # the ticket tag
    assert "Example CSIRT です。" in draft  # the Japanese body template rendered
    assert "IPアドレス: " in draft
