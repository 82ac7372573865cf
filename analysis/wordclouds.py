"""Word clouds as PNG bytes, offline (the wordcloud package's bundled font)."""
from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from . import ANALYSER_VERSION
from .disclosure import DisclosurePolicy
from .emerging import log_odds_z
from .text import content_tokens, content_words

__all__ = ["word_cloud_png", "whats_new_cloud_png", "cache_key", "word_frequencies", "cloud_words",
           "cloud_weights", "whats_new_weights", "has_cloud_words", "whats_new_of", "CloudWords",
           "word_cloud_png_of", "whats_new_png_of", "words_key"]

_WIDTH, _HEIGHT = 800, 400
_RANDOM_STATE = 42
_MAX_WORDS = 100


def word_frequencies(texts: Iterable[object], extra_stopwords: Iterable[str] = ()) -> Counter[str]:
    """Content-word counts over ``texts`` (English and domain stopwords removed), by lemma."""
    extra = frozenset(w.lower() for w in extra_stopwords)
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(content_tokens(t, extra))
    return counts


@dataclass
class CloudWords:
    """The words of some answers: uses and answers per lemma, and how each is written."""

    uses: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    written: dict[str, Counter[str]] = field(default_factory=dict)

    def shown_as(self, lemma: str) -> str:
        """The lemma as people wrote it most often (ties: the shorter, then alphabetical),
        so a cloud shows "clothes", never a broken stem such as "clothe"."""
        forms = self.written[lemma]
        return min(forms, key=lambda w: (-forms[w], len(w), w))


def cloud_words(texts: Iterable[object], extra_stopwords: Iterable[str] = ()) -> CloudWords:
    """Count the content words of ``texts`` by lemma, remembering their written forms."""
    extra = frozenset(w.lower() for w in extra_stopwords)
    found = CloudWords()
    for t, times in Counter(t if isinstance(t, str) else "" for t in texts).items():
        pairs = content_words(t, extra)
        for word, lemma in pairs:
            found.uses[lemma] += times
            found.written.setdefault(lemma, Counter())[word] += times
        for lemma in {lemma for _word, lemma in pairs}:
            found.answers[lemma] += times
    return found


def _shown(words: CloudWords, weights: dict[str, float], min_answers: int) -> dict[str, float]:
    """``weights`` by lemma as weights by written word, keeping only words used in at
    least ``min_answers`` answers (a word few people used could identify them)."""
    policy = DisclosurePolicy(max(1, int(min_answers)))
    shown = {words.shown_as(lemma): w for lemma, w in weights.items() if policy.phrase_reportable(words.answers[lemma])}
    # Heaviest first, ties alphabetically: the layout does not depend on the order words were counted in.
    return dict(sorted(shown.items(), key=lambda item: (-item[1], item[0])))


def _render(frequencies: dict[str, float], empty_message: str) -> bytes:
    from wordcloud import WordCloud

    if not frequencies:
        return _placeholder_png(empty_message)
    cloud = WordCloud(
        width=_WIDTH, height=_HEIGHT, background_color="white", random_state=_RANDOM_STATE,
        max_words=_MAX_WORDS, prefer_horizontal=0.9, colormap="viridis",
    ).generate_from_frequencies(frequencies)
    buf = io.BytesIO()
    cloud.to_image().save(buf, format="PNG")
    return buf.getvalue()


def _placeholder_png(message: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont
    from wordcloud.wordcloud import FONT_PATH

    img = Image.new("RGB", (_WIDTH, _HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT_PATH, 28)
    draw.text((_WIDTH // 2, _HEIGHT // 2), message, fill="#555555", font=font, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def cloud_weights(texts: Iterable[object], extra_stopwords: Iterable[str] = (), *,
                  min_answers: int = 1) -> dict[str, float]:
    """The words of a word cloud of ``texts`` and their sizes (uses), each written as
    people wrote it and used in at least ``min_answers`` answers. ``{}`` when none."""
    words = cloud_words(texts, extra_stopwords)
    return _shown(words, dict(words.uses), min_answers)


def has_cloud_words(texts: Iterable[object], extra_stopwords: Iterable[str] = (), *, min_answers: int = 1) -> bool:
    """True when some content word of ``texts`` is used in at least ``min_answers``
    answers (the cloud has something to draw). Stops at the first such word, so a large
    round costs a few dozen answers, not all of them."""
    extra = frozenset(w.lower() for w in extra_stopwords)
    policy = DisclosurePolicy(max(1, int(min_answers)))
    answers: Counter[str] = Counter()
    for t in texts:
        for lemma in {lemma for _word, lemma in content_words(t, extra)}:
            answers[lemma] += 1
            if policy.phrase_reportable(answers[lemma]):
                return True
    return False


def whats_new_weights(current_texts: Iterable[object], previous_texts: Iterable[object],
                      extra_stopwords: Iterable[str] = (), *, min_answers: int = 1) -> dict[str, float]:
    """The words over-represented in ``current_texts`` versus ``previous_texts``
    (weighted log-odds z > 1.96 with an informative prior, used at least twice and in
    at least ``min_answers`` answers), sized by z. ``{}`` when nothing stands out."""
    return whats_new_of(cloud_words(current_texts, extra_stopwords), word_frequencies(previous_texts, extra_stopwords),
                        min_answers=min_answers)


def whats_new_of(cur: CloudWords, old: Counter[str], *, min_answers: int = 1) -> dict[str, float]:
    """:func:`whats_new_weights` from counted words: this round's, and the uses of each
    lemma in the previous round (e.g. from tallies kept as answers arrive)."""
    z = log_odds_z(cur.uses, old)
    weights = {w: s for w, s in z.items() if s > 1.96 and cur.uses.get(w, 0) >= 2}
    return _shown(cur, weights, min_answers)


def word_cloud_png(texts: Iterable[object], extra_stopwords: Iterable[str] = (), *, min_answers: int = 1) -> bytes:
    """A PNG word cloud of :func:`cloud_weights`. Deterministic for the same input. With
    no usable words, a PNG saying "Not enough words yet". Never downloads anything."""
    return _render(cloud_weights(texts, extra_stopwords, min_answers=min_answers), "Not enough words yet")


def whats_new_cloud_png(
    current_texts: Iterable[object], previous_texts: Iterable[object], extra_stopwords: Iterable[str] = (),
    *, min_answers: int = 1,
) -> bytes:
    """A PNG word cloud of :func:`whats_new_weights`. A placeholder PNG when nothing
    stands out."""
    return _render(whats_new_weights(current_texts, previous_texts, extra_stopwords, min_answers=min_answers),
                   "Nothing new stands out")


def word_cloud_png_of(words: CloudWords, *, min_answers: int = 1) -> bytes:
    """:func:`word_cloud_png` from counted words (e.g. tallies kept as answers arrive)."""
    return _render(_shown(words, dict(words.uses), min_answers), "Not enough words yet")


def whats_new_png_of(words: CloudWords, previous_uses: Counter[str], *, min_answers: int = 1) -> bytes:
    """:func:`whats_new_cloud_png` from counted words: this round's, and the previous round's uses per lemma."""
    return _render(whats_new_of(words, previous_uses, min_answers=min_answers), "Nothing new stands out")


def words_key(words: CloudWords, *parts: object) -> str:
    """:func:`cache_key` of counted words: the same for the same counts, however they were counted."""
    content = [(lemma, words.uses[lemma], words.answers[lemma], sorted(words.written.get(lemma, {}).items()))
               for lemma in sorted(words.uses.keys() | words.answers.keys())]
    return cache_key([repr(content)], "counted", *parts)


def cache_key(texts: Iterable[object], *parts: object) -> str:
    """A SHA-256 hex key for ``texts`` (in order) plus any ``parts`` (e.g.
    "whats_new", the previous texts' key) and the analyser version, for
    caching rendered images."""
    h = hashlib.sha256()
    h.update(f"v{ANALYSER_VERSION}|{_WIDTH}x{_HEIGHT}|{_RANDOM_STATE}".encode())
    for t in texts:
        h.update(b"\x1e" + (t if isinstance(t, str) else "").encode("utf-8"))
    for p in parts:
        h.update(b"\x1f" + str(p).encode("utf-8"))
    return h.hexdigest()
