"""The transforms of the learned model's fitted TF-IDF vectorisers, faster and identical (issue 13).

:class:`WordGramTfidf` is a word vectoriser's transform with each text's n-grams looked up and
counted by C loops; :class:`CharGramTfidf` a ``char_wb`` one's, counted word by word:

scikit-learn's ``TfidfVectorizer(analyzer="char_wb").transform`` cuts every text into the
character n-grams of each of its whitespace-separated words (each word padded with a
space either side) and counts them, text by text, in Python: most of the learned sentiment
model's time (and sorting each row's counts most of the rest). The n-grams of a text are
those of its words taken one at a time, and the same words recur in every answer, so
:class:`CharGramTfidf` keeps each word's vocabulary indices and adds them up per text, by
columns first (no per-row sort). The counts matrix is the one scikit-learn builds (same
entries, sorted indices, the vectoriser's dtype), and it is weighted and normalised by
scikit-learn's own :class:`~sklearn.feature_extraction.text.TfidfTransformer` with the
vectoriser's settings and idf: the result is identical, bit for bit.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

__all__ = ["CharGramTfidf", "WordGramTfidf"]

#: most words whose counts are kept (odd input cannot grow the memo without end)
WORD_MEMO = 200_000


class _FastTfidf:
    """What the fast transforms share: the fitted vectoriser, its vocabulary and preprocessor,
    and scikit-learn's own weighting and normalisation with its settings and idf."""

    def __init__(self, vectoriser: TfidfVectorizer):
        self.vectoriser = vectoriser
        self._vocabulary = vectoriser.vocabulary_
        self._preprocess = vectoriser.build_preprocessor()
        self._tfidf = TfidfTransformer(norm=vectoriser.norm, use_idf=vectoriser.use_idf,
                                       smooth_idf=vectoriser.smooth_idf, sublinear_tf=vectoriser.sublinear_tf)
        if vectoriser.use_idf:
            self._tfidf.idf_ = vectoriser.idf_
        else:  # nothing to learn, but scikit-learn transforms only with a fitted transformer
            self._tfidf.fit(sparse.csr_matrix((1, len(vectoriser.vocabulary_))))


class WordGramTfidf(_FastTfidf):
    """``vectoriser.transform`` for a fitted word :class:`TfidfVectorizer` (its own preprocessor,
    tokenizer and n-gram sizes, no stop words), with each text's n-grams looked up and counted
    by C loops (``map``, :class:`~collections.Counter`) rather than one by one: the counts are
    what scikit-learn's ``_count_vocab`` makes (each text's distinct n-grams in first-seen
    order, then each row's indices sorted), weighted by its own transformer (issue 13)."""

    def __init__(self, vectoriser: TfidfVectorizer):
        if vectoriser.analyzer != "word" or vectoriser.stop_words is not None or vectoriser.binary:
            raise ValueError("WordGramTfidf needs a word vectoriser without stop words, not binary")
        super().__init__(vectoriser)
        self._tokenize = vectoriser.build_tokenizer()

    def _grams(self, text: object) -> list[str]:
        """scikit-learn's ``_word_ngrams`` of the text's tokens: the tokens themselves (when the
        smallest size is 1), then every run of each larger size joined by a space."""
        tokens = self._tokenize(self._preprocess(self.vectoriser.decode(text)))
        low, high = self.vectoriser.ngram_range
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
            grams.extend(map(" ".join, zip(*(tokens[k:] for k in range(n)))))
        return grams

    def transform(self, texts: Sequence[str]):
        """What ``vectoriser.transform(texts)`` returns."""
        indices: list[int] = []
        values: list[int] = []
        indptr = [0]
        for text in texts:
            counts = Counter(map(self._vocabulary.get, self._grams(text)))
            counts.pop(None, None)  # n-grams not in the vocabulary
            indices.extend(counts)
            values.extend(counts.values())
            indptr.append(len(indices))
        matrix = sparse.csr_matrix((np.asarray(values, dtype=np.intc), np.asarray(indices, dtype=np.int32),
                                    np.asarray(indptr, dtype=np.int32)),
                                   shape=(len(texts), len(self._vocabulary)), dtype=self.vectoriser.dtype)
        matrix.sort_indices()
        return self._tfidf.transform(matrix, copy=False)


class CharGramTfidf(_FastTfidf):
    """``vectoriser.transform`` for a fitted ``char_wb`` :class:`TfidfVectorizer`, faster."""

    def __init__(self, vectoriser: TfidfVectorizer):
        if vectoriser.analyzer != "char_wb":
            raise ValueError("CharGramTfidf needs a char_wb vectoriser")
        super().__init__(vectoriser)
        self._grams = vectoriser.build_analyzer()
        #: word -> the vocabulary indices of its n-grams (one an occurrence)
        self._known: dict[str, np.ndarray] = {}
        # text to words as the vectoriser does it: its ``decode`` returns a ``str`` unchanged when it
        # reads content, and its preprocessor, with no accents to strip and no preprocessor of its
        # own, only lower-cases; its analyser then splits at white space (after collapsing runs of
        # it, which changes no split)
        self._plain = (vectoriser.input == "content" and vectoriser.preprocessor is None
                       and vectoriser.strip_accents is None and vectoriser.lowercase)
        self._sizes = vectoriser.ngram_range

    def _word_grams(self, word: str) -> np.ndarray:
        """The vocabulary index of each of ``word``'s n-grams in the vocabulary, an n-gram that
        occurs twice in it twice (remembered; the counts are summed with the text's). The
        n-grams are the vectoriser's ``char_wb`` ones (``_char_wb_ngrams`` of the lower-cased
        word): padded with a space either side, every n-gram of each size, and a padded word no
        longer than a size counted once, as the whole word, with no larger size."""
        grams = self._char_wb_grams(word) if self._plain else self._grams(word)
        found = np.array([index for index in map(self._vocabulary.get, grams) if index is not None], dtype=np.int32)
        if len(self._known) < WORD_MEMO:
            self._known[word] = found
        return found

    def _char_wb_grams(self, word: str) -> list[str]:
        low, high = self._sizes
        grams: list[str] = []
        for piece in word.lower().split():
            padded = f" {piece} "
            length = len(padded)
            for n in range(low, high + 1):
                if length <= n:
                    grams.append(padded)
                    break
                grams.extend([padded[i:i + n] for i in range(length - n + 1)])
        return grams

    def _words(self, text: object) -> list[str]:
        if self._plain and type(text) is str:
            return text.lower().split()
        return self._preprocess(self.vectoriser.decode(text)).split()

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The n-gram counts of each text (one row a text), as the vectoriser counts them: each
        word's counts, in rows, summed where a text has an n-gram in more than one word."""
        known = self._known
        words: list[np.ndarray] = []
        per_text: list[int] = []
        for text in texts:
            text_words = self._words(text)
            if all(map(known.__contains__, text_words)):
                found = list(map(known.__getitem__, text_words))
            else:
                found = [known[word] if word in known else self._word_grams(word) for word in text_words]
            words.extend(found)
            per_text.append(len(found))
        shape = (len(texts), len(self._vocabulary))
        if not words:
            return sparse.csr_matrix(shape, dtype=self.vectoriser.dtype)
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        rows = np.repeat(np.repeat(np.arange(len(texts), dtype=np.int32), per_text), sizes)
        # one entry an n-gram, added up by columns first: the entries come text by text, so each
        # column's rows come in order, and its duplicates (an n-gram twice in a text) next to each
        # other: summed in one pass, and turned into rows already sorted, without sorting each
        # row's indices (issue 13). Whole numbers, so the sums are exact in any order.
        by_column = sparse.coo_matrix((np.ones(int(sizes.sum()), dtype=self.vectoriser.dtype),
                                       (rows, np.concatenate(words))), shape=shape, dtype=self.vectoriser.dtype).tocsc()
        by_column.sum_duplicates()
        return by_column.tocsr()

    def transform(self, texts: Sequence[str]):
        """What ``vectoriser.transform(texts)`` returns."""
        return self._tfidf.transform(self.counts(texts), copy=False)
