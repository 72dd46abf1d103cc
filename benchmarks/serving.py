"""``ioc serve`` for a benchmark: started in this IOC_VAR_DIR without the embedded worker,
waited for, stopped at the end. Shared by the benchmarks that load a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (from /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def processes(parent: int | None = None, user: str | None = None) -> list[int]:
    """The process ``parent`` and its descendants, or every process of ``user``."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                found[int(entry.name)] = (ppid, entry.stat().st_uid)
            except OSError:
                continue
    if user is not None:
        import pwd

        uid = pwd.getpwnam(user).pw_uid
        return [pid for pid, (_, owner) in found.items() if owner == uid]
    tree = [parent] if parent in found else []
    for pid in tree:
        tree.extend(child for child, (ppid, _) in found.items() if ppid == pid)
    return tree


class Server:
    def __init__(
        self, port: int, env: dict[str, str] | None = None, workers: int = 1, name: str = "bench"
    ) -> None:
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, IOC_EMBEDDED_WORKER="0", **(env or {}))
        self.log = Path(tempfile.gettempdir()) / f"ioc-{name}-serve-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                raise RuntimeError(f"port {self.port} is taken: another server would be measured")
        except OSError:
            pass
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                sys.executable,
                "-m",
                "ioc.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start: " + self.log.read_text()[-2000:])

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes."""
        return cpu_seconds(processes(self.process.pid)) if self.process else 0.0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
