"""Demo steps: each app contributes its part of the demo province with `@demo_step`.

    @demo_step(order=50, label="Cameras")
    def cameras(ctx: DemoContext) -> str: ...   # returns a one-line summary

Steps run in order, must be idempotent (a second `ioc demo` changes nothing) and
deterministic (use ctx.rng, seeded by the scale).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    whole_country: bool  # load every province's units, not only the area's
    commune_agencies: int | None  # None: one per commune of the area
    events: int
    history_years: int  # years of history in each demo dataset
    connections: int = 0  # at least this many data connections in all (0: only the demo's own)
    records: int = 0  # at least this many warehouse records in all (0: only the history)


SCALES = {
    "tiny": Scale("tiny", whole_country=False, commune_agencies=4, events=6, history_years=2),
    "small": Scale("small", whole_country=True, commune_agencies=None, events=24, history_years=3),
    # The seed's figures: 28,881 data connections, 280 million records.
    "full": Scale(
        "full",
        whole_country=True,
        commune_agencies=None,
        events=200,
        history_years=5,
        connections=28_881,
        records=280_000_000,
    ),
}


@dataclass
class DemoContext:
    scale: Scale
    rng: random.Random
    out: Callable[[str], None]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    order: int
    label: str
    func: Callable[[DemoContext], str]


STEPS: list[DemoStep] = []


def demo_step(*, order: int, label: str) -> Callable[[Callable[[DemoContext], str]], Any]:
    def register(func: Callable[[DemoContext], str]) -> Callable[[DemoContext], str]:
        if any(s.label == label for s in STEPS):
            raise ValueError(f"demo step {label!r} registered twice")
        STEPS.append(DemoStep(order, label, func))
        STEPS.sort(key=lambda s: s.order)
        return func

    return register
