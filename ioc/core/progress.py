"""A progress bar for long commands, on stderr (stdout stays clean for ``--json``).

    bar = ProgressBar(total=estimated_rows, unit="rows", stream=sys.stderr)
    bar.update(done)      # as often as you like: redrawn at most 10 times a second
    bar.close()

On a terminal it redraws one line; elsewhere (CI logs) it prints a line every 10 %.
With no total it shows the count and the rate.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(
        self,
        total: int | None = None,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        enabled: bool = True,
    ) -> None:
        self.total = total if total and total > 0 else None
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_tenth = -1
        self.done = 0
        self.label = ""

    def _line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        count = f"{self.done:,} {self.unit}".replace(",", ".").strip()
        if self.label:
            count = f"{count}  {self.label}"
        if self.total is None:
            return f"{count}  ({rate:,.0f}/s, {elapsed:.0f} s)".replace(",", ".")
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(fraction * 30)
        return f"[{bar:<30}] {fraction:4.0%} {count}  ({rate:,.0f}/s)".replace(",", ".")

    def update(self, done: int, *, total: int | None = None, label: str = "") -> None:
        self.done = done
        if total:
            self.total = total
        if label:
            self.label = label
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
            return
        tenth = int(10 * done / self.total) if self.total else int(now - self.started) // 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._line() + "\n")

    def close(self) -> None:
        if not self.enabled:
            return
        if self.total is not None:
            self.total = max(self.total, self.done)
        self.stream.write(("\r" if self.tty else "") + self._line() + "\n")
        self.stream.flush()
