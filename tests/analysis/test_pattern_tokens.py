"""Issue 13: Pattern's tokenizer with each raw token's split remembered must cut text exactly
as Pattern's own (``textblob.en.parser.find_tokens``), which the sentiment lexicon and the
noun-phrase tagger were built on."""
from __future__ import annotations

import pandas as pd
import pytest
from textblob.en import parser

from analysis.pattern_tokens import find_tokens
from analysis.text import normalise

ODD = ["", " ", "e.g. the U.S. Mr. Smith... went", "Wow!!! (!) :-) :) <3 I can't, won't", "...", "..", "a.",
       "etc.", "(((hi)))", ":'( sad", "‘quoted’ “double” 'single'", 'He said "hi" and "bye', "x\r\ny\n\nNew para",
       "Mr. T. De Smedt, U.K.!?", "don't stop-believing; ok?! fine.", "😀 ❤ 10/10", "3.5 hours... late!!",
       # every kind of white space Pattern's regular expressions know (split at as str.split does)
       " a\tb\x0bc\x0cd\x1ce\x1df\x1eg\x1fh\x85i\u00a0j\u1680k\u2000l\u200am\u2028n\u2029o\u202fp\u205fq\u3000r ",
       "no\u200bbreak\ufeffhere", "a\n\n\nb\r\n\r\nc \n \n d", "\n\n", "couldn't've y'all I'd ’ll",
       "xD XD o.O o . O 8-) ♥ °O° : - P =] >:D x-D ;^) *) (!) ( ! ) ok", "great :)", "great : )", "(fine)"]


def test_pattern_s_contractions_are_plain_text_so_a_plain_replace_is_its_re_sub():
    import re

    from textblob import _text

    assert _text.replacements and all(re.escape(a) == a and "\\" not in b for a, b in _text.replacements.items())


@pytest.mark.parametrize("text", ODD)
def test_odd_text_is_cut_as_pattern_cuts_it(text):
    assert find_tokens(text) == parser.find_tokens(text)
    assert find_tokens(text) == parser.find_tokens(text)  # and again, from what it remembered


def test_the_fft_comments_are_cut_as_pattern_cuts_them(fft_dev_csv):
    texts = pd.read_csv(fft_dev_csv)["FFT answer"].dropna().astype(str).head(2000).tolist()
    for text in texts + [normalise(t) for t in texts]:
        assert find_tokens(text) == parser.find_tokens(text), text


def test_sentiment_and_noun_phrases_are_what_pattern_s_own_tokenizer_gives(fft_dev_csv, monkeypatch):
    from analysis import noun_phrases as phrases_module
    from analysis import sentiment as sentiment_module

    texts = ODD + pd.read_csv(fft_dev_csv)["FFT answer"].dropna().astype(str).head(800).tolist()
    sentiment_module.cached_evidence.cache_clear()
    fast = [(sentiment_module.sentiment(t), phrases_module.noun_phrases(t)) for t in texts]
    monkeypatch.setattr(sentiment_module, "find_tokens", parser.find_tokens)
    monkeypatch.setattr(phrases_module, "find_tokens", parser.find_tokens)
    sentiment_module.cached_evidence.cache_clear()
    assert [(sentiment_module.sentiment(t), phrases_module.noun_phrases(t)) for t in texts] == fast
    sentiment_module.cached_evidence.cache_clear()
    assert sum(1 for s, _p in fast if s.label != "neutral") > 400
