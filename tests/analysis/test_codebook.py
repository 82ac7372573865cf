from __future__ import annotations

import pytest

from analysis.codebook import (
    Codebook,
    CodebookError,
    add_pattern,
    add_theme,
    load_codebook,
    merge_themes,
    rename_theme,
)


def small(**overrides):
    d = {"name": "t", "themes": [
        {"key": "food", "name": "Food", "patterns": ["food", "hungr*", "meal*"]},
        {"key": "listening", "name": "Listening", "patterns": ["listen*", "ignor*"]},
        {"key": "praise", "name": "Praise", "patterns": ["kind", "helpful"], "on_negation": "ignore"},
        {"key": "school", "name": "School", "patterns": ["school*"], "exclude": ["school holiday*"]},
        {"key": "worker_change", "name": "Worker change", "patterns": ["chang* .. social worker*"]},
    ]}
    d.update(overrides)
    return Codebook.from_dict(d)


def test_shipped_codebook_loads_and_covers_the_seed_concerns(codebook):
    keys = set(codebook.keys)
    for k in ["continuity_of_social_worker", "knowing_about_the_plan", "being_listened_to",
              "school_safe_place", "neglect_tools", "howe_model", "training_and_confidence",
              "workload_and_capacity", "recruitment_and_retention",
              "management_oversight_and_supervision", "drift_and_delay", "multi_agency_working",
              "practical_needs", "covid_19"]:
        assert k in keys
    for t in codebook.themes:
        assert t.name and t.description and t.patterns


@pytest.mark.parametrize("text, key", [
    ("There was no food at home", "practical_needs"),
    ("My social worker kept changing", "continuity_of_social_worker"),
    ("I had three different social workers", "continuity_of_social_worker"),
    ("I didn't know I was on a child protection plan", "knowing_about_the_plan"),
    ("Nobody listened to me", "being_listened_to"),
    ("School was the only place I felt safe", "school_safe_place"),
    ("We rarely use the Howe model", "howe_model"),
    ("Chronologies take too long to complete", "neglect_tools"),
    ("Supervision is cancelled too often", "management_oversight_and_supervision"),
    ("Lockdown meant visits were virtual", "covid_19"),
    ("Caseloads are far too high", "workload_and_capacity"),
    ("Our vacancies mean agency staff come and go", "recruitment_and_retention"),
    ("Health and school don't share information", "multi_agency_working"),
])
def test_shipped_codebook_matches_domain_answers(codebook, text, key):
    assert key in codebook.match(text)


def test_plurals_and_tenses():
    cb = small()
    assert cb.match("The meals were cold") == ["food"]
    assert cb.match("the foods") == ["food"]
    assert cb.match("She listened") == ["listening"]
    assert cb.match("they keep ignoring us") == ["listening"]
    assert cb.match("they changed my social worker again") == ["worker_change"]
    assert cb.match("they changed the rota. my social worker was fine") == []  # not across sentences


def test_negation_is_reported_and_topic_themes_still_match():
    cb = small()
    (m,) = cb.matches("there was no food at home")
    assert m.theme == "food" and m.negated and m.counted
    assert cb.match("there was no food at home") == ["food"]


def test_positive_only_theme_does_not_count_negated_mentions():
    cb = small()
    assert cb.match("the worker was kind") == ["praise"]
    assert cb.match("the worker was not kind") == []
    (m,) = cb.matches("the worker was not kind")
    assert m.negated and not m.counted
    # a comma ends the negation scope
    assert cb.match("no, she was kind") == ["praise"]


def test_exclude_removes_overlapping_matches():
    cb = small()
    assert cb.match("over the school holidays") == []
    assert cb.match("over the school holidays, school was shut") == ["school"]


def test_round_trip_and_hash():
    cb = small()
    again = Codebook.from_dict(cb.to_dict())
    assert again.to_dict() == cb.to_dict()
    assert again.version_hash() == cb.version_hash()
    assert add_pattern(cb, "food", "breakfast").version_hash() != cb.version_hash()


@pytest.mark.parametrize("themes, message", [
    ([{"key": "a", "name": "A", "patterns": ["x"]}, {"key": "a", "name": "B", "patterns": ["y"]}],
     "theme 'a': duplicate key"),
    ([{"key": "a", "name": "A", "patterns": []}], "theme 'a': patterns is empty"),
    ([{"key": "a", "name": "A", "patterns": ["(foo|bar)"]}], "theme 'a': bad pattern"),
    ([{"key": "a", "name": "A", "patterns": ["*"]}], "theme 'a': bad pattern"),
    ([{"key": "a", "name": "A", "patterns": ["foo .."]}], "theme 'a': bad pattern"),
    ([{"key": "a", "name": "A", "patterns": ["x"], "on_negation": "flip"}], "theme 'a': on_negation"),
    ([{"key": "Bad Key", "name": "A", "patterns": ["x"]}], "key must be"),
    ([{"key": "a", "name": "", "patterns": ["x"]}], "theme 'a': name"),
])
def test_validation_errors_name_the_theme(themes, message):
    with pytest.raises(CodebookError, match=message.replace("(", r"\(")):
        Codebook.from_dict({"themes": themes})


def test_editing_ops_return_new_codebooks():
    cb = small()
    cb2 = add_theme(cb, {"key": "housing", "name": "Housing", "patterns": ["hous*"]})
    assert "housing" in cb2.keys and "housing" not in cb.keys
    with pytest.raises(CodebookError, match="theme 'food': duplicate key"):
        add_theme(cb, {"key": "food", "name": "Food again", "patterns": ["x"]})

    cb3 = rename_theme(cb, "food", "Food and meals")
    assert cb3.theme("food").name == "Food and meals" and cb.theme("food").name == "Food"

    cb4 = merge_themes(cb, "listening", "praise", name="Listening and kindness")
    assert "praise" not in cb4.keys
    assert cb4.match("she was kind") == ["listening"]
    assert cb4.canonical_key("praise") == "listening"
    assert Codebook.from_dict(cb4.to_dict()).merged == {"praise": "listening"}

    cb5 = add_pattern(cb, "food", "foodbank*")
    assert cb5.match("we used the foodbank") == ["food"] and cb.match("we used the foodbank") == []
    with pytest.raises(CodebookError, match="theme 'food': bad pattern"):
        add_pattern(cb, "food", "[a-z]+")
    with pytest.raises(CodebookError, match="theme 'nope'"):
        add_pattern(cb, "nope", "x")


def test_load_codebook_errors(tmp_path):
    p = tmp_path / "cb.yaml"
    p.write_text("themes:\n  - key: a\n    name: A\n    patterns: []\n")
    with pytest.raises(CodebookError, match="theme 'a': patterns is empty"):
        load_codebook(p)
    p.write_text("themes: [\n")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(p)


def test_empty_text():
    assert small().match("") == [] and small().match(None) == []


# --- issue 13: the first-word index must find what trying every pattern at every word finds

_TRICKY_TEXTS = [
    "My social workers kept changing, and my social worker's manager never listened.",
    "Families' plans; the family plan!! Multi-agency multi agency multiagency meetings",
    "School holidays were hard but school was safe. Schools, schooling",
    "Nobody listened. I wasn't listened to; they ignored me and I was hungry, no meals",
    "Changed my social worker 3 times -- changing our social workers is bad",
    "kind kindness helpful un-helpful Ch ch c s 's '' x",
]


_TRIED: dict = {}


def _every_word_tried(self, words):
    """The reference: each pattern's first word tried at every word (``_Term.matches``; the
    answer for a (codebook, word) pair is kept, since the same words recur)."""
    terms = {first: pat.parts[0] for _theme, patterns, excludes in self.plan for pat, first in (*patterns, *excludes)}
    places: dict = {}
    for i, tok in enumerate(words):
        key = (id(self), tok)
        if key not in _TRIED:
            _TRIED[key] = [first for first, term in terms.items() if term.matches(tok)]
        for first in _TRIED[key]:
            places.setdefault(first, []).append(i)
    return places


def _fft_sample(path, n=1500):
    import pandas as pd

    return [t for t in pd.read_csv(path)["FFT answer"].dropna().astype(str).head(n)]


@pytest.mark.parametrize("which", ["shipped", "small"])
def test_the_first_word_index_matches_as_trying_every_word(which, codebook, monkeypatch):
    from analysis import codebook as module

    book = codebook if which == "shipped" else small()
    texts = _TRICKY_TEXTS + [f"{p} and {p}s, not {p}" for t in book.themes for p in t.patterns]
    fast = [book.matches(t) for t in texts]
    monkeypatch.setattr(module._FirstWords, "places", _every_word_tried)
    monkeypatch.setattr(module._FirstWords, "themes_in", lambda self, places: list(range(len(self.plan))))
    slow = [module.Codebook.from_dict(book.to_dict()).matches(t) for t in texts]
    assert fast == slow
    assert sum(map(len, fast)) > len(texts)  # the patterns written out do match


def test_the_first_word_index_agrees_on_the_fft_comments(fft_dev_csv, monkeypatch):
    from analysis import codebook as module

    texts = _fft_sample(fft_dev_csv)
    book = load_codebook()
    fast = [book.matches(t) for t in texts]
    monkeypatch.setattr(module._FirstWords, "places", _every_word_tried)
    monkeypatch.setattr(module._FirstWords, "themes_in", lambda self, places: list(range(len(self.plan))))
    fresh = load_codebook()
    assert [fresh.matches(t) for t in texts] == fast
    assert sum(1 for found in fast if found) > 300


def test_a_codebook_sent_to_a_worker_process_matches_the_same():
    import pickle

    book = small()
    before = [book.matches(t) for t in _TRICKY_TEXTS]
    copy = pickle.loads(pickle.dumps(book))
    assert "_first_words" not in copy.__dict__  # worked out again, memo and all, not sent
    assert [copy.matches(t) for t in _TRICKY_TEXTS] == before
