"""Indexing in the same process, for the platform's own page building.

Wagtail updates its search index and its reference index (which pages use which image or
file) in background tasks, one per save. When the platform builds pages itself (the
skeleton at ``ioc migrate``, the demo's hundreds of articles), that would leave a queue of
tasks behind, and the search empty until a worker ran: inside ``inline_index()`` both
indexes are updated at the end of the block instead. Single-threaded commands only (it
swaps a signal receiver for the whole process).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models.signals import post_save
from modelsearch import index, signal_handlers
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

UID = "ioc.portal.inline_index"
_active = False


@contextmanager
def inline_index() -> Iterator[None]:
    global _active
    if _active:  # nested (the demo builds the skeleton too): the outer block indexes
        yield
        return
    _active = True
    try:
        yield from _indexed()
    finally:
        _active = False


def _indexed() -> Iterator[None]:
    searched = [m for m in index.get_indexed_models() if getattr(m, "search_auto_update", True)]
    saved: dict[tuple[str, Any], Any] = {}

    def remember(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if not raw:
            saved[(instance._meta.label, instance.pk)] = instance

    for model in searched:
        post_save.disconnect(signal_handlers.post_save_signal_handler, sender=model)
    post_save.connect(remember, weak=False, dispatch_uid=UID)
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        post_save.disconnect(dispatch_uid=UID)
        for model in searched:
            post_save.connect(signal_handlers.post_save_signal_handler, sender=model)
    for instance in saved.values():
        if type(instance) in searched:
            index.insert_or_update_object(instance)
        if ReferenceIndex.is_indexed(type(instance)):
            ReferenceIndex.create_or_update_for_object(instance)
