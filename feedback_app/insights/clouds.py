"""Word clouds, rendered once and kept as files in the instance folder.

A cloud is keyed by :func:`analysis.wordclouds.cache_key` of its texts, so every app
process (and the report command) finds the same file and nothing lives in process
memory. Files are written to a temporary name and renamed, so a reader never sees a
half-written PNG.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from analysis.wordclouds import (
    CloudWords,
    cache_key,
    whats_new_cloud_png,
    whats_new_png_of,
    word_cloud_png,
    word_cloud_png_of,
    words_key,
)


def _cached(folder: Path, key: str, render: Callable[[], bytes]) -> bytes:
    path = folder / f"{key}.png"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    png = render()
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(png)
        os.replace(temporary, path)
    except OSError:
        # A read-only or full disk costs only the cache, never the picture.
        if os.path.exists(temporary):
            os.unlink(temporary)
    return png


def cloud_cache_folder(instance_path: str) -> Path:
    """Where rendered word clouds are kept: ``instance/cache/wordclouds``."""
    return Path(instance_path) / "cache" / "wordclouds"


def word_cloud_key(texts: Sequence[str], min_answers: int = 1) -> str:
    """The cache key (also the HTTP ETag) of a round's word cloud."""
    return cache_key(texts, "cloud", min_answers)


def whats_new_key(texts: Sequence[str], previous: Sequence[str], min_answers: int = 1) -> str:
    """The cache key (also the HTTP ETag) of a "what's new" cloud against ``previous``."""
    return cache_key(texts, "whats_new", cache_key(previous), min_answers)


def word_cloud(folder: Path, texts: Sequence[str], min_answers: int = 1) -> tuple[str, bytes]:
    """(key, PNG bytes) of the word cloud of ``texts`` (words used in at least ``min_answers``
    answers), from the cache when it is there."""
    key = word_cloud_key(texts, min_answers)
    return key, _cached(folder, key, lambda: word_cloud_png(texts, min_answers=min_answers))


def whats_new_cloud(folder: Path, texts: Sequence[str], previous: Sequence[str],
                    min_answers: int = 1) -> tuple[str, bytes]:
    """(key, PNG bytes) of the words over-represented in ``texts`` versus ``previous``."""
    key = whats_new_key(texts, previous, min_answers)
    return key, _cached(folder, key, lambda: whats_new_cloud_png(texts, previous, min_answers=min_answers))


def counted_word_cloud(folder: Path, words: CloudWords, min_answers: int = 1) -> tuple[str, bytes]:
    """:func:`word_cloud` from a round's counted words (its tallies, issue 13 item 2)."""
    key = words_key(words, "cloud", min_answers)
    return key, _cached(folder, key, lambda: word_cloud_png_of(words, min_answers=min_answers))


def counted_whats_new(folder: Path, words: CloudWords, previous: CloudWords,
                      min_answers: int = 1) -> tuple[str, bytes]:
    """:func:`whats_new_cloud` from counted words of this round and the previous one."""
    key = words_key(words, "whats_new", words_key(previous), min_answers)
    return key, _cached(folder, key, lambda: whats_new_png_of(words, previous.uses, min_answers=min_answers))
