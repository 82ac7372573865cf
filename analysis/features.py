"""Text features of one answer, computed once when it arrives and stored with
:data:`analysis.ANALYSER_VERSION`.

:func:`features_frame` does the same for a whole DataFrame, optionally in
worker processes; every function used there is top-level and picklable.
:func:`map_batches` is the one batch runner: the app's bulk re-analysis
(``feedback_app.text_analysis``) runs its batches through it too.
"""
from __future__ import annotations

import gc
import multiprocessing
import sys
from collections import deque
from contextlib import closing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Sequence, TypeVar

import pandas as pd

from . import ANALYSER_VERSION
from .codebook import Codebook
from .noun_phrases import noun_phrases
from .sentiment import sentiment

__all__ = ["TextFeatures", "text_features", "features_frame", "in_batches", "map_batches", "FEATURE_COLUMNS"]

Item = TypeVar("Item")
Result = TypeVar("Result")

#: Columns :func:`features_frame` adds.
FEATURE_COLUMNS = ("polarity", "subjectivity", "label", "themes", "noun_phrases", "analyser_version")


@dataclass(frozen=True)
class TextFeatures:
    """Features of one free-text answer.

    ``themes`` are codebook theme keys; ``codebook_hash`` is the
    :meth:`~analysis.codebook.Codebook.version_hash` of the codebook used.
    """

    polarity: float
    subjectivity: float
    label: str
    themes: list[str] = field(default_factory=list)
    noun_phrases: list[str] = field(default_factory=list)
    analyser_version: str = ANALYSER_VERSION
    codebook_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable) for storage."""
        return asdict(self)


def text_features(text: object, codebook: Codebook, *, nothing_means: str = "positive") -> TextFeatures:
    """Sentiment, codebook themes and noun phrases of ``text``.

    Empty or non-text input gives a neutral zero result with no themes or
    phrases. ``nothing_means`` is passed to :func:`analysis.sentiment.sentiment`.
    Never raises for any text.
    """
    s = sentiment(text, nothing_means=nothing_means)  # type: ignore[arg-type]
    if not isinstance(text, str) or not text.strip():
        return TextFeatures(s.polarity, s.subjectivity, s.label, [], [], ANALYSER_VERSION, codebook.version_hash())
    return TextFeatures(
        polarity=s.polarity,
        subjectivity=s.subjectivity,
        label=s.label,
        themes=codebook.match(text),
        noun_phrases=noun_phrases(text),
        analyser_version=ANALYSER_VERSION,
        codebook_hash=codebook.version_hash(),
    )


def in_batches(items: Sequence[Item], size: int) -> list[list[Item]]:
    """``items`` cut into consecutive lists of ``size`` (the last may be shorter).
    Raises ``ValueError`` for a size below 1."""
    if size < 1:
        raise ValueError("the batch size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def map_batches(work: Callable[..., Result], batches: Sequence[Any], *args: Any, workers: int | None = 1,
                progress: Callable[[int], object] | None = None, ordered: bool = True) -> Iterator[Result]:
    """Yield ``work(batch, *args)`` for each of ``batches``, in order (with ``ordered=False``:
    as each is done, the order they finish in).

    With ``workers`` above 1 and more than one batch the batches run on that many processes:
    this one and ``workers - 1`` forked workers (``work`` and ``args`` are inherited as they
    fork; the batches and results are pickled), each taking the next batch in turn
    (:func:`_batches_here_and_forked`); otherwise here, one after another.
    ``progress(len(batch))`` is called as each batch finishes. The results are the same either way.

    While the workers run, the objects that exist before they fork (the lexicons, the
    tagger, the app's modules) are frozen out of the garbage collector
    (:func:`gc.freeze`): its full collections then no longer walk them, in the workers
    or here, and walking them no longer copies the workers' shared memory page by
    page (issue 13: a sixth to a fifth of the features' CPU time).
    """
    if not (workers and workers > 1 and len(batches) > 1):
        for batch in batches:
            done = work(batch, *args)
            if progress:
                progress(len(batch))
            yield done
        return
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    switch_before = sys.getswitchinterval()
    # this process computes batches too (pure Python, holding the GIL) while its pool's threads hand
    # batches to the workers and read their results back: at CPython's default 5 ms each hand-off
    # can wait that long, a worker idle meanwhile (issue 13, a recompute: a worker's first batch
    # started 7-17 ms after this process's, now 0.5-9 ms; 5-10 ms less in 430)
    sys.setswitchinterval(HANDOFF_INTERVAL)
    try:
        held: dict[int, Any] = {}  # with ``ordered``: results done before one ahead of them
        following = 0  # with ``ordered``: the index of the result to yield next
        with closing(_batches_here_and_forked(work, batches, args, workers)) as runs:
            for index, done in runs:
                if progress:
                    progress(len(batches[index]))
                if not ordered:
                    yield done
                    continue
                held[index] = done
                while following in held:
                    yield held.pop(following)
                    following += 1
    finally:
        sys.setswitchinterval(switch_before)
        if not frozen_before:  # a process that froze objects itself keeps them frozen
            gc.unfreeze()


#: seconds between GIL switches in this process while :func:`map_batches` runs on several processes
HANDOFF_INTERVAL = 0.0005


def _batches_here_and_forked(work: Callable[..., Result], batches: Sequence[Any], args: tuple[Any, ...],
                             workers: int) -> Iterator[tuple[int, Result]]:
    """``(index, work(batches[index], *args))`` of every batch, as each is done, on ``workers``
    processes: ``workers - 1`` forked ones and this one, all taking the next batch in turn.

    Each forked worker holds two batches at a time (one running, one waiting), so it never
    waits for this process; this process runs the next batch itself whenever none of theirs
    is done, and hands back theirs in between. Two cores then run two processes, not two
    workers and a parent that keeps waking to write (issue 13, a recompute: about 0.05 s of
    CPU less in 1 s, as the caller's writes no longer keep taking a core from a worker).
    The workers are told to stop as soon as the last batch is given out, so they exit while
    the last results are used, and are waited for before this returns.
    """
    waiting = deque(enumerate(batches))
    given: dict[Future, int] = {}
    reaper = None
    # ``work`` and ``args`` reach the workers as they fork, not pickled with every batch:
    # a codebook keeps its compiled patterns and the memos they fill (issue 13)
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("fork"),
                             initializer=_share, initargs=(work, args)) as pool:
        try:
            while waiting or given:
                while waiting and len(given) < 2 * (workers - 1):
                    index, batch = waiting.popleft()
                    given[pool.submit(_shared_work, batch)] = index
                    # the thread that reaps the workers (CPython's); shutdown(wait=False) lets go of it
                    reaper = reaper or getattr(pool, "_executor_manager_thread", None)
                if not waiting:
                    pool.shutdown(wait=False)  # every batch given out: the workers exit after their last
                finished, _running = wait(given, timeout=0 if waiting else None, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield given.pop(future), future.result()
                if waiting and not finished:
                    index, batch = waiting.popleft()
                    yield index, work(batch, *args)
        finally:  # a caller that stops early (an error while writing) waits for no more batches
            for future in given:
                future.cancel()
            pool.shutdown(wait=False)
            if reaper is not None:
                reaper.join()


#: the work and arguments of :func:`map_batches` in a worker process (set as it starts)
_shared: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


def _share(work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Worker initialiser: remember the work and arguments every batch is run with."""
    global _shared
    _shared = (work, args)


def _shared_work(batch: Any) -> Any:
    """Worker: the shared work on one batch."""
    if _shared is None:
        raise RuntimeError("map_batches starts every worker with _share")
    work, args = _shared
    return work(batch, *args)


def _features_chunk(texts: Sequence[object], codebook: Codebook, nothing_means: str) -> list[TextFeatures]:
    """Worker: features of a chunk of texts (top level so it pickles)."""
    return [text_features(t, codebook, nothing_means=nothing_means) for t in texts]


def features_frame(
    df: pd.DataFrame,
    text_column: str,
    codebook: Codebook,
    *,
    workers: int | None = None,
    chunk_size: int = 200,
    nothing_means: str = "positive",
) -> pd.DataFrame:
    """A copy of ``df`` with the columns in :data:`FEATURE_COLUMNS` added
    (``themes`` and ``noun_phrases`` hold lists).

    With ``workers`` > 1 the texts are processed in chunks of ``chunk_size`` on that many
    processes (:func:`map_batches`); the result is identical to the serial one.
    Raises ``KeyError`` if ``text_column`` is missing and ``ValueError`` for a
    non-positive ``chunk_size``.
    """
    if text_column not in df.columns:
        raise KeyError(f"column {text_column!r} not in frame (columns: {', '.join(map(str, df.columns))})")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    chunks = in_batches(list(df[text_column]), chunk_size)
    feats = [f for chunk in map_batches(_features_chunk, chunks, codebook, nothing_means, workers=workers)
             for f in chunk]
    out = df.copy()
    out["polarity"] = pd.Series([f.polarity for f in feats], index=df.index, dtype="float64")
    out["subjectivity"] = pd.Series([f.subjectivity for f in feats], index=df.index, dtype="float64")
    out["label"] = pd.Series([f.label for f in feats], index=df.index, dtype="object")
    out["themes"] = pd.Series([f.themes for f in feats], index=df.index, dtype="object")
    out["noun_phrases"] = pd.Series([f.noun_phrases for f in feats], index=df.index, dtype="object")
    out["analyser_version"] = ANALYSER_VERSION
    return out
