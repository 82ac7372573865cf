"""What a process keeps between requests: bounded, thread-safe, and only ever of things that
never change (issue 13: a published version's questions, a link's identity, a form class).
Anything that does change is read from the database, or checked there in the write."""

from __future__ import annotations

import threading
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptPerProcess(Generic[K, V]):
    """A dict of at most ``size`` entries; when full, the oldest entry goes first (a bound,
    not a policy: what is kept is small and seldom evicted)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for ``key``, or None."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` for ``key`` (making room if needed); returns ``value``."""
        with self._lock:
            if key not in self._items and len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value
        return value

    def drop(self, key: K) -> None:
        """Forget ``key``, if kept."""
        with self._lock:
            self._items.pop(key, None)
