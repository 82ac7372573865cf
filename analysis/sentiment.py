"""Sentiment of short free-text feedback answers, offline.

The starting point is TextBlob's PatternAnalyzer (the Pattern lexicon with its
own handling of "not", "very" and emoticons). On real feedback text that alone
reaches a 3-class macro-F1 of about 0.47, mainly because:

* feedback is full of *domain* words the general lexicon does not score
  ("helpful", "rude", "waited", "listened", "ignored", "on hold", "delay"),
* a bare "Nothing." / "None" / "No improvements needed" in answer to
  "What could be better?" is praise, not neutral text,
* a suggestion ("should", "need to", "could have", "quicker") describes
  something that did not work; Pattern even scores "more" and "better" as
  positive words, so "More staff would be better" came out positive,
* "X but Y" puts the weight of the answer on Y, and an answer with a clearly
  good part and a clearly bad part is *mixed*, which the labellers call neutral.

This module adds, on top of the Pattern score:

1. phrase normalisation (``nothing bad`` -> ``fine``) and a short list of
   Pattern words that are not evaluative in feedback ("more", "better",
   "first", "own", "ill", "disabled", ...) which are left out of the average;
2. a small domain lexicon (:data:`DOMAIN_LEXICON`, :data:`DOMAIN_PHRASES`)
   with negation: a negator ("not", "no", "never", "nothing", "nobody",
   "without", any ``n't``) in the three tokens before a cue flips it, so
   "can't fault", "no complaints", "didn't have to wait" and "no improvements
   needed" read as positive, and "not listened to" as negative;
3. a "nothing to improve" reading of bare ``nothing``/``none``/``no`` answers
   (see ``nothing_means``);
4. clause weighting: the answer is split into sentences and at "but",
   "however", "although", "though", "except"; a clause after "but"/"however"
   (or the main clause after an "although ..., " concession) gets
   :attr:`SentimentParams.contrast_weight`;
5. a neutral band (:attr:`SentimentParams.positive_threshold`,
   :attr:`SentimentParams.negative_threshold`) and a *mixed* rule: if one
   clause scores at least ``mixed_threshold`` and another at most
   ``-mixed_threshold`` the label is ``"neutral"``.

The numeric parameters were chosen by cross-validation on the development
file (see ``bench/evaluate_sentiment.py``); the lexicon was written from
domain knowledge of feedback language and checked on the early part of the
development file only. Nothing is read from disk at import time.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from textblob import _text as _pattern_module  # Pattern's emoticons and labels (TextBlob keeps them there)
from textblob.en import sentiment as _pattern_sentiment

from .pattern_tokens import find_tokens
from .text import is_negator, normalise, word_tokens

__all__ = [
    "Sentiment",
    "SentimentParams",
    "DEFAULT_PARAMS",
    "LABELS",
    "sentiment",
    "baseline_label",
    "DOMAIN_LEXICON",
    "DOMAIN_PHRASES",
]

LABELS: tuple[str, str, str] = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Sentiment:
    """Result of :func:`sentiment`.

    ``polarity`` is in [-1, 1], ``subjectivity`` in [0, 1] (Pattern's), and
    ``label`` is one of ``"positive"``, ``"neutral"`` (including mixed) or
    ``"negative"``.
    """

    polarity: float
    subjectivity: float
    label: str


@dataclass(frozen=True)
class SentimentParams:
    """Tunable numbers of the scorer (defaults chosen by cross-validation)."""

    #: weight of the domain-lexicon score added to the Pattern polarity of a clause
    domain_weight: float = 0.4
    #: score above which the answer is positive
    positive_threshold: float = 0.15
    #: score below which the answer is negative
    negative_threshold: float = -0.05
    #: weight of the clause after "but"/"however" (other clauses weigh 1)
    contrast_weight: float = 2.0
    #: a clause >= this and another <= -this make the answer mixed (neutral);
    #: ``math.inf`` switches the rule off
    mixed_threshold: float = 0.3


DEFAULT_PARAMS = SentimentParams()

# ---------------------------------------------------------------------------
# Lexicons

#: Single-word cues (after lower-casing) and their weight; negation flips them.
DOMAIN_LEXICON: dict[str, float] = {
    # being helped, listened to and treated well
    "helpful": 1.0, "helped": 0.5, "caring": 1.0, "cared": 0.7, "reassuring": 1.0,
    "reassured": 1.0, "reassurance": 0.7, "efficient": 1.0, "efficiently": 1.0,
    "prompt": 0.8, "promptly": 0.8, "punctual": 1.0, "polite": 1.0, "politely": 1.0,
    "listened": 1.0, "listen": 0.3, "listens": 0.7, "listening": 0.5, "understanding": 0.6,
    "understood": 0.6, "compassionate": 1.0, "compassion": 0.7, "thank": 1.0,
    "thanks": 0.8, "thankyou": 1.0, "grateful": 1.0, "appreciate": 0.8,
    "appreciated": 0.8, "professional": 0.6, "professionally": 0.6, "kind": 0.5,
    "kindness": 1.0, "kindly": 0.5, "considerate": 1.0, "courteous": 0.5,
    "informative": 0.8, "knowledgeable": 1.0, "thorough": 0.7, "attentive": 0.7,
    "respectful": 0.5, "respected": 0.7, "respect": 0.5, "dignity": 0.7,
    "supportive": 0.5, "supported": 0.6, "safe": 0.4, "safer": 0.4,
    "gentle": 0.7, "welcoming": 0.7, "encouraging": 0.5, "recommend": 0.7,
    "saved": 0.8, "ease": 0.6, "speedy": 0.7, "smooth": 0.5, "immediately": 0.4,
    "quickly": 0.3, "fast": 0.3, "superb": 0.5, "marvellous": 1.0, "amazing": 0.4,
    "fab": 1.0, "faultless": 1.0,
    # not being helped, not listened to, waiting
    "rude": -1.0, "rudely": -1.0, "unhelpful": -1.0, "dismissive": -1.0,
    "dismissed": -0.8, "ignored": -1.0, "ignoring": -1.0, "ignore": -0.7,
    "wait": -0.6, "waited": -0.7, "waiting": -0.6, "waits": -0.6, "delay": -0.8,
    "delays": -0.8, "delayed": -0.8, "late": -0.4, "uncaring": -1.0,
    "disrespectful": -1.0, "disrespect": -1.0, "unprofessional": -1.0,
    "incompetent": -1.0, "useless": -1.0, "pointless": -0.8, "terrible": -0.5,
    "horrendous": -1.0, "appalling": -1.0, "disgusting": -1.0, "disgraceful": -1.0,
    "shocking": -1.0, "dreadful": -1.0, "ridiculous": -0.7, "unacceptable": -1.0,
    "disappointed": -1.0, "disappointing": -1.0, "disappointment": -1.0,
    "frustrated": -0.8, "frustrating": -0.5, "frustration": -0.8, "upset": -0.8,
    "upsetting": -0.8, "angry": -0.8, "annoyed": -0.8, "stressful": -0.8,
    "stressed": -0.6, "distressed": -0.6, "distressing": -0.8, "scared": -0.6,
    "frightened": -0.6, "worried": -0.4, "worry": -0.3, "lonely": -0.6,
    "unsafe": -1.0, "hungry": -0.6, "cancelled": -0.7, "forgot": -0.7,
    "forgotten": -0.7, "lost": -0.4, "missed": -0.4, "complain": -0.7,
    "complained": -0.7, "complaint": -0.5, "complaints": -0.7, "problem": -0.5,
    "problems": -0.5, "issue": -0.4, "issues": -0.4, "fault": -0.7, "faults": -0.7,
    "struggle": -0.5, "struggled": -0.5, "struggling": -0.5, "failed": -0.8,
    "fail": -0.6, "failure": -0.8, "mistake": -0.7, "mistakes": -0.7, "lack": -0.7,
    "lacking": -0.7, "lacked": -0.7, "long": -0.3, "longer": -0.3, "slow": -0.3,
    "shortage": -0.5, "shortages": -0.5, "understaffed": -0.7, "overstretched": -0.5,
    "chased": -0.5, "chasing": -0.5, "confusing": -0.6, "confused": -0.5,
    "unclear": -0.6, "inconsistent": -0.6,
    "trouble": -0.5, "difficulty": -0.6, "difficulties": -0.6, "help": 0.3,
    # wanting something better: something did not work well enough
    "improve": -0.5, "improved": -0.4, "improvement": -0.5, "improvements": -0.5,
    "quicker": -0.5, "faster": -0.4, "sooner": -0.5, "instead": -0.3,
}

#: Multi-word cues, matched on whole tokens before single words.
DOMAIN_PHRASES: dict[str, float] = {
    "above and beyond": 1.0,
    "well done": 1.0,
    "keep up the good work": 1.0,
    "keep doing what": 1.0,
    "keep it up": 1.0,
    "put me at ease": 1.0,
    "on time": 0.6,
    "straight away": 0.5,
    "took time": 0.5,
    "took the time": 0.7,
    "10/10": 1.0,
    "on hold": -1.0,
    "too long": -1.0,
    "let down": -1.0,
    "let me down": -1.0,
    "let us down": -1.0,
    "turned up": 0.3,
    "turn up": 0.3,
    "did not turn up": -1.0,
    "no show": -1.0,
    "no one": -0.3,
    "nobody": -0.3,
    "problem solved": 1.0,
    "problem resolved": 1.0,
    "get through": 0.5,
    "got through": 0.3,
    "have to wait": -0.6,
    "had to wait": -0.8,
    "not enough": -0.6,
    "keeps changing": -0.8,
    "kept changing": -0.8,
    "changed social worker": -0.6,
}

#: Pattern lexicon words that are not evaluative in feedback answers
#: (comparatives used in suggestions, quantities, medical/descriptive words).
_NOT_EVALUATIVE = frozenset(
    """
    more better first other due old own live most many few down past round half young high
    full whole early previous previously disabled ill usually extremely later straight able
    available possible right sure expected public second little less least local far nearly
    seriously serious true busy long late short only much last next
    """.split()
)

_NEGATION_WINDOW = 3

#: Markers of a wish or a suggestion: the clause describes what did *not*
#: happen ("could have been quicker", "would be nice to be told", "maybe
#: answer the phone"). Unless negated ("nothing you could have done better")
#: such a clause is a mild negative and its praise words count against it.
_COUNTERFACTUAL_MARKERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "could have", "could've", "could of", "could be", "could do", "couldn't have",
        "should", "shouldn't", "should've", "ought to",
        "would have been", "would have liked", "would have helped", "would've been",
        "would be", "would help", "would like", "it would",
        "need to", "needs to", "needed to", "must", "if only", "i wish", "wish",
        "maybe", "perhaps", "please",
    )
)
#: Words that open a suggestion when they start a sentence ("More staff.",
#: "Answer the phone quicker.", "Be more prepared.").
_SUGGESTION_OPENERS = frozenset(
    """more better less fewer quicker faster sooner improve increase reduce provide be make
    give answer listen cut offer stop start try ensure employ get have""".split()
)

#: Tokens besides words: a "10/10" score, hearts and commas.
_SCORE_PATTERN = r"10/10"
_MARK_PATTERNS = r"[\u2764\u2665]|,"
_SENTENCE_SPLIT = re.compile(r"[.!?;\n]+|\s[-\u2013\u2014]\s")
_CONTRAST_SPLIT = re.compile(r"\b(but|however|although|though|except|whereas)\b")
_EMPHASIS_MARKERS = frozenset({"but", "however"})
_CONCESSIVE_MARKERS = frozenset({"although", "though"})

_DURATION_RE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:hours?|hrs?)\b|\ball night\b|\ball day\b")
_NEGATED_NEGATIVE_RE = re.compile(
    r"\b(?:nothing|not anything|no|never anything)\s+(?:bad|wrong|negative|poor|awful|terrible)\b"
)
_NOTHING_ANSWER_RE = re.compile(
    r"^\W*(?:nothing|none|no|nope|nil|n/?a|not really|not a thing|nothing really|"
    r"nothing at all|nothing else|very little|not much|not very much|nothing much|no comments?|"
    r"no improvements?(?: needed| required| necessary)?|nothing to improve|"
    r"nothing (?:could|can) be improved|nothing i can think of|can'?t think of anything|"
    r"cannot think of anything)\b(?P<rest>.*)$",
    re.S,
)

_PHRASES_BY_LENGTH = sorted(
    ((tuple(p.split()), w) for p, w in DOMAIN_PHRASES.items()), key=lambda x: -len(x[0])
)


def _tokens(text: str) -> list[str]:
    return word_tokens(text, before=_SCORE_PATTERN, after=_MARK_PATTERNS)


def _negated(tokens: list[str], i: int, window: int | None = _NEGATION_WINDOW) -> bool:
    """True when a negator occurs before position ``i`` within ``window`` tokens
    (``None``: anywhere earlier in the clause), not crossing a comma."""
    start = 0 if window is None else max(0, i - window)
    for tok in reversed(tokens[start:i]):
        if tok == ",":
            return False
        if is_negator(tok):
            return True
    return False


def _by_first_word(entries):
    """``entries`` (each a tuple of words first) grouped by their first word, each group in
    the order given: only the entries starting with a token can match there (issue 13)."""
    grouped: dict[str, list] = {}
    for entry in entries:
        grouped.setdefault(entry[0][0], []).append(entry)
    return grouped


_MARKERS_BY_FIRST = _by_first_word((marker,) for marker in _COUNTERFACTUAL_MARKERS)
_PHRASES_BY_FIRST = _by_first_word(_PHRASES_BY_LENGTH)
#: the tokens :func:`_domain_score` scores or starts a phrase at; any other token scores nothing
_CUE_WORDS = frozenset(_PHRASES_BY_FIRST) | frozenset(DOMAIN_LEXICON) | {"\u2764", "\u2665"}


def _counterfactual(tokens: list[str]) -> int:
    """+1 if the clause is a negated wish ("nothing you could have done better"),
    -1 if it is a wish or suggestion, 0 otherwise."""
    if tokens and tokens[0] in _SUGGESTION_OPENERS:
        return -1
    # only a token that starts a marker can match: those places, in order (issue 13)
    for i in [i for i, tok in enumerate(tokens) if tok in _MARKERS_BY_FIRST]:
        for (marker,) in _MARKERS_BY_FIRST[tokens[i]]:
            if tuple(tokens[i : i + len(marker)]) == marker:
                return 1 if _negated(tokens, i, window=None) else -1
    return 0


def _domain_score(tokens: list[str]) -> tuple[float, float]:
    """(positive, negative) sums of domain cue weights in ``tokens``; a cue
    with a negator in the three preceding tokens is flipped (x -0.75)."""
    pos = neg = 0.0
    after = 0  # the token after the last cue (a phrase's words are not cues again)
    # only a cue, or the first word of a phrase, scores: those places, in order (issue 13)
    for i in [i for i, tok in enumerate(tokens) if tok in _CUE_WORDS]:
        if i < after:
            continue
        weight = None
        span = 1
        for phrase, w in _PHRASES_BY_FIRST.get(tokens[i], ()):
            k = len(phrase)
            if tuple(tokens[i : i + k]) == phrase:
                weight, span = w, k
                break
        if weight is None:
            tok = tokens[i]
            if tok in ("\u2764", "\u2665"):
                weight = 1.0
            else:
                weight = DOMAIN_LEXICON.get(tok)
        if weight is not None:
            value = -0.75 * weight if _negated(tokens, i) else weight
            if value > 0:
                pos += value
            else:
                neg += value
        after = i + span
    return pos, neg


class _PlainLexicon(dict):
    """Pattern's sentiment lexicon as a plain dict, with the attributes its ``assessments``
    reads. Pattern's own lexicon is a lazy dict whose every lookup goes through two Python
    calls (``_lazy``, ``__contains__``); its ``assessments`` run on this copy do the same
    lookups on the same entries at dict speed (issue 13)."""

    def __init__(self, lexicon) -> None:
        len(lexicon)  # loads it, the first time
        super().__init__(dict.items(lexicon))
        self.labeler = lexicon.labeler
        self.negations = lexicon.negations
        self.modifiers = lexicon.modifiers
        self.modifier = lexicon.modifier


@lru_cache(maxsize=1)
def _plain_lexicon() -> _PlainLexicon:
    return _PlainLexicon(_pattern_sentiment)


#: what Pattern's ``assessments`` looks up about a word, with no part of speech: (its averaged
#: polarity, subjectivity and intensity, or None for an unknown word; whether it can modify the
#: next word; whether it negates; its label; an emoticon's polarity, or None)
_WordFacts = tuple[Any, bool, bool, Any, Any]
_facts: dict[str, _WordFacts] = {}
#: most words whose facts are remembered
WORD_FACTS_MEMO = 100_000


@lru_cache(maxsize=1)
def _emoticon_polarities() -> dict[str, float]:
    """Each emoticon (lower-cased) and the polarity of the first of Pattern's emoticon groups
    it is in, as ``assessments`` finds it (it walks the groups in order)."""
    polarities: dict[str, float] = {}
    for (_kind, polarity), emoticons in _pattern_module.EMOTICONS.items():
        for emoticon in emoticons:
            polarities.setdefault(emoticon.lower(), polarity)
    return polarities


def _word_facts(word: str) -> _WordFacts:
    lexicon = _plain_lexicon()
    senses = lexicon.get(word)
    known = senses is not None and None in senses
    facts = (senses[None] if known else None,
             known and any(map(senses.__contains__, lexicon.modifiers)),
             word in lexicon.negations,
             lexicon.labeler.get(word) if known else None,
             _emoticon_polarities().get(word) if (word.isalpha() is False and len(word) <= 5
                                                  and word not in _pattern_module.PUNCTUATION) else None)
    if len(_facts) < WORD_FACTS_MEMO:
        _facts[word] = facts
    return facts


def _assess(words: list) -> list:
    """Pattern's ``Sentiment.assessments`` of ``words`` (lower-case words, each with no part of
    speech; None skipped) with negation, step for step, on each word's facts looked up once
    (:func:`_word_facts`): the same (words, polarity, subjectivity, label) tuples, float for
    float (issue 13; tested against Pattern's own function)."""
    lexicon = _plain_lexicon()
    negate_after_modifier = None in lexicon.modifiers
    modifies = lexicon.modifier
    out: list[list] = []  # [words, polarity, subjectivity, intensity, sign, label], as Pattern's dicts
    m = n = None  # the preceding modifier and negation
    for w in words:
        if w is None:
            continue
        facts = _facts.get(w) or _word_facts(w)
        scores = facts[0]
        if scores is not None:
            p, s, i = scores
            if m is None:
                out.append([[w], p, s, i, 1, facts[3]])
            else:
                last = out[-1]
                last[0].append(w)
                last[1] = max(-1.0, min(p * last[3], +1.0))
                last[2] = max(-1.0, min(s * last[3], +1.0))
                last[3] = i
                last[5] = facts[3]
            if n is not None:
                last = out[-1]
                last[0].insert(0, n)
                last[3] = 1.0 / last[3]
                last[4] = -1
            m = (w, None) if facts[1] else None
            n = w if facts[2] else None
            continue
        if facts[2]:
            n = w
        elif n and len(w.strip("'")) > 1:
            n = None
        if n is not None and m is not None and (negate_after_modifier or modifies(m[0])):
            out[-1][0].append(n)
            out[-1][4] = -1
            n = None
        elif m and len(w) > 2:
            m = None
        if w == "!" and len(out) > 0:
            out[-1][0].append("!")
            out[-1][1] = max(-1.0, min(out[-1][1] * 1.25, +1.0))
        if w == "(!)":
            out.append([[w], 0.0, 1.0, 1.0, 1, _pattern_module.IRONY])
        if facts[4] is not None:
            out.append([[w], facts[4], 1.0, 1.0, 1, _pattern_module.MOOD])
    return [(ws, p * -0.5 if sign < 0 else p, s, x) for ws, p, s, _i, sign, x in out]


def _pattern_score(text: str) -> tuple[float, float, int]:
    """Pattern polarity and subjectivity of ``text`` averaged over its evaluative
    assessments only; returns (polarity, subjectivity, number of assessments)."""
    # what ``_pattern_sentiment(text).assessments`` gives, tokenised by the same tokenizer with
    # each raw token's split remembered (issue 13)
    kept = [
        (p, s)
        for words, p, s, _ in _assess(" ".join(find_tokens(text)).lower().split())  # each word lower-cased
        if not (words and words[-1] in _NOT_EVALUATIVE)
    ]
    if not kept:
        return 0.0, 0.0, 0
    return (
        sum(p for p, _ in kept) / len(kept),
        sum(s for _, s in kept) / len(kept),
        len(kept),
    )


def _clauses(text: str) -> list[tuple[str, bool]]:
    """Split normalised ``text`` into (clause, emphasised) pairs; a clause is
    emphasised when it follows "but"/"however" or an "although ...," concession."""
    out: list[tuple[str, bool]] = []
    for sentence in _SENTENCE_SPLIT.split(text):
        sentence = sentence.strip(" ,")
        if not sentence:
            continue
        parts = _CONTRAST_SPLIT.split(sentence)
        # parts = [before, marker, after, marker, after, ...]
        out.append((parts[0], False))
        for j in range(1, len(parts), 2):
            marker, after = parts[j], parts[j + 1]
            if marker in _CONCESSIVE_MARKERS and "," in after:
                # "although it was late, they were lovely": the main clause follows the comma
                concession, main = after.split(",", 1)
                out.append((concession, False))
                out.append((main, True))
            else:
                out.append((after, marker in _EMPHASIS_MARKERS))
    return [(c.strip(" ,"), w) for c, w in out if c.strip(" ,")]


@dataclass(frozen=True)
class _ClauseEvidence:
    pattern_polarity: float
    pattern_subjectivity: float
    n_assessments: int
    domain: float
    emphasised: bool


def _evidence(text: str, nothing_means: str) -> tuple[_ClauseEvidence, ...]:
    """Parameter-free evidence for each clause of ``text`` (cached by the caller)."""
    norm = normalise(text).strip()
    if not norm:
        return ()
    norm = _NEGATED_NEGATIVE_RE.sub("fine", norm)
    nothing_bonus = 0.0
    m = _NOTHING_ANSWER_RE.match(norm)
    if m:
        sign = {"positive": 1.0, "negative": -1.0}.get(nothing_means, 0.0)
        # a bare "nothing" is a whole answer; "nothing, they were great" leads one
        nothing_bonus = sign * (1.0 if not re.search(r"[a-z]", m.group("rest")) else 0.6)
    out = []
    for k, (clause, emphasised) in enumerate(_clauses(norm)):
        pol, subj, n_assess = _pattern_score(clause)
        tokens = _tokens(clause)
        pos, neg = _domain_score(tokens)
        wish = _counterfactual(tokens)
        if wish < 0:
            # "could be more helpful": praise in a wish is a shortfall
            pol = pol if pol < 0 else -0.5 * pol
            pos = -0.5 * pos
            neg -= 0.5
        elif wish > 0:
            pos += 0.8
        dom = pos + neg - 0.5 * len(_DURATION_RE.findall(clause))
        if k == 0:
            dom += nothing_bonus
        out.append(_ClauseEvidence(pol, subj, n_assess, dom, emphasised))
    return tuple(out)


#: id of an evidence tuple -> (the tuple, the parameters, what :func:`combine_evidence` made of them)
_combined: dict[int, tuple[tuple[_ClauseEvidence, ...], SentimentParams, tuple[float, float, str]]] = {}


def combine_evidence(evidence: tuple[_ClauseEvidence, ...], params: SentimentParams) -> tuple[float, float, str]:
    """Turn clause evidence into (polarity, subjectivity, label) under ``params``.

    The evidence of a text is one cached tuple (:func:`cached_evidence`), combined for its
    sentiment and again for the learned model's rule features: the last few thousand results
    are remembered by that tuple (kept, so its id is not reused) and the parameters (issue 13).
    """
    known = _combined.get(id(evidence))
    if known is not None and known[0] is evidence and (known[1] is params or known[1] == params):
        return known[2]
    if len(_combined) >= 8192:
        _combined.clear()
    combined = _combine(evidence, params)
    _combined[id(evidence)] = (evidence, params, combined)
    return combined


def _combine(evidence: tuple[_ClauseEvidence, ...], params: SentimentParams) -> tuple[float, float, str]:
    scored: list[tuple[float, float]] = []
    subjectivities = [e.pattern_subjectivity for e in evidence if e.n_assessments]
    for e in evidence:
        s = e.pattern_polarity + params.domain_weight * math.tanh(e.domain)
        if s != 0.0:
            scored.append((s, params.contrast_weight if e.emphasised else 1.0))
    if not scored:
        return 0.0, 0.0, "neutral"
    score = sum(s * w for s, w in scored) / sum(w for _, w in scored)
    score = max(-1.0, min(1.0, score))
    subjectivity = sum(subjectivities) / len(subjectivities) if subjectivities else 0.0
    hi = max(s for s, _ in scored)
    lo = min(s for s, _ in scored)
    return score, subjectivity, _label(score, hi, lo, params)


def _label(score: float, hi: float, lo: float, params: SentimentParams) -> str:
    if hi >= params.mixed_threshold and lo <= -params.mixed_threshold:
        return "neutral"
    if score > params.positive_threshold:
        return "positive"
    if score < params.negative_threshold:
        return "negative"
    return "neutral"


def sentiment(
    text: object,
    *,
    nothing_means: Literal["positive", "neutral", "negative"] = "positive",
    params: SentimentParams = DEFAULT_PARAMS,
) -> Sentiment:
    """Score one free-text answer.

    Returns a :class:`Sentiment` (polarity in [-1, 1], subjectivity in [0, 1],
    label ``"positive"``/``"neutral"``/``"negative"``). Empty, ``None`` or
    non-string input gives ``Sentiment(0.0, 0.0, "neutral")``. Never raises for
    any text.

    ``nothing_means`` says how a bare "Nothing."/"None"/"No improvements needed"
    answer is read: ``"positive"`` (default) suits questions asking what did
    not help or what could be better; pass ``"negative"`` for questions such
    as "What helped?", where "nothing" is a complaint. Sentiment is only ever
    compared within one question key, so either reading is consistent.
    """
    if not isinstance(text, str) or not text.strip():
        return Sentiment(0.0, 0.0, "neutral")
    return _cached_sentiment(text, nothing_means, params)


@lru_cache(maxsize=8192)
def cached_evidence(text: str, nothing_means: str) -> tuple[_ClauseEvidence, ...]:
    """The clause evidence of ``text`` (what :func:`combine_evidence` scores), cached: the
    rules' scores that the learned model (``analysis/learning.py``) stacks on."""
    return _evidence(text, nothing_means)


def _cached_sentiment(text: str, nothing_means: str, params: SentimentParams) -> Sentiment:
    score, subj, label = combine_evidence(cached_evidence(text, nothing_means), params)
    return Sentiment(round(score, 6), round(subj, 6), label)


def baseline_label(text: object) -> str:
    """Label from plain TextBlob PatternAnalyzer polarity (> 0 positive, < 0
    negative, otherwise neutral) — the reference the evaluation compares with."""
    if not isinstance(text, str) or not text.strip():
        return "neutral"
    polarity = _pattern_sentiment(text)[0]
    return "positive" if polarity > 0 else "negative" if polarity < 0 else "neutral"
