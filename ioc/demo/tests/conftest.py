from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def own_var_dir(settings: Any, tmp_path: Path) -> None:
    """Each test's demo writes its drop folders under its own var directory: two pytest-xdist
    workers running the demo at once must not read each other's files."""
    settings.VAR_DIR = tmp_path / "var"
