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
    silenced here so it cannot surface elsewhere.

    The lexicon's tags are then made one string per tag (Pattern reads a new one for each of
    its 94,000 words, 89 distinct): equal values, so no tag changes. Looking a word up writes
    to its tag's reference count, so in a forked recompute worker each word's own string cost
    a copy of the memory page it sat in; now a few shared ones do (issue 13, round 9: about 550
    fewer page copies a worker, and 4 MB less memory)."""
    from textblob.en import parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        parser.find_tags(["warm", "up", "the", "lexicon"])
        _share_equal_values(parser.lexicon)
        gc.collect()
    return parser


def _share_equal_values(table: dict) -> None:
    """Make equal values of ``table`` one object (the first of them), keys and order unchanged."""
    first: dict = {}
    for key, value in dict.items(table):  # the dict's own entries: Pattern's lazy dict loads on access
        shared = first.setdefault(value, value)
        if shared is not value:
            dict.__setitem__(table, key, shared)


# Pattern's noun-phrase rule (``textblob._text.CHUNKS``, Germanic languages), over a
# string of part-of-speech tags each followed by "/".
_NN = r"NN|NNS|NNP|NNPS|NNPS?\-[A-Z]{3,4}|PR|PRP|PRP\$"
_JJ = r"JJ|JJR|JJS"
_RB = r"(?<!W)RB|RBR|RBS"
_NP_RULE = re.compile(rf"(({_NN})/)*((DT|CD|CC|CJ)/)*(({_RB}|{_JJ})/)*(({_NN})/)+")
_CONJUNCTIONS = ("CC", "CJ", "KON", "Conj(neven)")


#: most tokens whose tags are remembered (each of the two kinds: first in a sentence or not)
TAG_MEMO = 100_000
#: token -> its tag anywhere but first in a sentence; token -> its tag first in one
_tag_later: dict[str, str] = {}
_tag_first: dict[str, str] = {}


def _tag(token: str, first: bool) -> str:
    """The tag Pattern's ``find_tags`` gives ``token`` (with the parser's lexicon and defaults, and
    no morphology, context, entities or model, as :func:`tags` calls it): the lexicon's tag (for the
    first token of a sentence, its lower-case form's too), else NNP for a title-case word, CD for a
    number, else the English suffix rules. It depends on the token and on whether it comes first,
    nothing else, so it is remembered (issue 13)."""
    memo = _tag_first if first else _tag_later
    found = memo.get(token)
    if found is None:
        parser = _parser()
        found = pattern.find_tags([token] if first else ["", token], lexicon=parser.lexicon, default=parser.default,
                                  language=parser.language)[-1][1]
        if len(memo) < TAG_MEMO:
            memo[token] = found
    return found


def tags(tokens: list[str]) -> list[str]:
    """``[tag for _token, tag in parser.find_tags(tokens)]``: the tag of each token of one sentence,
    as Pattern's tagger gives them with the parser's lexicon and defaults (each token's tag
    remembered; tested against Pattern's own function)."""
    later = _tag_later
    out = [later.get(token) or _tag(token, False) for token in tokens]
    if out:
        out[0] = _tag_first.get(tokens[0]) or _tag(tokens[0], True)
    return out


#: one unit of Pattern's NP rule (a tag and its "/"), by its group: a noun, a determiner (or number
#: or conjunction), an adverb or adjective
_NP_UNIT = re.compile(rf"(?:({_NN})|(DT|CD|CC|CJ)|({_RB}|{_JJ}))/")
#: Pattern's NP rule over one character a tag (:func:`_tag_class`); "d" starts a match only
_NP_CODES = re.compile(r"N*D*A*N+|dD*A*N+")
_tag_classes: dict[str, str | None] = {}


def _tag_class(tag: str) -> str | None:
    """The one character that stands for ``tag`` in :data:`_NP_CODES`: "N", "D" or "A" for a tag
    that is a unit of the NP rule; "d" for one that is not, but whose tail is a determiner
    (Pattern's rule runs over the tags as one string, so it can start a match inside a tag:
    "PDT/NN/" matches from its "DT/", and the chunk starts at that token); "x" for the rest.
    None when no character stands for it (a tag with a "/", or whose tail could start another
    kind of unit): such sentences are marked by the rule on the tags' string."""
    whole = _NP_UNIT.fullmatch(f"{tag}/")
    tails = [_NP_UNIT.match(f"{tag}/", j) for j in range(1, len(tag))]
    kinds = [tail.lastindex for tail in tails if tail]
    if "/" in tag or (whole and kinds) or any(kind != 2 for kind in kinds):
        found = None
    elif whole:
        found = "NDA"[whole.lastindex - 1]
    else:
        found = "d" if kinds else "x"
    _tag_classes[tag] = found
    return found


def _np_spans(sentence_tags: list[str]) -> list[tuple[int, int]]:
    """(first, end) token positions of each match of Pattern's NP rule in one sentence's tags,
    as Pattern's chunker finds them in its string of tags (a character a tag where it can)."""
    codes = [_tag_classes.get(tag, "?") for tag in sentence_tags]
    if "?" in codes:
        codes = [_tag_class(tag) if code == "?" else code for tag, code in zip(sentence_tags, codes)]
    if None not in codes:
        return [match.span() for match in _NP_CODES.finditer("".join(codes))]  # type: ignore[arg-type]
    joined = "/".join(sentence_tags) + "/"
    return [(joined.count("/", 0, match.start()), joined.count("/", 0, match.end()))
            for match in _NP_RULE.finditer(joined)]


def _np_marks(sentence_tags: list[str]) -> list[str]:
    """"B", "I" or "" for each tag of one sentence: Pattern's NP chunk tags."""
    marks = [""] * len(sentence_tags)
    starts = []
    for first, end in _np_spans(sentence_tags):
        while sentence_tags[first] in _CONJUNCTIONS:  # a chunk never starts with a conjunction
            first += 1
        marks[first] = "B"
        marks[first + 1:end] = ["I"] * (end - first - 1)
        starts.append(first)
    last = len(sentence_tags) - 1
    for i in starts:  # "Very nice work" is a chunk; "Perhaps" + "you" are two
        while (i < last and marks[i] == "B" and sentence_tags[i].startswith("RB")
               and not sentence_tags[i + 1].startswith("JJ")):
            marks[i], marks[i + 1] = "", "B"
            i += 1
    return marks


def noun_phrase_chunks(text: str) -> list[list[tuple[str, str]]]:
    """The noun-phrase chunks of ``text``: lists of (word, tag), in order."""
    chunks: list[list[tuple[str, str]]] = []
    for sentence in find_tokens(text):  # parser.find_tokens, each raw token split once (issue 13)
        words = sentence.split(" ")
        sentence_tags = tags(words)
        current: list[tuple[str, str]] | None = None
        for word, tag, mark in zip(words, sentence_tags, _np_marks(sentence_tags)):
            if mark == "B" or (mark == "I" and current is None):
                current = [(word, tag)]
                chunks.append(current)
            elif mark == "I" and current is not None:
                current.append((word, tag))
            else:
                current = None
    return chunks


#: word -> whether it can be part of a phrase (by the word alone)
_phrase_words: dict[str, bool] = {}


def _phrase_word(word: str) -> bool:
    """Whether ``word`` can be part of a phrase, whatever its tag: not punctuation, not an
    indefinite pronoun, with a letter or digit (remembered, as the tags are)."""
    kept = word not in _PUNCT and word not in _INDEFINITE and any(c.isalnum() for c in word)
    if len(_phrase_words) < TAG_MEMO:
        _phrase_words[word] = kept
    return kept


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
            if pos in _DROP_POS:
                continue
            kept = _phrase_words.get(word)
            if kept is None:
                kept = _phrase_word(word)
            if not kept:
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
