"""The `ioc` command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_ioc(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_help_lists_the_commands():
    proc = run_ioc("--help")
    assert proc.returncode == 0
    for command in ("ioc serve", "ioc demo", "ioc migrate", "ioc createadmin"):
        assert command in proc.stdout


def test_migrate_demo_and_createadmin_on_a_fresh_var_dir(tmp_path):
    # Always the embedded SQLite here, even during the PostgreSQL pass of the suite.
    env = {
        "IOC_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "ioc.settings",
        "IOC_DEBUG": "true",
        "IOC_DATABASE_URL": "",
        "IOC_WAREHOUSE_PATH": "",
    }
    migrate = run_ioc("migrate", "-v", "0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "ioc.sqlite3").exists()
    assert (tmp_path / "warehouse.duckdb").exists()

    weak = run_ioc("createadmin", "root", "--password-stdin", env=env, stdin="123\n")
    assert weak.returncode != 0
    assert "too weak" in weak.stderr and "chưa đủ mạnh" in weak.stderr

    ok = run_ioc(
        "createadmin", "root", "--password-stdin", env=env, stdin="a-Strong-passphrase-42\n"
    )
    assert ok.returncode == 0, ok.stderr
    again = run_ioc(
        "createadmin", "root", "--password-stdin", env=env, stdin="a-Strong-passphrase-42\n"
    )
    assert again.returncode != 0
    assert "is taken" in again.stderr and "đã tồn tại" in again.stderr


def test_the_asgi_application_imports_in_a_fresh_process(tmp_path: Path) -> None:
    """`ioc serve --workers N` starts each worker by importing ``ioc.asgi`` in a new
    interpreter, with nothing set up before: the module must set Django up itself first."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, "-c", "import ioc.asgi; print(ioc.asgi.ASYNC_PATHS)"],
        env={**env, "IOC_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "/ioc/live/" in proc.stdout
