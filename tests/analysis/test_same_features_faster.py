"""Issue 13 (rounds 7 and 8): the recompute's speed-ups must leave every feature exactly as it was.

Each fast path is swapped back for what it replaced (Pattern's own assessments, tagger,
NP rule on the tags' string and tokenizer, an uncached ``normalise``) and the features of a sample of answers must
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
    monkeypatch.setattr(sentiment_module, "_assess",
                        lambda words: pattern_sentiment.assessments(((w, None) for w in words), True))
    monkeypatch.setattr(phrases_module, "tags", lambda tokens: [tag for _token, tag in parser.find_tags(tokens)])
    monkeypatch.setattr(phrases_module, "_np_marks", pattern_np_marks)
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
        assert sentiment_module._assess([w for w, _pos in words]) == pattern_sentiment.assessments(iter(words), True)


def test_pattern_s_assessments_on_any_run_of_tricky_words_are_its_own():
    import random

    vocabulary = ["good", "bad", "very", "really", "not", "no", "never", "n't", "nice", "terribly", "extremely",
                  "a", "is", "it", "the", "!", "(!)", ":)", ":-(", ";-)", "<3", ":D", "xd", "...", ",", ".", "10/10",
                  "'", "quite", "happy", "sad", "great", "slowly", "mostly", "hardly", "helpful", "poor", None,
                  "()", "8)", "8-)", ":p", ":-p", "o.o", "♥", "x-d", ">:d", "n't'", "''", "'s", "damn", "dammit",
                  "fucking", "so", "too", "most", "more", "ly", "only", "!!", "?!"]
    rng = random.Random(13)
    for _ in range(3000):
        words = [(rng.choice(vocabulary), None) for _ in range(rng.randint(0, 12))]
        assert sentiment_module._assess([w for w, _pos in words]) == pattern_sentiment.assessments(iter(words), True), words


@pytest.mark.parametrize("text", ODD + CHILDREN)
def test_the_tokenizer_and_tagger_cut_and_tag_as_pattern_s_own(text):
    assert pattern_pieces(text) == [parser.find_tags(s.split(" ")) for s in parser.find_tokens(text)]


def pattern_pieces(text: str) -> list:
    return [[[token, tag] for token, tag in zip(s.split(" "), phrases_module.tags(s.split(" ")))]
            for s in pattern_tokens.find_tokens(text)]


def pattern_np_marks(tags: list[str]) -> list[str]:
    """The NP chunk marks as round 7 computed them from Pattern's rule: the reference."""
    joined = "".join(f"{tag}/" for tag in tags)
    marks = [""] * len(tags)
    for match in phrases_module._NP_RULE.finditer(joined):
        first = joined.count("/", 0, match.start())
        for k in range(first, first + match.group(0).count("/")):
            if k == first and tags[k] in phrases_module._CONJUNCTIONS:
                first += 1
            else:
                marks[k] = "B" if k == first else "I"
    for i, tag in enumerate(tags):
        if tag.startswith("RB") and marks[i] == "B" and i < len(tags) - 1 and not tags[i + 1].startswith("JJ"):
            marks[i], marks[i + 1] = "", "B"
    return marks


def _every_tag() -> list[str]:
    """Every tag Pattern's tagger can give: the lexicon's, the defaults and the suffix rules'."""
    return sorted(set(phrases_module._parser().lexicon.values()) | {"NN", "NNP", "CD", "VBG", "RB", "NNS", "JJ", "VBN",
                                                                     "VBP"})


def test_the_np_marks_are_pattern_s_rule_on_any_run_of_tags():
    import random

    tags = _every_tag()
    tricky = ["PDT", "WDT", "WRB", "CC", "DT", "RB", "RBR", "JJ", "NN", "NNS", "PRP", "PRP$", "CD", "IN", "VB"]
    rng = random.Random(13)
    for _ in range(20000):
        pool = tricky if rng.random() < 0.7 else tags
        run = [rng.choice(pool) for _ in range(rng.randint(0, 14))]
        assert phrases_module._np_marks(run) == pattern_np_marks(run), run


def test_each_token_is_tagged_as_pattern_s_tagger_tags_it():
    lexicon = phrases_module._parser().lexicon
    words = sorted(lexicon)[::7] + ["Walking", "Nicely", "Cats", "Happiness", "Re-do", "12.5", "3:30", "10/10",
                                    "organise", "Organise", "quickly", "glass", "famous", "", "A", "I", "NHS", "Ok"]
    for word in words:
        for sentence in ([word], ["so", word], [word.title(), word], [word.upper(), "x"]):
            assert phrases_module.tags(sentence) == [tag for _token, tag in parser.find_tags(sentence)], sentence


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


def _domain_score_token_by_token(tokens: list[str]) -> tuple[float, float]:
    """Round 7's domain score, every token visited: the reference."""
    pos = neg = 0.0
    i = 0
    while i < len(tokens):
        weight, span = None, 1
        for phrase, w in sentiment_module._PHRASES_BY_FIRST.get(tokens[i], ()):
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                weight, span = w, len(phrase)
                break
        if weight is None:
            weight = 1.0 if tokens[i] in ("\u2764", "\u2665") else sentiment_module.DOMAIN_LEXICON.get(tokens[i])
        if weight is not None:
            value = -0.75 * weight if sentiment_module._negated(tokens, i) else weight
            pos, neg = (pos + value, neg) if value > 0 else (pos, neg + value)
        i += span
    return pos, neg


def _counterfactual_token_by_token(tokens: list[str]) -> int:
    if tokens and tokens[0] in sentiment_module._SUGGESTION_OPENERS:
        return -1
    for i, tok in enumerate(tokens):
        for (marker,) in sentiment_module._MARKERS_BY_FIRST.get(tok, ()):
            if tuple(tokens[i:i + len(marker)]) == marker:
                return 1 if sentiment_module._negated(tokens, i, window=None) else -1
    return 0


def test_the_domain_cues_and_wishes_visited_only_where_they_start_score_as_every_token_visited():
    import random

    words = ["on", "hold", "too", "long", "let", "me", "down", "not", "no", "never", ",", "helpful", "rude", "wait",
             "had", "to", "keep", "it", "up", "the", "good", "work", "did", "turn", "show", "\u2764", "nobody", "one",
             "could", "have", "been", "should", "would", "be", "nice", "need", "please", "more", "staff", "x"]
    rng = random.Random(13)
    for _ in range(20000):
        tokens = [rng.choice(words) for _ in range(rng.randint(0, 12))]
        assert sentiment_module._domain_score(tokens) == _domain_score_token_by_token(tokens), tokens
        assert sentiment_module._counterfactual(tokens) == _counterfactual_token_by_token(tokens), tokens


def test_combined_evidence_remembered_is_what_combining_again_gives():
    from dataclasses import replace

    evidence = sentiment_module.cached_evidence("They were kind but late, although helpful", "positive")
    loose = replace(sentiment_module.DEFAULT_PARAMS, positive_threshold=0.9)
    for params in (sentiment_module.DEFAULT_PARAMS, loose, sentiment_module.DEFAULT_PARAMS, loose):
        assert sentiment_module.combine_evidence(evidence, params) == sentiment_module._combine(evidence, params)
    labels = {sentiment_module.combine_evidence(evidence, params)[2] for params in (loose, sentiment_module.DEFAULT_PARAMS)}
    assert len(labels) == 2  # the parameters are part of what is remembered
    equal_not_same = tuple(replace(e) for e in evidence)
    assert sentiment_module.combine_evidence(equal_not_same, loose) == sentiment_module._combine(evidence, loose)
    for n in range(9000):  # bounded
        sentiment_module.combine_evidence(sentiment_module._evidence(f"kind {n}", "positive"), loose)
    assert len(sentiment_module._combined) <= 8192
