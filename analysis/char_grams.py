"""The transform of a fitted ``char_wb`` TF-IDF vectoriser, counted word by word (issue 13).

scikit-learn's ``TfidfVectorizer(analyzer="char_wb").transform`` cuts every text into the
character n-grams of each of its whitespace-separated words (each word padded with a
space either side) and counts them, text by text, in Python: most of the learned sentiment
model's time. The n-grams of a text are those of its words taken one at a time, and the
same words recur in every answer, so :class:`CharGramTfidf` keeps each word's vocabulary
counts and adds them up per text. The counts matrix is the one scikit-learn builds (same
entries, sorted indices, the vectoriser's dtype), and it is weighted and normalised by
scikit-learn's own :class:`~sklearn.feature_extraction.text.TfidfTransformer` with the
vectoriser's settings and idf: the result is identical, bit for bit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

__all__ = ["CharGramTfidf"]

#: most words whose counts are kept (odd input cannot grow the memo without end)
WORD_MEMO = 200_000


class CharGramTfidf:
    """``vectoriser.transform`` for a fitted ``char_wb`` :class:`TfidfVectorizer`, faster."""

    def __init__(self, vectoriser: TfidfVectorizer):
        if vectoriser.analyzer != "char_wb":
            raise ValueError("CharGramTfidf needs a char_wb vectoriser")
        self.vectoriser = vectoriser
        self._vocabulary = vectoriser.vocabulary_
        self._preprocess = vectoriser.build_preprocessor()
        self._grams = vectoriser.build_analyzer()
        self._tfidf = TfidfTransformer(norm=vectoriser.norm, use_idf=vectoriser.use_idf,
                                       smooth_idf=vectoriser.smooth_idf, sublinear_tf=vectoriser.sublinear_tf)
        if vectoriser.use_idf:
            self._tfidf.idf_ = vectoriser.idf_
        #: word -> (vocabulary indices of its n-grams, their counts)
        self._known: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _word_counts(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        found = self._known.get(word)
        if found is None:
            counts: dict[int, int] = {}
            for gram in self._grams(word):
                index = self._vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            found = (np.fromiter(counts, dtype=np.int32, count=len(counts)),
                     np.fromiter(counts.values(), dtype=np.intc, count=len(counts)))
            if len(self._known) < WORD_MEMO:
                self._known[word] = found
        return found

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The n-gram counts of each text (one row a text), as the vectoriser counts them: each
        word's counts, in rows, summed where a text has an n-gram in more than one word."""
        rows: list[int] = []
        words: list[tuple[np.ndarray, np.ndarray]] = []
        for row, text in enumerate(texts):
            for word in self._preprocess(self.vectoriser.decode(text)).split():
                words.append(self._word_counts(word))
                rows.append(row)
        shape = (len(texts), len(self._vocabulary))
        if not words:
            return sparse.csr_matrix(shape, dtype=self.vectoriser.dtype)
        sizes = np.fromiter((len(indices) for indices, _values in words), dtype=np.int64, count=len(words))
        matrix = sparse.coo_matrix((np.concatenate([values for _indices, values in words]),
                                    (np.repeat(np.asarray(rows, dtype=np.int32), sizes),
                                     np.concatenate([indices for indices, _values in words]))),
                                   shape=shape, dtype=self.vectoriser.dtype).tocsr()
        matrix.sum_duplicates()  # also sorts each row's indices
        return matrix

    def transform(self, texts: Sequence[str]):
        """What ``vectoriser.transform(texts)`` returns."""
        return self._tfidf.transform(self.counts(texts), copy=False)
