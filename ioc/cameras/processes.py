"""Child processes that must not outlive the platform (ffmpeg relays, the demo's sources)."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover  (runs in the child, before exec)
    """For ``subprocess.Popen(preexec_fn=...)``: the child is killed when the thread that
    started it ends (start it from a thread that lives as long as the process), and leads a
    process group of its own."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()
