"""The learned screening signal: closeness to a bank of example statements.

``concern_bank.yaml`` beside this module holds short example statements per
category of concern and a set of statements that are *not* a concern
(practitioners' commentary on neglect as a topic, children's everyday
complaints, "I feel safe now"). An answer is compared with every example in
two ways:

- **meaning**: cosine similarity of word-embedding vectors (the model shipped
  in ``wordllama``, see :mod:`analysis.embeddings`), for the whole answer and
  for overlapping windows of about a sentence, so "nobody feeds me" sits near
  "i dont get fed at home" although they share no word;
- **spelling**: cosine similarity of character-trigram vectors (TF-IDF
  weighted over the bank), so "grandad smaks me" and "im hungary" sit near
  their correctly spelt examples.

For each category the signal is how much closer the answer is to that
category's nearest examples than to the nearest not-a-concern examples:

    margin(c) = [meaning(c) - meaning(not)] + SPELLING_WEIGHT * [spelling(c) - spelling(not)]

where meaning(c) is the mean similarity of the ``NEAREST`` closest examples of c
(and meaning(not) of the ``NEAREST`` closest not-a-concern ones), and spelling the
single closest. One near example alone decided the meaning margin until round 3;
the mean of three is steadier (bench/evaluate_concerns.py, round 3 notes).

Pure functions over numpy; no Flask, no database.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .embeddings import EmbeddingModel, shared_model
from .text import drop_apostrophes

__all__ = [
    "BankError",
    "BankScores",
    "ConcernBank",
    "DEFAULT_BANK_PATH",
    "SPELLING_WEIGHT",
    "load_concern_bank",
]

DEFAULT_BANK_PATH = Path(__file__).parent / "concern_bank.yaml"
NOT_CONCERN = "not_concern"
# How much a spelling (character-trigram) margin counts against a meaning
# (embedding) margin. Chosen on the development half of the labelled
# statements; see bench/evaluate_concerns.py.
SPELLING_WEIGHT = 0.5
# How many nearest examples, per category and among the not-a-concern
# statements, the meaning margin averages. Chosen in round 3 on the
# development half of tests/data/concerns_fresh.csv screened with the rules as
# they were before that round (so that rules written from those statements did
# not hide the learned signal's misses): 3 kept recall and flagged fewer
# everyday answers than 1 at every margin tried.
NEAREST = 3
# Pieces of an answer compared by spelling: runs of sentences of about this
# many characters, at most MAX_PIECES of them.
PIECE_CHARS = 120
MAX_PIECES = 40
# Words whose trigrams are remembered (children's vocabulary repeats a lot).
WORD_CACHE_SIZE = 50_000
_PIECE_SPLIT = re.compile(r"[.!?;\n]+|,\s*(?:but|and|because|cos|coz)\b")
_WORDS = re.compile(r"[a-z0-9]+")


class BankError(ValueError):
    """The example bank is missing or malformed; the message says where."""


@dataclass(frozen=True)
class BankScores:
    """The learned signal for one answer.

    ``margins`` maps each category key to its combined margin (see the module
    docstring); ``meaning`` and ``spelling`` hold the two parts for the best
    category, for display and for the stored flag.
    """

    margins: dict[str, float]
    similarity: dict[str, float]  # meaning similarity to the category's nearest example
    best: str
    meaning: float
    spelling: float

    @property
    def score(self) -> float:
        """The best category's margin."""
        return self.margins[self.best] if self.best else -1.0


@dataclass(frozen=True)
class ConcernBank:
    """The example bank, embedded once; build with :func:`load_concern_bank`."""

    keys: tuple[str, ...]  # categories, in the bank's order
    category_starts: np.ndarray  # where each category's run of examples starts
    # (categories, longest run): each category's example positions, padded with
    # the position one past the last example (read as "no example")
    category_members: np.ndarray
    positives: int  # how many examples name a category; the not-a-concern ones follow them
    # (examples, dims), unit rows: the positive examples, then the not-a-concern ones. One
    # product for both costs one call less and gives the same sums (issue 13).
    meaning_examples: np.ndarray
    trigram_index: dict[str, int]
    trigram_idf: np.ndarray
    spelling_examples: np.ndarray  # (trigrams, examples), as meaning_examples: transposed, unit columns
    model: EmbeddingModel
    version: str
    path: Path
    word_cache: dict = field(default_factory=dict, compare=False, repr=False)
    # What _nearest_per_category's quick way needs (see _nearest_plan), or None.
    nearest_plan: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, compare=False, repr=False)

    def scores(self, text: str) -> BankScores:
        """How close ``text`` is to each category's examples, against the not-a-concern ones."""
        windows = self.model.windows(text)
        if len(windows) == 0:
            return BankScores({key: -1.0 for key in self.keys}, {key: 0.0 for key in self.keys}, "", 0.0, 0.0)
        meaning_all = _product(windows, self.meaning_examples).max(axis=0)
        return self._scores(text, meaning_all, self._per_category(meaning_all[:self.positives]))

    def scores_if_near(self, text: str, meaning_floor: float) -> BankScores | None:
        """:meth:`scores` of ``text``, or None when no category's closest example is
        ``meaning_floor`` similar to it by meaning (``BankScores.similarity``), so that no
        category can be named whatever the margins: the spelling and the nearest examples,
        half the work, are then left undone (issue 13)."""
        windows = self.model.windows(text)
        if len(windows) == 0:
            return self.scores(text)
        # The positive examples first: most answers are near none of them, and the
        # not-a-concern ones are then never needed (each similarity is the same dot product,
        # the same bits, whichever rows are multiplied with it; issue 13, round 7).
        meaning_pos = _product(windows, self.meaning_examples[:self.positives]).max(axis=0)
        closest = self._per_category(meaning_pos)
        if closest.max() < meaning_floor:
            return None
        meaning_neg = _product(windows, self.meaning_examples[self.positives:]).max(axis=0)
        return self._scores(text, np.concatenate((meaning_pos, meaning_neg)), closest)

    def _scores(self, text: str, meaning_all: np.ndarray, closest: np.ndarray) -> BankScores:
        """The scores, from the text's best similarity to every example (``meaning_all``) and
        to each category's closest one (``closest``)."""
        meaning_pos = meaning_all[:self.positives]
        meaning_neg = _mean_of_nearest(meaning_all[self.positives:])
        spelling_pos, spelling_neg = self._spelling(text)
        meaning = self._nearest_per_category(meaning_pos) - meaning_neg
        spelling = self._per_category(spelling_pos) - spelling_neg
        combined = meaning + SPELLING_WEIGHT * spelling
        best = int(combined.argmax())
        return BankScores(
            {key: float(value) for key, value in zip(self.keys, combined)},
            {key: float(value) for key, value in zip(self.keys, closest)},
            self.keys[best],
            float(meaning[best]),
            float(spelling[best]),
        )

    def _per_category(self, per_example: np.ndarray) -> np.ndarray:
        # Examples are stored category by category: the best of each run.
        return np.maximum.reduceat(per_example, self.category_starts)

    def _nearest_per_category(self, per_example: np.ndarray) -> np.ndarray:
        """Each category's mean of its ``NEAREST`` highest similarities (of all its
        examples when it has fewer), in one pass over a padded matrix.

        When every category has ``NEAREST`` examples (the shipped bank) one sort of the
        examples by (category, similarity) finds the same values in the same order, and
        they are averaged as ``np.nanmean`` does below: the same bits, in a quarter of the
        time (issue 13)."""
        if self.nearest_plan is not None and np.isfinite(per_example).all():
            category_bits, picks, counts = self.nearest_plan
            order = np.argsort(category_bits | _sortable_bits(per_example))
            top = per_example[order[picks]].astype(np.float64)
            total = top.sum(axis=1)
            return np.divide(total, counts, out=total, casting="unsafe")
        padded = np.append(per_example, np.nan)[self.category_members]
        width = padded.shape[1]
        count = min(NEAREST, width)
        # NaN (padding) sorts last, so it only reaches the top when a category is short.
        top = np.sort(np.where(np.isnan(padded), -np.inf, padded), axis=1)[:, width - count:]
        top[np.isinf(top)] = np.nan
        return np.nanmean(top, axis=1)

    def _spelling(self, text: str) -> tuple[np.ndarray, float]:
        """Best trigram cosine per positive example, and the best against any
        not-a-concern example, over the answer's sentences."""
        positive = np.zeros(self.positives, dtype=np.float32)
        negative = 0.0
        unseen_weight = float(self.trigram_idf.max()) ** 2
        cache = self.word_cache
        for piece in _pieces(_plain(text)):
            found = [cache.get(word) or self._word_rows(word) for word in _WORDS.findall(piece)]
            if not found:
                continue
            unseen = sum(missing for _rows, missing in found)
            counts = np.bincount(np.concatenate([rows for rows, _missing in found]))  # rows beyond the last: all 0
            rows = np.flatnonzero(counts)
            weights = counts[rows] * self.trigram_idf[rows]
            norm = math.sqrt(float(weights @ weights) + unseen * unseen_weight)
            if not len(rows) or not norm:
                continue
            weights /= norm
            closeness = np.einsum("j,jk->k", weights, self.spelling_examples[rows])
            positive = np.maximum(positive, closeness[:self.positives])
            negative = max(negative, float(closeness[self.positives:].max()))
        return positive, negative

    def _word_rows(self, word: str) -> tuple[np.ndarray, int]:
        """The bank's trigram rows in ``word``, and how many of its trigrams the bank lacks (cached)."""
        found = self.word_cache.get(word)
        if found is None:
            padded = f" {word} "
            grams = [padded[i:i + 3] for i in range(len(padded) - 2)]
            rows = [self.trigram_index[g] for g in grams if g in self.trigram_index]
            found = (np.array(rows, dtype=np.int64), len(grams) - len(rows))
            if len(self.word_cache) > WORD_CACHE_SIZE:
                self.word_cache.clear()
            self.word_cache[word] = found
        return found


def _members(keys: list[str], labels: list[str]) -> np.ndarray:
    """Each category's example positions as rows, padded with ``len(labels)``."""
    rows = [[position for position, label in enumerate(labels) if label == key] for key in keys]
    members = np.full((len(keys), max(map(len, rows))), len(labels), dtype=np.int64)
    for row, positions in enumerate(rows):
        members[row, :len(positions)] = positions
    return members


def _nearest_plan(starts: np.ndarray, positives: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """For a bank whose categories all have ``NEAREST`` examples or more (stored category by
    category from ``starts``): each example's category in the high 32 bits of a sort key,
    where each category's ``NEAREST`` highest similarities land once sorted, and how many
    that is per category (for ``np.divide``); None for a bank with a shorter category."""
    sizes = np.diff(np.append(starts, positives))
    if sizes.min() < NEAREST:
        return None
    category = np.repeat(np.arange(len(starts), dtype=np.uint64), sizes)
    ends = np.cumsum(sizes)
    picks = (ends[:, None] - np.arange(NEAREST, 0, -1)).astype(np.intp)
    return category << np.uint64(32), picks, np.full(len(starts), NEAREST, dtype=np.intp)


def _sortable_bits(values: np.ndarray) -> np.ndarray:
    """float32 ``values`` (no NaN) as uint64 whose order is theirs: the sign bit set for a
    positive value, every bit flipped for a negative one."""
    bits = values.astype(np.float32, copy=False).view(np.uint32)
    return np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)


def _mean_of_nearest(similarities: np.ndarray) -> float:
    """Mean of the ``NEAREST`` highest similarities (all of them when there are fewer)."""
    count = min(NEAREST, len(similarities))
    return float(np.partition(similarities, len(similarities) - count)[-count:].mean())


def _pieces(text: str) -> list[str]:
    """Runs of whole sentences of about ``PIECE_CHARS`` characters (at most ``MAX_PIECES``)."""
    pieces: list[str] = []
    for sentence in _PIECE_SPLIT.split(text):
        if pieces and len(pieces[-1]) + len(sentence) < PIECE_CHARS:
            pieces[-1] += " " + sentence
        else:
            pieces.append(sentence)
    return pieces[:MAX_PIECES]


def _product(rows: np.ndarray, examples: np.ndarray) -> np.ndarray:
    """``rows @ examples.T`` without BLAS: these products are small, and a
    multi-threaded BLAS spends far longer waking its threads on a busy
    server than multiplying (measured: 5 ms instead of 0.05 ms)."""
    return np.einsum("ij,kj->ik", rows, examples)


def _plain(text: str) -> str:
    return drop_apostrophes(text.lower())


def _trigrams(text: str) -> list[str]:
    """Character trigrams of each word, with a space marking its start and end."""
    grams: list[str] = []
    for word in _WORDS.findall(text):
        padded = f" {word} "
        grams.extend(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def _examples(document: dict, name: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """(category keys, positive examples, their category keys, not-a-concern examples)."""
    categories = document.get("categories")
    if not isinstance(categories, dict) or not categories:
        raise BankError(f"{name}: 'categories' must map category keys to groups of examples")
    keys: list[str] = []
    positives: list[str] = []
    labels: list[str] = []
    for key, groups in categories.items():
        keys.append(str(key))
        for text in _group_examples(groups, f"{name}: category '{key}'"):
            positives.append(text)
            labels.append(str(key))
    negatives = _group_examples(document.get(NOT_CONCERN), f"{name}: {NOT_CONCERN}")
    return keys, positives, labels, negatives


def _group_examples(groups: object, where: str) -> list[str]:
    if not isinstance(groups, list) or not groups:
        raise BankError(f"{where}: must be a list of groups, each with 'examples'")
    texts: list[str] = []
    for group in groups:
        examples = group.get("examples") if isinstance(group, dict) else None
        if not isinstance(examples, list) or not examples or not all(isinstance(e, str) and e.strip() for e in examples):
            raise BankError(f"{where}: each group needs a non-empty 'examples' list of statements")
        texts.extend(e.strip() for e in examples)
    return texts


def load_concern_bank(path: str | Path | None = None, model: EmbeddingModel | None = None,
                      known_categories: set[str] | None = None) -> ConcernBank:
    """Read the example bank and embed it (about 20 ms once the model is loaded).

    ``path`` defaults to the ``concern_bank.yaml`` beside this module; ``model``
    to the process's shared embedding model. With ``known_categories`` every
    bank category must be one of them (the rules' keys). Raises
    :class:`BankError` for a missing or malformed file and
    :class:`analysis.embeddings.EmbeddingUnavailable` when the model cannot load.
    """
    bank_path = Path(path) if path is not None else DEFAULT_BANK_PATH
    name = bank_path.name
    try:
        raw = bank_path.read_bytes()
        document = yaml.safe_load(raw)
    except OSError as problem:
        raise BankError(f"{name}: cannot read the example bank ({problem.strerror})") from None
    except yaml.YAMLError:
        raise BankError(f"{name}: not valid YAML") from None
    if not isinstance(document, dict):
        raise BankError(f"{name}: must have 'categories' and '{NOT_CONCERN}'")
    keys, positives, labels, negatives = _examples(document, name)
    if known_categories is not None:
        unknown = [key for key in keys if key not in known_categories]
        if unknown:
            raise BankError(f"{name}: category '{unknown[0]}' is not a category of the concern rules")
    model = model or shared_model()

    vocabulary: dict[str, int] = {}
    documents = [Counter(_trigrams(_plain(text))) for text in positives + negatives]
    for counts in documents:
        for gram in counts:
            vocabulary.setdefault(gram, len(vocabulary))
    frequency = np.zeros(len(vocabulary), dtype=np.float32)
    for counts in documents:
        for gram in counts:
            frequency[vocabulary[gram]] += 1
    idf = (np.log((1 + len(documents)) / (1 + frequency)) + 1).astype(np.float32)
    matrix = np.zeros((len(vocabulary), len(documents)), dtype=np.float32)
    for column, counts in enumerate(documents):
        for gram, count in counts.items():
            matrix[vocabulary[gram], column] = count * idf[vocabulary[gram]]
    matrix /= np.linalg.norm(matrix, axis=0, keepdims=True).clip(min=1e-9)

    version = hashlib.sha256(raw + model.version.encode()).hexdigest()[:12]
    starts = np.array([labels.index(key) for key in keys], dtype=np.int64)
    return ConcernBank(
        keys=tuple(keys),
        category_starts=starts,
        category_members=_members(keys, labels),
        positives=len(positives),
        meaning_examples=np.concatenate([model.embed(positives), model.embed(negatives)]),
        trigram_index=vocabulary,
        trigram_idf=idf,
        spelling_examples=np.ascontiguousarray(matrix),
        model=model,
        version=f"{model.version}+bank-{version}",
        path=bank_path,
        nearest_plan=_nearest_plan(starts, len(positives)),
    )
