"""Per-process limits on heavy work that requests can start (exports): a few at a time, the rest told to retry."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from gis.errors import TooManyRequests
from gis.settings import get_settings

_slots: dict[int, threading.BoundedSemaphore] = {}
_lock = threading.Lock()
RETRY_AFTER_S = 30


def _semaphore(size: int) -> threading.BoundedSemaphore:
    with _lock:  # one semaphore per configured size (tests change the setting)
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@contextlib.contextmanager
def export_slot() -> Iterator[None]:
    """Hold one of CCGRID_EXPORT_CONCURRENCY export slots of this process, or refuse at once with 429: a queue of
    exports would hold worker threads and connections that light requests need."""
    size = max(get_settings().export_concurrency, 1)
    slots = _semaphore(size)
    if not slots.acquire(blocking=False):
        raise TooManyRequests(f"{size} exports are already running; retry in a minute", retry_after=RETRY_AFTER_S)
    try:
        yield
    finally:
        slots.release()
