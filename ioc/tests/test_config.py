"""Settings: declared once, documented from the declaration, bad values stop the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ioc import config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value", "en", "vi"),
    [
        ("IOC_DEBUG", "maybe", "expected true or false", "cần giá trị true hoặc false"),
        ("IOC_DATABASE_URL", "mysql://x/y", "expected a URL", "cần một URL"),
        ("IOC_LOGIN_FAILURE_LIMIT", "five", "expected a whole number", "cần một số nguyên"),
        ("IOC_REDIS_URL", "localhost:6379", "expected a URL", "cần một URL"),
        ("IOC_LOG_LEVEL", "LOUD", "expected one of", "cần một trong các giá trị"),
        ("IOC_LOGIN_FAILURE_LIMIT", "0", "at least 1", "không nhỏ hơn 1"),
        ("IOC_PROXY_COUNT", "-1", "at least 0", "không nhỏ hơn 0"),
        ("IOC_TIME_ZONE", "Mars/Olympus", "IANA time zone", "múi giờ IANA"),
    ],
    ids=[
        "bool",
        "database-scheme",
        "int",
        "redis-url",
        "choice",
        "login-limit",
        "proxies",
        "time-zone",
    ],
)
def test_bad_value_is_refused_in_both_languages(name, value, en, vi):
    with pytest.raises(config.ConfigError) as caught:
        config.load({name: value})
    message = str(caught.value)
    assert name in message
    assert en in message
    assert vi in message


def test_bad_setting_stops_the_process_with_a_bilingual_message(tmp_path):
    env = {**os.environ, "IOC_DEBUG": "maybe", "IOC_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", "import ioc.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "IOC_DEBUG" in proc.stderr
    assert "true or false" in proc.stderr
    assert "cần giá trị true hoặc false" in proc.stderr


def test_short_secret_key_stops_the_process_cleanly(tmp_path):
    env = {**os.environ, "IOC_SECRET_KEY": "short", "IOC_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", "import ioc.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "at least 32 characters" in proc.stderr and "ít nhất 32 ký tự" in proc.stderr


def test_defaults_give_the_embedded_platform():
    values = config.load({})
    assert values["IOC_DATABASE_URL"] == ""
    assert values["IOC_WAREHOUSE_PATH"] is None
    assert values["IOC_DEBUG"] is False
    assert values["IOC_AREA"] == ["74"]


def test_unknown_ioc_variables_are_reported():
    assert config.load({"IOC_DATABSE_URL": "x"})["_unknown"] == ["IOC_DATABSE_URL"]


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = config.secret_key(tmp_path, "")
    assert len(first) >= 50
    assert config.secret_key(tmp_path, "") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_short_configured_secret_key_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="at least 32"):
        config.secret_key(tmp_path, "short")


def test_generated_docs_are_up_to_date():
    docs = (ROOT / "docs" / "operations" / "configuration.md").read_text(encoding="utf-8")
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert docs == config.render_markdown(), "run `make docs`"
    assert env == config.render_env_example(), "run `make docs`"
    for setting in config.SETTINGS:
        assert f"`{setting.name}`" in docs
