"""Issue 13: the learned sentiment model's fast character n-gram transform must give exactly
what scikit-learn's ``TfidfVectorizer.transform`` gives, and so the same probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.special import logsumexp
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.char_grams import CharGramTfidf, WordGramTfidf
from analysis.learning import RULE_FEATURE_SCALE, SHIPPED_MODEL_PATH, SentimentModel, rule_features

ODD_TEXTS = ["", " ", "a\tb  c\n\nd", "İstanbul ǅemal STRASSE ß", "x\x1cy\x1dz", "don’t   STOP\u00a0now",
             "a" * 300, "banana bandana", "😀 emoji ❤❤", "The staff were kind. The staff were KIND!", "ok", "I"]


def _identical(a, b) -> bool:
    a, b = sparse.csr_matrix(a), sparse.csr_matrix(b)
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data) and a.dtype == b.dtype)


def _shipped() -> SentimentModel:
    if not SHIPPED_MODEL_PATH.exists():
        pytest.skip("no shipped sentiment model")
    return SentimentModel.loads(SHIPPED_MODEL_PATH.read_bytes())


def test_counted_word_by_word_equals_scikit_learn_on_odd_text():
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    vectoriser.fit(["the staff were kind and listened", "nobody listened to me", "İstanbul ß straße", "a b c", "banana aaaa"])
    fast = CharGramTfidf(vectoriser)
    assert _identical(fast.transform(ODD_TEXTS), vectoriser.transform(ODD_TEXTS))
    assert _identical(fast.transform(ODD_TEXTS[::-1]), vectoriser.transform(ODD_TEXTS[::-1]))  # words remembered
    assert fast.transform(["kind staff"]).nnz > 0


@pytest.mark.parametrize("settings", [{}, {"ngram_range": (1, 2), "sublinear_tf": True}, {"ngram_range": (2, 3)},
                                      {"ngram_range": (1, 3), "token_pattern": r"(?u)\b(\w)\w*\b", "norm": "l1"},
                                      {"lowercase": False, "use_idf": False}])
def test_word_n_grams_counted_by_c_loops_equal_scikit_learn(settings):
    vectoriser = TfidfVectorizer(**settings).fit(["the staff were kind and listened to me", "nobody listened to me",
                                                  "İstanbul ß straße STAFF", "kind kind staff were were kind"])
    fast = WordGramTfidf(vectoriser)
    texts = ODD_TEXTS + ["kind staff kind staff", "the staff were kind and listened", "Listened TO me to me"]
    assert _identical(fast.transform(texts), vectoriser.transform(texts))
    assert fast.transform(["kind staff"]).nnz > 0


def test_a_vectoriser_the_fast_word_counts_cannot_follow_is_refused():
    with pytest.raises(ValueError, match="stop words"):
        WordGramTfidf(TfidfVectorizer(stop_words=["a"]).fit(["a text", "another text"]))


def test_a_word_vectoriser_is_refused():
    with pytest.raises(ValueError, match="char_wb"):
        CharGramTfidf(TfidfVectorizer().fit(["a text", "another text"]))


def _reference_log_proba(model: SentimentModel, texts: list[str], nothing_means: str) -> np.ndarray:
    """The model's log-probabilities computed as before issue 13: scikit-learn's transforms."""
    texts = [str(t or "") for t in texts]
    weight = model.params.get("text_weight")
    text = sparse.hstack([model.words.transform(texts), model.chars.transform(texts)]).tocsr()
    matrix = sparse.hstack([model.words.transform(texts) * weight, model.chars.transform(texts) * weight,
                            sparse.csr_matrix(rule_features(texts, nothing_means)
                                              * model.params.get("rule_weight", RULE_FEATURE_SCALE))]).tocsr()
    log_proba = model.classifier.predict_log_proba(matrix)
    share = model.params.get("bayes_share", 0.0) if model.bayes is not None else 0.0
    if share:
        joint = np.asarray(text @ model.bayes.T)
        log_proba = (1 - share) * log_proba + share * (joint - logsumexp(joint, axis=1, keepdims=True))
        log_proba -= logsumexp(log_proba, axis=1, keepdims=True)
    return log_proba


def test_the_shipped_model_gives_the_same_probabilities_as_with_scikit_learn_s_transform(fft_dev_csv):
    model = _shipped()
    texts = ODD_TEXTS + pd.read_csv(fft_dev_csv)["FFT answer"].dropna().astype(str).head(1200).tolist()
    for nothing_means in ("positive", "negative"):
        for start in range(0, len(texts), 400):
            part = texts[start:start + 400]
            assert np.array_equal(model._log_proba(part, nothing_means, model._text_matrix(part)),
                                  _reference_log_proba(model, part, nothing_means))
    assert _identical(model._text_matrix(texts[:300]),
                      sparse.hstack([model.words.transform(texts[:300]), model.chars.transform(texts[:300])]))
