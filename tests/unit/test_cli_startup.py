"""Start-up of the command line: building the parser and `parse` stay clear of the heavy packages.

Every `abusebox` process pays for what `import abusebox.cli` imports, so the command modules
import the database, web, scheduler and password packages inside their handlers. Checked in
a fresh interpreter: this test process has imported all of them long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from paths import EXAMPLES, REPO

HEAVY = ("sqlalchemy", "starlette", "uvicorn", "apscheduler", "alembic", "argon2")


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ABUSEBOX_CONFIG", None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, env=env, timeout=120)


def test_import_parser_and_parse_command_leave_heavy_packages_unimported(tmp_path: Path) -> None:
    sample = next((EXAMPLES / "cur").glob("*01-ssh*"))
    code = f"""
import json, sys
HEAVY = set({HEAVY!r})

def loaded():
    return sorted({{name.partition(".")[0] for name in sys.modules}} & HEAVY)

seen = {{}}
import abusebox.cli
seen["import"] = loaded()
parser = abusebox.cli.build_parser()
seen["parser"] = loaded()
parser.parse_args(["parse", "--json", {str(sample)!r}])
seen["parse_args"] = loaded()
code = abusebox.cli.main(["parse", "--json", {str(sample)!r}])
seen["parse"] = loaded()
sys.stdout.flush()
print(json.dumps({{"code": code, "seen": seen}}), file=sys.stderr)
"""
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stderr.decode().strip().splitlines()[-1])
    assert report["seen"] == {"import": [], "parser": [], "parse_args": [], "parse": []}
    assert report["code"] == 0
    # The command did its work: the JSON contract of the sample, not an error object.
    data = json.loads(result.stdout)
    assert data["from"] == "security@reporter.example.net"
    assert data["observations"]


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check above could pass by looking in the wrong place: here it must see sqlalchemy."""
    code = f"""
import json, sys
import abusebox.cli
from abusebox.store.db import Database  # noqa: F401
print(json.dumps(sorted({{n.partition(".")[0] for n in sys.modules}} & set({HEAVY!r}))))
"""
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "sqlalchemy" in json.loads(result.stdout)


def test_the_dummy_password_hash_is_made_by_the_web_app_not_at_import(tmp_path: Path) -> None:
    """An unknown name is checked against a dummy hash; making it is a whole argon2 hash."""
    code = "import abusebox.web.accounts as a; print(a.dummy_hash.cache_info().currsize)"
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["0"]

    from abusebox.core.config import Settings
    from abusebox.store.db import Database
    from abusebox.web import accounts
    from abusebox.web.app import create_app

    accounts.dummy_hash.cache_clear()
    db = Database(f"sqlite:///{tmp_path / 'abusebox.db'}")
    try:
        create_app(Settings(), db)
        assert accounts.dummy_hash.cache_info().currsize == 1  # before any request
        made = accounts.dummy_hash()
        assert made.startswith("$argon2id$") and accounts.dummy_hash() is made  # made once
        assert not accounts.verify_password(made, "")
    finally:
        db.dispose()


def test_ingest_and_the_web_leave_extraction_to_the_analysis_processes(tmp_path: Path) -> None:
    """The parent of a pool, the web app and the desk never extract: importing them compiles
    none of the extraction vocabulary (the forkserver's children have it, preloaded)."""
    code = """
import json, sys
import abusebox.pipeline.ingest, abusebox.runtime.service, abusebox.web.app, abusebox.desk.export
import abusebox.outbox.digest
analysis = ("abusebox.extract", "abusebox.pipeline.analyze")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(analysis))))
"""
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == []
