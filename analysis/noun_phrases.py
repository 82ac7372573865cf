"""Noun phrases from free text, offline.

TextBlob's default noun-phrase extractor needs NLTK corpora that cannot be
downloaded here, so this uses Pattern's chunker (``PatternParser``), which
ships with TextBlob, and builds phrases from its ``B-NP``/``I-NP`` chunks.
"""
from __future__ import annotations

import gc
import warnings
from functools import lru_cache

from .text import ENGLISH_STOPWORDS, lemmatise, normalise

__all__ = ["noun_phrases"]

#: Parts of speech dropped from a chunk: determiners, pronouns, numbers, etc.
_DROP_POS = frozenset({"DT", "PDT", "PRP", "PRP$", "WP", "WP$", "WDT", "EX", "CC", "POS", "CD", "LS", "SYM", "UH", "TO", "IN", "RB", "RBR", "RBS"})
_INDEFINITE = frozenset(
    "nobody anybody somebody everybody noone anyone someone everyone nothing anything something everything".split()
)
_PUNCT = frozenset(".,;:!?\"'()[]{}-–—/&")


@lru_cache(maxsize=1)
def _parser():
    """The Pattern parser, with its lexicon loaded once. TextBlob leaves the
    lexicon file open while loading it; the ResourceWarning that causes is
    silenced here so it cannot surface elsewhere."""
    from textblob.en.parsers import PatternParser

    parser = PatternParser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        parser.parse("warm up the lexicon")
        gc.collect()
    return parser


def _chunks(tagged: str) -> list[list[tuple[str, str]]]:
    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for item in str(tagged).split():
        parts = item.split("/")
        if len(parts) < 3:
            continue
        word, pos, chunk = parts[0], parts[1], parts[2]
        word = word.replace("&slash;", "/")
        if chunk == "B-NP" or (chunk == "I-NP" and not current):
            if current:
                chunks.append(current)
            current = [(word, pos)]
        elif chunk == "I-NP":
            current.append((word, pos))
        else:
            if current:
                chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def noun_phrases(text: object) -> list[str]:
    """Return the noun phrases of ``text``: lower-case, determiners and
    pronouns dropped, nouns singularised ("My social workers" -> "social
    worker"), each phrase once in order of first appearance. A phrase must
    contain a noun; leading/trailing English stopwords and words such as
    "nobody" or "something" are dropped. Empty or non-text input
    gives ``[]``; never raises for any text."""
    norm = normalise(text).strip()
    if not norm:
        return []
    try:
        tagged = _parser().parse(norm)
    except Exception:  # pragma: no cover - Pattern's parser is robust; be safe for odd input
        return []
    out: list[str] = []
    seen: set[str] = set()
    for chunk in _chunks(tagged):
        words = []
        has_noun = False
        for word, pos in chunk:
            if pos in _DROP_POS or word in _PUNCT or word in _INDEFINITE or not any(c.isalnum() for c in word):
                continue
            if pos.startswith("NN"):
                has_noun = True
                if pos in ("NNS", "NNPS"):
                    word = lemmatise(word)
            words.append(word)
        # trim leading/trailing stopwords ("lot", "way", ...)
        while words and words[0] in ENGLISH_STOPWORDS:
            words.pop(0)
        while words and words[-1] in ENGLISH_STOPWORDS:
            words.pop()
        if not words or not has_noun:
            continue
        phrase = " ".join(words)
        if phrase not in seen:
            seen.add(phrase)
            out.append(phrase)
    return out
