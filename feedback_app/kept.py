"""What a process keeps between requests: bounded and thread-safe.

Two uses (issue 13), one class:

* things that never change (a published version's questions, a link's identity, a form
  class), read on the respondent's post with :meth:`KeptPerProcess.get`, which takes no lock;
  anything that does change is read from the database, or checked there in the write;
* the comparison pages' summaries (:data:`feedback_app.insights.cache.PAGE_CACHE`), kept
  under a key that changes whenever the data behind them does, through
  :meth:`KeptPerProcess.get_or_compute`, which also marks the entry as recently used.

When full, the entry least recently kept (or used through ``get_or_compute``) goes first: a
bound, not a policy, since what is kept is small and old keys are simply never asked for again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptPerProcess(Generic[K, V]):
    """An ordered map of at most ``size`` entries, safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for ``key``, or None (no lock, no reordering: the post's hot path)."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` for ``key`` as the newest entry (making room if needed); returns ``value``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The value kept under ``key`` (now the most recently used), else ``compute()``, kept.

        ``compute`` runs outside the lock: two threads may compute the same value once each."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return self.put(key, compute())

    def drop(self, key: K) -> None:
        """Forget ``key``, if kept."""
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
