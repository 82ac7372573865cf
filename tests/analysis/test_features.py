from __future__ import annotations

import pickle

import pandas as pd

from analysis import ANALYSER_VERSION
from analysis.features import FEATURE_COLUMNS, TextFeatures, features_frame, text_features
from analysis.noun_phrases import noun_phrases


def test_noun_phrases_drop_determiners_and_singularise():
    assert noun_phrases("My social workers kept changing and nobody told me about the child protection plans.") == [
        "social worker", "child protection plan"]
    assert noun_phrases("There was no food at home.") == ["food", "home"]
    assert noun_phrases("") == [] and noun_phrases(None) == []


def test_text_features(codebook):
    f = text_features("There was no food at home and my social worker kept changing.", codebook)
    assert isinstance(f, TextFeatures)
    assert {"practical_needs", "continuity_of_social_worker"} <= set(f.themes)
    assert "food" in f.noun_phrases
    assert f.analyser_version == ANALYSER_VERSION and f.codebook_hash == codebook.version_hash()
    assert f.label in ("positive", "neutral", "negative")
    assert pickle.loads(pickle.dumps(f)) == f
    empty = text_features("", codebook)
    assert empty.themes == [] and empty.noun_phrases == [] and empty.label == "neutral"


def test_features_frame_serial_and_parallel_agree(codebook):
    texts = ["My teacher listened to me", "No food at home", None, "Supervision is rare", "Nothing"] * 3
    df = pd.DataFrame({"id": range(len(texts)), "value": texts}, index=range(100, 100 + len(texts)))
    serial = features_frame(df, "value", codebook)
    parallel = features_frame(df, "value", codebook, workers=2, chunk_size=4)
    assert list(serial.columns) == ["id", "value", *FEATURE_COLUMNS]
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial.loc[101, "themes"] == ["practical_needs"]
    assert serial.loc[102, "label"] == "neutral" and serial.loc[102, "themes"] == []
    assert "value" in df.columns and "themes" not in df.columns  # input untouched


def test_features_frame_missing_column(codebook):
    import pytest

    with pytest.raises(KeyError, match="nope"):
        features_frame(pd.DataFrame({"a": ["x"]}), "nope", codebook)
