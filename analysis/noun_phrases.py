"""Noun phrases from free text, offline.

TextBlob's default noun-phrase extractor needs NLTK corpora that cannot be
downloaded here, so this uses Pattern's tokenizer and part-of-speech tagger, which
ship with TextBlob, and Pattern's noun-phrase rule.

Pattern's full parse (``PatternParser``) also chunks verb, prepositional, adjective
and adverb phrases, attaches prepositions and formats everything as a tagged string,
only for this module to split it again and keep the ``B-NP``/``I-NP`` chunks. Its
chunker applies the NP rule first, on untouched tokens, so noun-phrase chunks do not
depend on the other rules: :func:`noun_phrase_chunks` applies that rule (and Pattern's one
post-correction, for an adverb starting a chunk) alone, to the tagger's lists
(issue 13: about twice as fast, the same phrases).
"""
from __future__ import annotations

import gc
import re
import warnings
from functools import lru_cache

from textblob import _text as pattern  # Pattern's tagger (TextBlob keeps it there)

from .pattern_tokens import find_tokens
from .text import ENGLISH_STOPWORDS, lemmatise, normalise

__all__ = ["noun_phrases", "noun_phrase_chunks"]

#: Parts of speech dropped from a chunk: determiners, pronouns, numbers, etc.
_DROP_POS = frozenset({"DT", "PDT", "PRP", "PRP$", "WP", "WP$", "WDT", "EX", "CC", "POS", "CD", "LS", "SYM", "UH", "TO", "IN", "RB", "RBR", "RBS"})
_INDEFINITE = frozenset(
    "nobody anybody somebody everybody noone anyone someone everyone nothing anything something everything".split()
)
_PUNCT = frozenset(".,;:!?\"'()[]{}-–—/&")


@lru_cache(maxsize=1)
def _parser():
    """Pattern's English parser, with its lexicon loaded once. TextBlob leaves the
    lexicon file open while loading it; the ResourceWarning that causes is
    silenced here so it cannot surface elsewhere."""
    from textblob.en import parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        parser.find_tags(["warm", "up", "the", "lexicon"])
        gc.collect()
    return parser


# Pattern's noun-phrase rule (``textblob._text.CHUNKS``, Germanic languages), over a
# string of part-of-speech tags each followed by "/".
_NN = r"NN|NNS|NNP|NNPS|NNPS?\-[A-Z]{3,4}|PR|PRP|PRP\$"
_JJ = r"JJ|JJR|JJS"
_RB = r"(?<!W)RB|RBR|RBS"
_NP_RULE = re.compile(rf"(({_NN})/)*((DT|CD|CC|CJ)/)*(({_RB}|{_JJ})/)*(({_NN})/)+")
_CONJUNCTIONS = ("CC", "CJ", "KON", "Conj(neven)")


def _np_marks(tagged: list[list[str]]) -> list[str]:
    """"B", "I" or "" for each [word, tag] of one sentence: Pattern's NP chunk tags."""
    tags = "".join(f"{tag}/" for _word, tag in tagged)
    marks = [""] * len(tagged)
    for match in _NP_RULE.finditer(tags):
        first = tags.count("/", 0, match.start())
        for k in range(first, first + match.group(0).count("/")):
            if k == first and tagged[k][1] in _CONJUNCTIONS:  # a chunk never starts with a conjunction
                first += 1
            else:
                marks[k] = "B" if k == first else "I"
    for i, (_word, tag) in enumerate(tagged):  # "Very nice work" is a chunk; "Perhaps" + "you" are two
        if tag.startswith("RB") and marks[i] == "B" and i < len(tagged) - 1 and not tagged[i + 1][1].startswith("JJ"):
            marks[i], marks[i + 1] = "", "B"
    return marks


def _tags(tokens: list[str], parser) -> list[list[str]]:
    """``parser.find_tags(tokens)``: Pattern's tagger with the parser's lexicon and defaults. The
    parser's own method adds a mapping that copies each [word, tag] unchanged; this calls
    Pattern's function without it (issue 13)."""
    return pattern.find_tags(tokens, lexicon=parser.lexicon, default=parser.default, language=parser.language)


def noun_phrase_chunks(text: str) -> list[list[tuple[str, str]]]:
    """The noun-phrase chunks of ``text``: lists of (word, tag), in order."""
    parser = _parser()
    chunks: list[list[tuple[str, str]]] = []
    for sentence in find_tokens(text):  # parser.find_tokens, each raw token split once (issue 13)
        tagged = _tags(sentence.split(" "), parser)
        current: list[tuple[str, str]] | None = None
        for (word, tag), mark in zip(tagged, _np_marks(tagged)):
            if mark == "B" or (mark == "I" and current is None):
                current = [(word, tag)]
                chunks.append(current)
            elif mark == "I" and current is not None:
                current.append((word, tag))
            else:
                current = None
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
        chunks = noun_phrase_chunks(norm)
    except Exception:  # pragma: no cover - Pattern's tagger is robust; be safe for odd input
        return []
    out: list[str] = []
    seen: set[str] = set()
    for chunk in chunks:
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
