"""Settings for the test suite: the real settings, with fast password hashing."""

import os

os.environ.setdefault("IOC_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

from ioc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# One warehouse file per pytest-xdist worker: DuckDB allows one writer per file.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
WAREHOUSE_PATH = VAR_DIR / f"test-warehouse-{_WORKER}.duckdb"  # noqa: F405

# `make pytest-postgres` also puts the warehouse on the PostgreSQL server: one database per
# worker (the `warehouse` fixture creates it and empties it before each test).
if _url := os.environ.get("TEST_IOC_WAREHOUSE_URL"):
    WAREHOUSE_URL = f"{_url.rsplit('/', 1)[0]}/ioc_test_warehouse_{_WORKER}"
