"""Small answers that every request asks for and that seldom change (the active blocklist, a
category by its code, who handles an agency's reports), kept in this process for a few
seconds.

``@remember(seconds, Model, ...)``: the function's answer for the same arguments is reused
for ``seconds``, and forgotten at once when a row of one of the ``models`` is saved or
deleted in this process. Another process sees the change after ``seconds`` at most (bulk
updates, which send no signals, too): a value whose staleness for that long would matter
must not be remembered.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

P = ParamSpec("P")
R = TypeVar("R")

_all: list[Callable[[], None]] = []
clock = time.monotonic  # the tests move it


def remember(
    seconds: float, *changed_by: type[models.Model]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        kept: dict[Hashable, tuple[float, R]] = {}
        lock = threading.Lock()

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items())))
            now = clock()
            found = kept.get(key)
            if found is not None and found[0] > now:
                return found[1]
            value = function(*args, **kwargs)
            with lock:
                if len(kept) > 10_000:  # bounded, whatever the arguments
                    kept.clear()
                kept[key] = (now + seconds, value)
            return value

        def forget(*_args: Any, **_kwargs: Any) -> None:
            kept.clear()

        for model in changed_by:
            post_save.connect(forget, sender=model, weak=False)
            post_delete.connect(forget, sender=model, weak=False)
        if changed_by:
            m2m_changed.connect(forget, weak=False)  # roles, scopes: any many-to-many change
        wrapper.forget = forget  # type: ignore[attr-defined]
        _all.append(forget)
        return wrapper

    return decorate


def forget_all() -> None:
    """Drop every remembered answer (the tests do, between tests)."""
    for forget in _all:
        forget()
