"""Pattern's tokenizer, with each raw token's split remembered (issue 13).

TextBlob's English parser and its sentiment lexicon both cut text with Pattern's
``find_tokens`` (``textblob._text``): a few whole-text substitutions, a regular expression
that finds the raw tokens, then, token by token, leading and trailing punctuation split off
(periods kept on abbreviations), and finally the tokens grouped into sentences. The
token-by-token part is most of its time, and it depends on the raw token alone, which
recurs in every answer. :func:`find_tokens` is Pattern's function with that part
remembered per raw token (bounded); everything else is Pattern's own code path, so the
sentences are the same (``tests/analysis/test_pattern_tokens.py`` checks it against
Pattern's on the FFT comments and odd input). Only the defaults the parser and the
sentiment lexicon use are supported.
"""
from __future__ import annotations

import re
from itertools import chain

from textblob import _text as pattern  # Pattern's tokenizer constants (TextBlob keeps them there)

__all__ = ["find_tokens", "split_token"]

#: most raw tokens whose split is remembered
TOKEN_MEMO = 100_000

_PUNCTUATION = tuple(pattern.PUNCTUATION.replace(".", ""))
_TRAILING = _PUNCTUATION + (".",)
_REPLACE = pattern.replacements
_known: dict[str, tuple[str, ...]] = {}


def _split(t: str) -> tuple[str, ...]:
    """Pattern's split of one raw token (the loop body of ``find_tokens``), unchanged."""
    tokens: list[str] = []
    tail: list[str] = []
    while t.startswith(_PUNCTUATION) and t not in _REPLACE:
        tokens.append(t[0])
        t = t[1:]
    while t.endswith(_TRAILING) and t not in _REPLACE:
        if t.endswith(_PUNCTUATION):
            tail.append(t[-1])
            t = t[:-1]
        if t.endswith("..."):
            tail.append("...")
            t = t[:-3].rstrip(".")
        if t.endswith("."):
            if (t in pattern.ABBREVIATIONS or pattern.RE_ABBR1.match(t) is not None
                    or pattern.RE_ABBR2.match(t) is not None or pattern.RE_ABBR3.match(t) is not None):
                break
            tail.append(t[-1])
            t = t[:-1]
    if t != "":
        tokens.append(t)
    tokens.extend(reversed(tail))
    return tuple(tokens)


def split_token(raw: str) -> tuple[str, ...]:
    """The tokens Pattern makes of one raw token (remembered)."""
    found = _known.get(raw)
    if found is None:
        found = _split(raw)
        if len(_known) < TOKEN_MEMO:
            _known[raw] = found
    return found


# Pattern substitutes its contractions with ``re.sub``; they hold no special characters (tested),
# so a plain replace does the same
_LINEBREAKS = re.compile(r"\n{2,}")


#: every contraction Pattern splits off has an apostrophe (so text without one has none to split)
_CONTRACTIONS_NEED = "'" if all("'" in a for a in _REPLACE) else ""


def _raw_tokens(string: str) -> list[str]:
    if _CONTRACTIONS_NEED in string:
        for a, b in _REPLACE.items():
            string = string.replace(a, b)
    string = (string.replace("“", " “ ").replace("”", " ” ").replace("‘", " ‘ ").replace("’", " ’ ")
              .replace("'", " ' ").replace('"', ' " '))
    string = string.replace("\r\n", "\n")
    if "\n\n" in string:
        string = _LINEBREAKS.sub(f" {pattern.EOS} ", string)
    # Pattern collapses white space (``\s+``) to one space and finds ``(\S+)\s`` in the text with a
    # space added: the runs of non-space, what ``str.split`` gives (the same white space, Unicode's)
    return string.split()


_SENTENCE_ENDS = ("...", ".", "!", "?", pattern.EOS)
_SENTENCE_END_SET = frozenset(_SENTENCE_ENDS)
_CLOSERS = ("'", '"', "”", "’", "...", ".", "!", "?", ")", pattern.EOS)


def find_tokens(string: object) -> list[str]:
    """``textblob.en.parser.find_tokens(string)``: the sentences of ``string``, each a
    space-separated string of tokens."""
    raws = _raw_tokens(str(string))
    found = list(map(_known.get, raws))
    if None in found:
        found = [split_token(raw) if split is None else split for raw, split in zip(raws, found)]
    tokens = list(chain.from_iterable(found))
    sentences: list[list[str]] = [[]]
    i = j = 0
    n = len(tokens)
    # Pattern's loop looks at every token for a sentence end; only those at a sentence end
    # do anything, and after one it resumes past the closers, on a token that is no end
    for end in [k for k, token in enumerate(tokens) if token in _SENTENCE_END_SET]:
        if end < j:
            continue  # taken in with the closers of the sentence before
        j = end
        while j < n and tokens[j] in _CLOSERS:
            if tokens[j] in ("'", '"') and sentences[-1].count(tokens[j]) % 2 == 0:
                break  # balanced quotes
            j += 1
        sentences[-1].extend(t for t in tokens[i:j] if t != pattern.EOS)
        sentences.append([])
        i = j
        j += 1
    sentences[-1].extend(tokens[i:])
    joined = (" ".join(s) for s in sentences if s)
    # each substitution only where it can match (Pattern makes both on every sentence)
    joined = (pattern.RE_SARCASM.sub("(!)", s) if "(" in s else s for s in joined)
    return [pattern.RE_EMOTICONS.sub(_emoticon, s) if not _EMOTICON_KEYS.isdisjoint(s) else s for s in joined]


def _emoticon(match: re.Match) -> str:
    return match.group(1).replace(" ", "") + match.group(2)


def _emoticon_keys() -> frozenset[str]:
    """A character of each of Pattern's emoticons, the rarest in text: a sentence with none of
    them has no emoticon, so ``RE_EMOTICONS`` cannot match in it (it matches an emoticon's
    characters, spaces allowed between them)."""
    common = set("abcdefghijklmnopqrstuvwxyz0123456789.,'-/")
    keys = set()
    for emoticons in pattern.EMOTICONS.values():
        for emoticon in emoticons:
            rare = [c for c in emoticon if c not in common]
            keys.add(rare[0] if rare else emoticon[0])
    return frozenset(keys)


_EMOTICON_KEYS = _emoticon_keys()
