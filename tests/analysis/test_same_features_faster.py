"""Issue 13 (round 7): the recompute's speed-ups must leave every feature exactly as it was.

Each fast path is swapped back for what it replaced (Pattern's own lexicon lookups, tagger
call and tokenizer, an uncached ``normalise``) and the features of a sample of answers must
come out equal, float for float; the worker pool must give what a serial run gives and leave
the garbage collector as it found it.
"""
from __future__ import annotations

import gc

import pandas as pd
import pytest
from textblob.en import parser
from textblob.en import sentiment as pattern_sentiment

from analysis import noun_phrases as phrases_module
from analysis import pattern_tokens
from analysis import sentiment as sentiment_module
from analysis import text as text_module
from analysis.features import map_batches, text_features

ODD = ["", " ", "Nothing.", "none", "10/10!!", "didn't   have to wait :-) ", "“Great” staff’s work… (really)",
       "a\r\n\r\nb", "Mr. Smith e.g. U.S.A. ok.", ":) :( ;-) (!)", "!!!???", "no-one cared -- at all",
       "😀 great ❤", "It's - ok", "'quoted' \"double\" 'a.' \"b.\" end.' next", "NHS A&E was slow",
       "well... ok ... . . fine!", "Not very good, not bad, really not good at all!", "very very nice indeed",
       "The social worker was extremely unhelpful. Never again!!", "He said \"great.\" She said \"bad!\" ok",
       "I wish they had listened; but they were kind, although late, they came."]
CHILDREN = ["My teacher listened to me", "No food at home", "Supervision is rare", "Nothing",
            "My social workers kept changing and nobody told me about the child protection plans.",
            "The family support worker helped mum with the bills but I still go to school hungry",
            "Practitioners did not share information about the neglect early enough."]


def _sample(fft_dev_csv) -> list[str]:
    fft = pd.read_csv(fft_dev_csv)["FFT answer"].dropna().astype(str).tolist()
    return ODD + CHILDREN + fft[:1500]


def _features(texts, codebook) -> list[tuple]:
    sentiment_module.cached_evidence.cache_clear()
    getattr(text_module._normalised, "cache_clear", lambda: None)()
    out = [(text_features(t, codebook, nothing_means=means).to_dict(), sentiment_module.cached_evidence(t, means))
           for t in texts for means in ("positive", "negative")]
    sentiment_module.cached_evidence.cache_clear()
    return out


def test_every_feature_is_what_pattern_s_own_paths_give(fft_dev_csv, codebook, monkeypatch):
    texts = _sample(fft_dev_csv)
    fast = _features(texts, codebook)
    monkeypatch.setattr(sentiment_module, "_assessments", lambda words: pattern_sentiment.assessments(words, True))
    monkeypatch.setattr(phrases_module, "_tags", lambda tokens, _parser: parser.find_tags(tokens))
    monkeypatch.setattr(sentiment_module, "find_tokens", parser.find_tokens)
    monkeypatch.setattr(phrases_module, "find_tokens", parser.find_tokens)
    monkeypatch.setattr(text_module, "_normalised", text_module._normalised.__wrapped__)
    assert _features(texts, codebook) == fast
    labels = [features["label"] for features, _evidence in fast]
    assert labels.count("positive") > 500 and labels.count("negative") > 300  # a sample that exercises both
    assert sum(1 for features, _evidence in fast if features["noun_phrases"]) > 1000


@pytest.mark.parametrize("text", ODD + CHILDREN)
def test_pattern_s_assessments_on_the_plain_lexicon_are_its_own(text):
    for sentence in parser.find_tokens(text):
        words = [(w.lower(), None) for w in sentence.split()]
        assert sentiment_module._assessments(iter(words)) == pattern_sentiment.assessments(iter(words), True)


def test_pattern_s_assessments_on_any_run_of_tricky_words_are_its_own():
    import random

    vocabulary = ["good", "bad", "very", "really", "not", "no", "never", "n't", "nice", "terribly", "extremely",
                  "a", "is", "it", "the", "!", "(!)", ":)", ":-(", ";-)", "<3", ":D", "xd", "...", ",", ".", "10/10",
                  "'", "quite", "happy", "sad", "great", "slowly", "mostly", "hardly", "helpful", "poor", None]
    rng = random.Random(13)
    for _ in range(3000):
        words = [(rng.choice(vocabulary), None) for _ in range(rng.randint(0, 12))]
        assert sentiment_module._assessments(iter(words)) == pattern_sentiment.assessments(iter(words), True), words


@pytest.mark.parametrize("text", ODD + CHILDREN)
def test_the_tokenizer_and_tagger_cut_and_tag_as_pattern_s_own(text):
    assert pattern_pieces(text) == [parser.find_tags(s.split(" ")) for s in parser.find_tokens(text)]


def pattern_pieces(text: str) -> list:
    return [phrases_module._tags(s.split(" "), parser) for s in pattern_tokens.find_tokens(text)]


def test_normalise_remembers_without_changing_anything():
    assert text_module.normalise("Don’t “Stop”") == "don't \"stop\"" == text_module.normalise("Don’t “Stop”")
    assert text_module.normalise(None) == "" and text_module.normalise(float("nan")) == ""
    assert text_module.normalise(["not", "text"]) == ""  # unhashable: never reaches the memo


def _state_of_worker(batch: list[int], codebook) -> list[tuple[int, list[str], int]]:
    return [(n, codebook.match("my teacher listened to me"), gc.get_freeze_count() > 0) for n in batch]


def test_the_workers_inherit_the_arguments_and_the_collector_is_left_as_found(codebook):
    before = gc.get_freeze_count()
    batches = [[1, 2], [3], [4, 5]]
    parallel = list(map_batches(_state_of_worker, batches, codebook, workers=2))
    assert gc.get_freeze_count() == before
    assert [row[:2] for rows in parallel for row in rows] == [row[:2] for rows in map_batches(
        _state_of_worker, batches, codebook, workers=1) for row in rows]
    assert all(frozen for rows in parallel for _n, _themes, frozen in rows)  # the pre-fork heap, frozen
    stopped = map_batches(_state_of_worker, batches, codebook, workers=2)
    next(stopped)
    stopped.close()  # a caller that stops early (an error while writing) unfreezes too
    assert gc.get_freeze_count() == before
