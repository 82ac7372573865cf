"""The codebook: themes of neglect practice and children's experience, each
with readable patterns, matched deductively against free-text answers.

Pattern language
================
A theme's ``patterns`` (and optional ``exclude``) are short strings, matched
against the answer's words case-insensitively (typographic apostrophes are
made plain; a possessive ``'s`` is ignored, so ``social worker`` matches
"social worker's"):

``plan``
    a plain word matches that word and its simple plural (``plans``), and a
    plural pattern matches the singular too (``families`` ~ ``family``).
``listen*``
    ``*`` is a wildcard for any ending: listen, listens, listened, listening.
    It may appear inside a word too (``multi*agency``); at least two
    letters must come before the first ``*``. A wildcard word is matched by
    finding its fixed pieces in order (never by a backtracking regular
    expression), so matching takes time linear in the answer's length
    whatever an analyst types.
``day in my life``
    words separated by spaces must follow one another in the answer.
    Hyphens count as spaces (``multi-agency`` = ``multi agency``).
``chang* .. social worker*``
    ``..`` allows up to three other words in between ("changed my social
    worker", "changing our social workers").

A phrase never matches across a comma or a sentence end (. ! ? ; or a line
break).
``exclude`` patterns remove a match whose words overlap a match of any
exclude pattern (e.g. ``school`` with exclude ``school holiday*``).

Negation
========
Every match records ``negated=True`` when "not", "no", "never", "nothing",
"nobody", "without", "lack of" or any ``n't`` word comes in the three words
before it (not across a comma, sentence end or "but"). Themes are *topics*, so by default a
negated mention still counts: "there was no food at home" is about practical
needs, "nobody listened" is about being listened to. A theme with
``on_negation: ignore`` (for positive-only themes such as praise for a
worker) does not count negated mentions in :meth:`Codebook.match`; they are
still reported by :meth:`Codebook.matches` with ``counted=False``.

Validation errors raise :class:`CodebookError` naming the theme and what is
wrong. Editing functions (:func:`add_theme`, :func:`rename_theme`,
:func:`merge_themes`, :func:`add_pattern`, :func:`remove_pattern`) return a new
:class:`Codebook`.
"""
from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .text import is_negator, lemmatise, normalise, word_tokens

__all__ = [
    "CodebookError",
    "Theme",
    "ThemeMatch",
    "Codebook",
    "load_codebook",
    "shipped_codebook",
    "add_theme",
    "rename_theme",
    "merge_themes",
    "add_pattern",
    "remove_pattern",
    "DEFAULT_CODEBOOK_PATH",
]

DEFAULT_CODEBOOK_PATH = Path(__file__).parent / "codebook.yaml"

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PATTERN_CHARS_RE = re.compile(r"^[a-z0-9'*\-. /]+$")
_TERM_RE = re.compile(r"^[a-z0-9][a-z0-9']*$|^[a-z0-9']{2,}\*[a-z0-9'*]*$")
#: Punctuation kept as a token: a sentence end is a boundary no pattern matches across.
_BOUNDARY_PATTERN = r"[.!?;,\n]"
_BOUNDARY = "|"
_GAP = ".."
_MAX_GAP = 3
#: most tokens each wildcard remembers the answer for (:meth:`_Wildcard.matches`)
_WILDCARD_MEMO = 50_000
MAX_PATTERN_LENGTH = 120
_NEGATION_WINDOW = 3
_ON_NEGATION = ("match", "ignore")


class CodebookError(ValueError):
    """A codebook (or an edit to it) is invalid; the message names the theme."""


def _norm_token(tok: str) -> str:
    if tok.endswith("'s"):
        tok = tok[:-2]
    return tok


def _words(text: object) -> list[str]:
    """Tokens for matching: words, with sentence ends as a boundary marker."""
    # _norm_token inline: a comprehension, no call a token (issue 13)
    return [_BOUNDARY if tok in ".!?;,\n" else tok[:-2] if tok.endswith("'s") else tok
            for tok in word_tokens(normalise(text).replace("-", " ").replace("/", " "), after=_BOUNDARY_PATTERN)]


@dataclass(frozen=True)
class _Wildcard:
    """A word with ``*`` wildcards (``multi*agency``), as its fixed pieces.

    A token matches when it starts with ``head``, ends with ``tail`` and holds each of
    ``middle`` in order in between. Taking the leftmost place for each middle piece is
    always right for ``*``-only patterns, so one left-to-right pass decides: time linear
    in the token's length (times the pattern's, which is bounded), with no backtracking.
    """

    head: str
    middle: tuple[str, ...]
    tail: str
    #: answers to :meth:`matches` so far (issue 13: the same words recur in every answer);
    #: bounded by :data:`_WILDCARD_MEMO` entries so odd input cannot grow it without end
    known: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def parse(cls, piece: str) -> "_Wildcard":
        """The wildcard of a pattern word containing at least one ``*``."""
        parts = piece.split("*")
        return cls(parts[0], tuple(p for p in parts[1:-1] if p), parts[-1])

    def matches(self, tok: str) -> bool:
        """Whether the whole of ``tok`` matches the wildcard (remembered per token)."""
        found = self.known.get(tok)
        if found is None:
            found = self._matches(tok)
            if len(self.known) < _WILDCARD_MEMO:
                self.known[tok] = found
        return found

    def _matches(self, tok: str) -> bool:
        fixed = len(self.head) + len(self.tail)
        if len(tok) < fixed + sum(len(p) for p in self.middle):
            return False
        if not tok.startswith(self.head) or not tok.endswith(self.tail):
            return False
        position, end = len(self.head), len(tok) - len(self.tail)
        for piece in self.middle:
            found = tok.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True


@dataclass(frozen=True)
class _Term:
    text: str
    wildcard: _Wildcard | None

    @cached_property
    def lemma(self) -> str:
        return lemmatise(self.text)

    def matches(self, tok: str) -> bool:
        if tok == _BOUNDARY:
            return False
        if self.wildcard is not None:
            return self.wildcard.matches(tok)
        return tok == self.text or lemmatise(tok) == self.lemma



#: (theme, its patterns and excludes each with the id of its first word) in codebook order
_Plan = list[tuple["Theme", tuple[tuple["_CompiledPattern", int], ...], tuple[tuple["_CompiledPattern", int], ...]]]


class _FirstWords:
    """The first words of a codebook's patterns, looked up by token (issue 13).

    A plain word matches a token equal to it or with the same lemma, so it is found by
    two dict lookups; a wildcard word starts with at least two fixed letters, so only the
    wildcards sharing a token's first two letters are tried. :meth:`places` gives, for
    every first word (by id), the positions :meth:`_Term.matches` accepts, in order: the
    same positions as trying every pattern at every token, without the trying; only the
    themes with a pattern whose first word is there need looking at (:meth:`themes_in`).
    """

    def __init__(self, compiled: list[tuple["Theme", tuple["_CompiledPattern", ...], tuple["_CompiledPattern", ...]]]):
        ids: dict[_Term, int] = {}
        for _theme, patterns, excludes in compiled:
            for pat in (*patterns, *excludes):
                ids.setdefault(pat.parts[0], len(ids))
        self.plan: _Plan = [(theme, tuple((p, ids[p.parts[0]]) for p in patterns),
                             tuple((p, ids[p.parts[0]]) for p in excludes)) for theme, patterns, excludes in compiled]
        self.themes_of: dict[int, list[int]] = {}
        for index, (_theme, patterns, _excludes) in enumerate(self.plan):
            for _pat, term in patterns:
                if index not in self.themes_of.setdefault(term, []):
                    self.themes_of[term].append(index)
        self.by_text: dict[str, list[int]] = {}
        self.by_lemma: dict[str, list[int]] = {}
        self.wildcards: dict[str, list[tuple[_Term, int]]] = {}
        for term, term_id in ids.items():
            if term.wildcard is None:
                self.by_text.setdefault(term.text, []).append(term_id)
                self.by_lemma.setdefault(term.lemma, []).append(term_id)
            else:
                self.wildcards.setdefault(term.text[:2], []).append((term, term_id))
        #: answers of :meth:`matching` so far, bounded like a wildcard's
        self.known: dict[str, tuple[int, ...]] = {}

    def matching(self, tok: str) -> tuple[int, ...]:
        """The ids of the first words that match ``tok`` (remembered per token)."""
        found = self.known.get(tok)
        if found is None:
            terms: set[int] = set()
            if tok != _BOUNDARY:
                terms.update(self.by_text.get(tok, ()))
                terms.update(self.by_lemma.get(lemmatise(tok), ()))
                terms.update(term_id for term, term_id in self.wildcards.get(tok[:2], ()) if term.matches(tok))
            found = tuple(terms)
            if len(self.known) < _WILDCARD_MEMO:
                self.known[tok] = found
        return found

    def places(self, words: list[str]) -> dict[int, list[int]]:
        """For each first word (by id) found in ``words``, the positions where it matches, ascending."""
        places: dict[int, list[int]] = {}
        known = self.known
        for i, tok in enumerate(words):
            found = known.get(tok)  # most tokens are remembered, and start no pattern (issue 13)
            for term in self.matching(tok) if found is None else found:
                places.setdefault(term, []).append(i)
        return places

    def themes_in(self, places: dict[int, list[int]]) -> list[int]:
        """Indexes (in codebook order) of the themes with a pattern whose first word is in ``places``."""
        return sorted({index for term in places for index in self.themes_of.get(term, ())})


@dataclass(frozen=True)
class _CompiledPattern:
    source: str
    # each element: a _Term, or None for a gap of up to _MAX_GAP words
    parts: tuple[_Term | None, ...]

    def find(self, words: list[str], starts: Iterable[int]) -> list[tuple[int, int]]:
        """All (start, end) token spans where this pattern matches, tried only at ``starts``
        (the positions where its first word matches: :meth:`_FirstWords.places`)."""
        spans = []
        for i in starts:
            end = self._match_from(words, 1, i + 1)
            if end is not None:
                spans.append((i, end))
        return spans

    def _match_from(self, words: list[str], k: int, pos: int) -> int | None:
        if k == len(self.parts):
            return pos
        part = self.parts[k]
        if part is None:  # gap: try 0..3 skipped words, never across a sentence end
            for skip in range(_MAX_GAP + 1):
                if skip and (pos + skip - 1 >= len(words) or words[pos + skip - 1] == _BOUNDARY):
                    break
                end = self._match_from(words, k + 1, pos + skip)
                if end is not None:
                    return end
            return None
        if pos < len(words) and part.matches(words[pos]):
            return self._match_from(words, k + 1, pos + 1)
        return None


def _compile_pattern(pattern: object, theme_key: str, field_name: str = "patterns") -> _CompiledPattern:
    if not isinstance(pattern, str) or not pattern.strip():
        raise CodebookError(f"theme '{theme_key}': empty pattern in {field_name}")
    source = pattern.strip().lower()
    if len(source) > MAX_PATTERN_LENGTH:
        raise CodebookError(
            f"theme '{theme_key}': bad pattern in {field_name}: longer than {MAX_PATTERN_LENGTH} characters"
        )
    if not _PATTERN_CHARS_RE.match(source):
        bad = sorted(set(re.sub(r"[a-z0-9'*\-. /]", "", source)))
        raise CodebookError(
            f"theme '{theme_key}': bad pattern {pattern!r} in {field_name}: "
            f"character(s) {' '.join(bad)} not allowed (use words, * and ..)"
        )
    pieces = source.replace("-", " ").replace("/", " ").split()
    parts: list[_Term | None] = []
    for piece in pieces:
        if piece == _GAP:
            if not parts or parts[-1] is None:
                raise CodebookError(
                    f"theme '{theme_key}': bad pattern {pattern!r} in {field_name}: "
                    "'..' must sit between two words"
                )
            parts.append(None)
            continue
        if not _TERM_RE.match(piece):
            raise CodebookError(
                f"theme '{theme_key}': bad pattern {pattern!r} in {field_name}: {piece!r} is not a "
                "word or a stem* (a wildcard needs at least two letters before '*'; '.' only as '..')"
            )
        if "*" in piece:
            parts.append(_Term(piece, _Wildcard.parse(piece)))
        else:
            parts.append(_Term(_norm_token(piece), None))
    if parts[-1] is None:
        raise CodebookError(
            f"theme '{theme_key}': bad pattern {pattern!r} in {field_name}: '..' must sit between two words"
        )
    return _CompiledPattern(source, tuple(parts))


@dataclass(frozen=True)
class Theme:
    """One codebook theme. ``key`` is the stable slug stored with answers."""

    key: str
    name: str
    description: str = ""
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    on_negation: str = "match"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (as in the YAML file)."""
        d: dict[str, Any] = {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "patterns": list(self.patterns),
        }
        if self.exclude:
            d["exclude"] = list(self.exclude)
        if self.on_negation != "match":
            d["on_negation"] = self.on_negation
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Theme":
        """Build and validate a theme; raises :class:`CodebookError`."""
        if not isinstance(d, Mapping):
            raise CodebookError(f"theme entry must be a mapping, got {type(d).__name__}")
        key = d.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise CodebookError(
                f"theme {key!r}: key must be a lower-case slug (letters, digits, underscores)"
            )
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CodebookError(f"theme '{key}': name is missing")
        patterns = d.get("patterns") or []
        if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)):
            raise CodebookError(f"theme '{key}': patterns must be a list of strings")
        if not patterns:
            raise CodebookError(f"theme '{key}': patterns is empty")
        exclude = d.get("exclude") or []
        if isinstance(exclude, str) or not isinstance(exclude, (list, tuple)):
            raise CodebookError(f"theme '{key}': exclude must be a list of strings")
        on_negation = d.get("on_negation", "match")
        if on_negation not in _ON_NEGATION:
            raise CodebookError(
                f"theme '{key}': on_negation must be one of {', '.join(_ON_NEGATION)}, got {on_negation!r}"
            )
        unknown = set(d) - {"key", "name", "description", "patterns", "exclude", "on_negation"}
        if unknown:
            raise CodebookError(f"theme '{key}': unknown field(s) {', '.join(sorted(unknown))}")
        theme = cls(
            key=key,
            name=name.strip(),
            description=str(d.get("description") or "").strip(),
            patterns=tuple(str(p).strip() for p in patterns if isinstance(p, str)),
            exclude=tuple(str(p).strip() for p in exclude if isinstance(p, str)),
            on_negation=on_negation,
        )
        if len(theme.patterns) != len(patterns) or len(theme.exclude) != len(exclude):
            raise CodebookError(f"theme '{key}': every pattern must be a string")
        theme._compiled()  # validates every pattern
        return theme

    def _compiled(self) -> tuple[tuple[_CompiledPattern, ...], tuple[_CompiledPattern, ...]]:
        seen = set()
        for p in self.patterns:
            if p.strip().lower() in seen:
                raise CodebookError(f"theme '{self.key}': duplicate pattern {p!r}")
            seen.add(p.strip().lower())
        return (
            tuple(_compile_pattern(p, self.key) for p in self.patterns),
            tuple(_compile_pattern(p, self.key, "exclude") for p in self.exclude),
        )


@dataclass(frozen=True)
class ThemeMatch:
    """One place a theme's pattern matched an answer.

    ``words`` is the matched text (normalised), ``start``/``end`` token
    positions, ``negated`` whether a negator came just before, and
    ``counted`` whether the match counts towards :meth:`Codebook.match`.
    """

    theme: str
    pattern: str
    words: str
    start: int
    end: int
    negated: bool
    counted: bool


@dataclass(frozen=True)
class Codebook:
    """An immutable, validated set of themes. Build with :meth:`from_dict` or
    :func:`load_codebook`."""

    themes: tuple[Theme, ...]
    name: str = "Codebook"
    #: keys of themes merged away -> key of the theme that absorbed them
    merged: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for t in self.themes:
            if t.key in seen:
                raise CodebookError(f"theme '{t.key}': duplicate key")
            seen.add(t.key)

    # --- construction and serialisation ---------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Codebook":
        """Validate plain data (``{"name":..., "themes": [...], "merged": {...}}``)
        and build a codebook. Raises :class:`CodebookError` naming the theme
        for a duplicate key, a missing name, empty patterns or a bad pattern."""
        if not isinstance(d, Mapping):
            raise CodebookError("codebook must be a mapping with a 'themes' list")
        raw = d.get("themes")
        if not isinstance(raw, list) or not raw:
            raise CodebookError("codebook has no 'themes' list")
        themes = []
        seen: set[str] = set()
        for entry in raw:
            theme = Theme.from_dict(entry)
            if theme.key in seen:
                raise CodebookError(f"theme '{theme.key}': duplicate key")
            seen.add(theme.key)
            themes.append(theme)
        merged = d.get("merged") or {}
        if not isinstance(merged, Mapping):
            raise CodebookError("'merged' must map old theme keys to current ones")
        for old, new in merged.items():
            if new not in seen:
                raise CodebookError(f"theme '{old}': merged into unknown theme '{new}'")
        return cls(tuple(themes), str(d.get("name") or "Codebook"), dict(merged))

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` accepts (round-trips exactly)."""
        d: dict[str, Any] = {"name": self.name, "themes": [t.to_dict() for t in self.themes]}
        if self.merged:
            d["merged"] = dict(sorted(self.merged.items()))
        return d

    def version_hash(self) -> str:
        """A 16-hex-digit SHA-256 of the canonical JSON of :meth:`to_dict`; changes
        whenever a theme, pattern or name changes (store it with the matches)."""
        return self._version_hash

    @cached_property
    def _version_hash(self) -> str:
        # A codebook never changes (edits return a new one), so the hash is worked out once.
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    # --- lookup ---------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        """Theme keys in codebook order."""
        return [t.key for t in self.themes]

    def theme(self, key: str) -> Theme:
        """The theme with ``key`` (a merged-away key resolves to its new theme).
        Raises ``KeyError`` if unknown."""
        key = self.merged.get(key, key)
        for t in self.themes:
            if t.key == key:
                return t
        raise KeyError(key)

    def canonical_key(self, key: str) -> str:
        """``key``, or the key of the theme it was merged into."""
        return self.merged.get(key, key)

    @cached_property
    def _compiled(self) -> list[tuple[Theme, tuple[_CompiledPattern, ...], tuple[_CompiledPattern, ...]]]:
        return [(t, *t._compiled()) for t in self.themes]

    @cached_property
    def _first_words(self) -> _FirstWords:
        return _FirstWords(self._compiled)

    def __getstate__(self) -> dict[str, Any]:
        # what is worked out from the themes (compiled patterns, first words, their memos) is
        # not sent to worker processes with the codebook: each works it out again
        return {k: v for k, v in self.__dict__.items() if k not in ("_compiled", "_first_words")}

    # --- matching -------------------------------------------------------
    def matches(self, text: object) -> list[ThemeMatch]:
        """Every pattern match in ``text`` (after excludes), in codebook order
        then position. Never raises; empty/non-text input gives ``[]``."""
        words = _words(text)
        if not words:
            return []
        index = self._first_words
        starts = index.places(words)
        out: list[ThemeMatch] = []
        for theme_index in index.themes_in(starts):
            theme, patterns, excludes = index.plan[theme_index]
            excluded = _Spans([span for ex, first in excludes if first in starts for span in ex.find(words, starts[first])])
            seen_spans: set[tuple[int, int]] = set()
            for pat, first in patterns:
                if first not in starts:
                    continue
                for start, end in pat.find(words, starts[first]):
                    if (start, end) in seen_spans:
                        continue
                    if excluded.overlaps(start, end):
                        continue
                    seen_spans.add((start, end))
                    negated = _negated(words, start)
                    out.append(
                        ThemeMatch(
                            theme=theme.key,
                            pattern=pat.source,
                            words=" ".join(words[start:end]),
                            start=start,
                            end=end,
                            negated=negated,
                            counted=not (negated and theme.on_negation == "ignore"),
                        )
                    )
        return out

    def match(self, text: object) -> list[str]:
        """Keys of the themes found in ``text``, in codebook order, each once."""
        found = {m.theme for m in self.matches(text) if m.counted}
        return [k for k in self.keys if k in found]

    def covers(self, phrase: str) -> bool:
        """True when some theme pattern matches the whole of ``phrase`` or any of
        its words' spans — used to leave already-coded phrases out of emerging ones."""
        return bool(self.matches(phrase))


class _Spans:
    """Token spans, asked whether any overlaps a span in O(log n) (so many matches of a
    theme against many excluded spans never take quadratic time)."""

    def __init__(self, spans: list[tuple[int, int]]):
        ordered = sorted(spans)
        self.starts = [start for start, _end in ordered]
        self.furthest_end: list[int] = []
        furthest = -1
        for _start, end in ordered:
            furthest = max(furthest, end)
            self.furthest_end.append(furthest)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span (s, e) has s < end and start < e."""
        before = bisect_left(self.starts, end)  # spans starting before ``end``
        return before > 0 and self.furthest_end[before - 1] > start


def _negated(words: list[str], start: int) -> bool:
    for tok in reversed(words[max(0, start - _NEGATION_WINDOW) : start]):
        if tok == _BOUNDARY or tok == "but":
            return False
        if is_negator(tok):
            return True
    return False


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook YAML file (default: the shipped
    ``analysis/codebook.yaml``). Raises ``FileNotFoundError`` or
    :class:`CodebookError` (also for YAML syntax errors)."""
    path = Path(path) if path is not None else DEFAULT_CODEBOOK_PATH
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path.name}: not valid YAML ({exc})") from exc
    return Codebook.from_dict(data)


@lru_cache(maxsize=1)
def shipped_codebook() -> Codebook:
    """The codebook shipped with the app (``analysis/codebook.yaml``), parsed once per
    process (the file is read-only): the one cache of it. A :class:`Codebook` is frozen,
    so sharing it is safe."""
    return load_codebook()


# --- editing: pure functions returning a new Codebook --------------------------

def add_theme(codebook: Codebook, theme: Theme | Mapping[str, Any]) -> Codebook:
    """A new codebook with ``theme`` appended. Raises :class:`CodebookError` for
    a duplicate key or an invalid theme."""
    new = theme if isinstance(theme, Theme) else Theme.from_dict(theme)
    if isinstance(theme, Theme):
        Theme.from_dict(theme.to_dict())
    if new.key in codebook.keys or new.key in codebook.merged:
        raise CodebookError(f"theme '{new.key}': duplicate key")
    return replace(codebook, themes=codebook.themes + (new,))


def rename_theme(codebook: Codebook, key: str, name: str) -> Codebook:
    """A new codebook where theme ``key`` has display name ``name`` (the key,
    which stored answers refer to, stays). Raises :class:`CodebookError` for an
    unknown key or an empty name."""
    if key not in codebook.keys:
        raise CodebookError(f"theme '{key}': no such theme to rename")
    if not isinstance(name, str) or not name.strip():
        raise CodebookError(f"theme '{key}': new name is empty")
    return replace(
        codebook,
        themes=tuple(replace(t, name=name.strip()) if t.key == key else t for t in codebook.themes),
    )


def merge_themes(codebook: Codebook, a: str, b: str, *, name: str | None = None) -> Codebook:
    """A new codebook where theme ``b`` is folded into theme ``a``: ``a`` gains
    ``b``'s patterns and excludes (duplicates dropped), ``b`` is removed and
    recorded in ``merged`` so stored answers tagged ``b`` can be read as ``a``.
    Raises :class:`CodebookError` for unknown keys or ``a == b``."""
    for k in (a, b):
        if k not in codebook.keys:
            raise CodebookError(f"theme '{k}': no such theme to merge")
    if a == b:
        raise CodebookError(f"theme '{a}': cannot merge a theme with itself")
    ta, tb = codebook.theme(a), codebook.theme(b)

    def union(x: Iterable[str], y: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for p in [*x, *y]:
            if p.lower() not in {q.lower() for q in out}:
                out.append(p)
        return tuple(out)

    merged_theme = replace(
        ta,
        name=name.strip() if name else ta.name,
        patterns=union(ta.patterns, tb.patterns),
        exclude=union(ta.exclude, tb.exclude),
    )
    merged_map = {old: (a if new == b else new) for old, new in codebook.merged.items()}
    merged_map[b] = a
    return replace(
        codebook,
        themes=tuple(merged_theme if t.key == a else t for t in codebook.themes if t.key != b),
        merged=merged_map,
    )


def add_pattern(codebook: Codebook, key: str, pattern: str, *, exclude: bool = False) -> Codebook:
    """A new codebook with ``pattern`` added to theme ``key``'s patterns (or
    its excludes when ``exclude=True``). Raises :class:`CodebookError` for an
    unknown key, a bad pattern or a duplicate."""
    if key not in codebook.keys:
        raise CodebookError(f"theme '{key}': no such theme")
    theme = codebook.theme(key)
    field_name = "exclude" if exclude else "patterns"
    _compile_pattern(pattern, key, field_name)
    existing = getattr(theme, field_name)
    if pattern.strip().lower() in {p.lower() for p in existing}:
        raise CodebookError(f"theme '{key}': duplicate pattern {pattern!r} in {field_name}")
    new_theme = replace(theme, **{field_name: existing + (pattern.strip(),)})
    return replace(codebook, themes=tuple(new_theme if t.key == key else t for t in codebook.themes))


def remove_pattern(codebook: Codebook, key: str, pattern: str, *, exclude: bool = False) -> Codebook:
    """A new codebook without ``pattern`` in theme ``key``'s patterns (or its excludes when
    ``exclude=True``). Raises :class:`CodebookError` for an unknown theme, a pattern the
    theme does not have, or the theme's last pattern (a theme needs one: merge it instead)."""
    if key not in codebook.keys:
        raise CodebookError(f"theme '{key}': no such theme")
    theme = codebook.theme(key)
    field_name = "exclude" if exclude else "patterns"
    existing = getattr(theme, field_name)
    wanted = pattern.strip().lower()
    kept = tuple(p for p in existing if p.strip().lower() != wanted)
    if len(kept) == len(existing):
        raise CodebookError(f"theme '{key}': has no pattern {pattern.strip()!r} in {field_name}")
    if not exclude and not kept:
        raise CodebookError(
            f"theme '{key}': {pattern.strip()!r} is its only pattern; a theme needs one (merge the theme instead)"
        )
    new_theme = replace(theme, **{field_name: kept})
    return replace(codebook, themes=tuple(new_theme if t.key == key else t for t in codebook.themes))
