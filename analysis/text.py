"""Small, offline text helpers shared by the analysis modules: the one place for them.

Everything here is deterministic and needs no corpora: a regex tokeniser
(TextBlob's ``.words`` needs NLTK's punkt, which cannot be downloaded at run
time), apostrophe handling, the negation word list, content-word bigrams, a tiny
plural lemmatiser, and the English + domain stopword lists used by word clouds,
emerging phrases and representative quotes. Sentiment, the codebook, concern
screening and emerging phrases import these rather than keeping their own copies.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "APOSTROPHES",
    "NEGATORS",
    "normalise",
    "drop_apostrophes",
    "is_negator",
    "tokenise",
    "word_tokens",
    "WORD_PATTERN",
    "bigrams",
    "content_bigrams",
    "lemmatise",
    "content_tokens",
    "content_words",
    "ENGLISH_STOPWORDS",
    "DOMAIN_STOPWORDS",
    "STOPWORDS",
]

#: Characters written as an apostrophe (straight, typographic, backtick, modifier letter).
APOSTROPHES = "'\u2019\u2018`\u02bc"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_DROP_APOSTROPHES = str.maketrans("", "", APOSTROPHES)
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"'})
#: A word token: letters and digits, keeping an ``n't``/``'s``-style ending (``didn't``).
WORD_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"

ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further get got had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've this those
    through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's will with won't would
    wouldn't you you'd you'll you're you've your yours yourself yourselves
    im ive dont didnt cant wont isnt wasnt couldnt wouldnt doesnt s t ll re ve d m
    one two also really lot lots even still much many us ok get gets getting go going went gone
    make made us thing things way well like just yes
    """.split()
)

#: Words that appear in nearly every answer in this domain and carry no theme.
DOMAIN_STOPWORDS = frozenset(
    """
    child children young people person family families parent parents carer carers
    neglect neglected think feel felt know knew help helped helps helping need needs needed
    would could should say said tell told time times work worked working
    """.split()
)

STOPWORDS = ENGLISH_STOPWORDS | DOMAIN_STOPWORDS

#: Words that negate what follows them ("not listened to", "no food", "hardly ever",
#: "lack of support"); any ``n't`` token negates too (:func:`is_negator`).
NEGATORS = frozenset(
    "not no never nothing nobody none without hardly cannot nor neither less lack".split()
)
#: ``n't`` contractions written without the apostrophe.
_CONTRACTED_NEGATORS = frozenset(
    "dont didnt cant wasnt couldnt wouldnt isnt doesnt wont havent hadnt".split()
)

# Plural / inflection exceptions the suffix rules below would damage.
_LEMMA_EXCEPTIONS = {
    "children": "child",
    "people": "people",
    "news": "news",
    "series": "series",
    "this": "this",
    "his": "his",
    "is": "is",
    "was": "was",
    "has": "has",
    "does": "does",
    "us": "us",
    "yes": "yes",
    "its": "its",
    "gas": "gas",
    "bus": "bus",
    "buses": "bus",
    "process": "process",
    "stress": "stress",
    "address": "address",
    "analysis": "analysis",
    "crisis": "crisis",
    "basis": "basis",
    "covid": "covid",
    "sdq": "sdq",
    "less": "less",
    "unless": "unless",
    "women": "woman",
    "men": "man",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "lives": "life",
    "wives": "wife",
    "knives": "knife",
    "shelves": "shelf",
    "selves": "self",
}


def normalise(text: object) -> str:
    """Return ``text`` as lower-case NFKC text with typographic quotes made plain.

    ``None``/NaN and other non-strings become ``""``; never raises.
    """
    if text is None or not isinstance(text, str):
        return ""
    return _normalised(text)


@lru_cache(maxsize=8)
def _normalised(text: str) -> str:
    # sentiment, noun phrases and the codebook each normalise the same answer in turn: the
    # last few are remembered (issue 13)
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_QUOTES).lower()


def drop_apostrophes(text: str) -> str:
    """``text`` with every apostrophe (any of :data:`APOSTROPHES`) removed:
    ``"don’t"`` -> ``"dont"``, so either spelling of a contraction matches."""
    return text.translate(_DROP_APOSTROPHES)


def is_negator(token: str) -> bool:
    """True for a token that negates what follows: one of :data:`NEGATORS`, any ``n't``
    contraction, or such a contraction written without its apostrophe (``didnt``)."""
    return token in NEGATORS or token.endswith("n't") or token in _CONTRACTED_NEGATORS


def bigrams(tokens: list[str]) -> list[str]:
    """Each pair of adjacent, different tokens as ``"first second"``, in order."""
    return [f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a != b]


def content_bigrams(text: object) -> frozenset[str]:
    """The distinct :func:`bigrams` of ``text``'s :func:`content_tokens` (stopwords removed,
    plurals singularised): the two-word phrases emerging phrases count."""
    return frozenset(bigrams(content_tokens(text)))


@lru_cache(maxsize=16)
def _token_pattern(before: str, after: str) -> re.Pattern[str]:
    return re.compile("|".join(part for part in (before, WORD_PATTERN, after) if part))


def word_tokens(normalised: str, *, before: str = "", after: str = "") -> list[str]:
    """The tokens of already :func:`normalise`-d text: words (:data:`WORD_PATTERN`), and
    what the regular expressions ``before`` (tried before a word, e.g. ``10/10``) and
    ``after`` (tried after, e.g. punctuation kept as a boundary) match."""
    return _token_pattern(before, after).findall(normalised)


def tokenise(text: object) -> list[str]:
    """Split ``text`` into lower-case word tokens (letters/digits, keeping ``n't``-style
    contractions such as ``didn't`` as one token). Returns ``[]`` for empty input."""
    return word_tokens(normalise(text))


@lru_cache(maxsize=65536)
def lemmatise(word: str) -> str:
    """Reduce a simple English plural to its singular (``workers`` -> ``worker``,
    ``families`` -> ``family``, ``boxes`` -> ``box``); other words are returned unchanged."""
    w = word.lower()
    if w in _LEMMA_EXCEPTIONS:
        return _LEMMA_EXCEPTIONS[w]
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is", "'s")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "zzes", "sses")):
        return w[:-2]
    return w[:-1]


def content_words(text: object, extra_stopwords: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, str]]:
    """Each content word of ``text`` as (word as written, lemma): stopwords (English,
    domain and ``extra_stopwords``), pure numbers and one-letter tokens removed. The
    written form is a real word to show people; the lemma groups its plurals."""
    out = []
    for tok in tokenise(text):
        if tok in STOPWORDS or tok in extra_stopwords or tok.isdigit() or len(tok) < 2:
            continue
        lemma = lemmatise(tok)
        if lemma in STOPWORDS or lemma in extra_stopwords:
            continue
        out.append((tok, lemma))
    return out


def content_tokens(text: object, extra_stopwords: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Tokens of ``text`` with stopwords (English, domain and ``extra_stopwords``),
    pure numbers and one-letter tokens removed, plurals lemmatised."""
    return [lemma for _word, lemma in content_words(text, extra_stopwords)]
