"""A sentiment model that learns from labelled answers (pure functions, scikit-learn).

The model stacks three kinds of evidence in one regularised logistic regression:

* word uni- and bigram TF-IDF (sublinear term frequency),
* character 2–5-gram TF-IDF within word boundaries (spelling slips, word stems),
* the lexicon rules' own scores from :mod:`analysis.sentiment` (score,
  subjectivity, the rules' label, the strongest positive and negative clause
  evidence), so the rules' knowledge of negation, "but" and "nothing to
  improve" is kept and the learned weights only correct it.

A complement naive Bayes model of the same word and character columns is blended into the
regression's log-probabilities (:data:`DEFAULT_BAYES_SHARE`): it generalises better to
another organisation's text than the regression alone. Its share fades as the partnership's
coded answers outweigh the development file.

It is trained on the FFT development file plus the partnership's own coded
answers, the latter weighted up: the partnership's text is the text the model will
see. How much is learned from the coded answers themselves (:func:`choose_coded_weight`):
from 50 of them on, cross-validation on them chooses between weighing them together as
much as the development file (best when they are unlike it) and a lighter weight (best
when they are close to it). ``C`` (:data:`DEFAULT_C`) was chosen by the mean macro-F1 over
the development file's sources held out in turn: the model is judged on another
organisation's feedback, not on the development file.

From 50 coded answers on, when they read like the development file (:func:`coded_likeness_auc`)
and its own model labels them nearly as well, that model (fitted on the development rows alone)
is mixed into the one trained with them, less as more are coded (:func:`development_model_share`):
a refit on a few answers close to the development file moves the model by noise as much as by
what they teach. Answers unlike the development file are learned from as before.

Nothing is read from disk here except the shipped default model
(:func:`shipped_model_bytes`); the caller passes the rows in.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from scipy import sparse
from scipy.special import logsumexp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import ComplementNB

from .char_grams import CharGramTfidf, WordGramTfidf
from .sentiment import DEFAULT_PARAMS, LABELS, cached_evidence, combine_evidence

__all__ = [
    "DEFAULT_BAYES_SHARE",
    "DEFAULT_C",
    "DEFAULT_CODED_WEIGHT",
    "DEFAULT_DEVELOPMENT_SHARE",
    "development_model_share",
    "MIN_CODED_TO_CHOOSE",
    "MIX_MAX_AUC",
    "MIX_MAX_F1_SHORTFALL",
    "coded_answer_weight",
    "coded_likeness_auc",
    "choose_coded_weight",
    "LabelledText",
    "SentimentModel",
    "rule_features",
    "train_sentiment_model",
    "add_theme_classifiers",
    "macro_f1",
    "per_class_f1",
    "bootstrap_interval",
    "cross_validated_coded_f1",
    "learning_curve",
    "mean_interval",
    "SHIPPED_MODEL_PATH",
    "shipped_model_bytes",
    "stored_model_id",
]

#: inverse regularisation strength of the logistic regression, chosen by the mean macro-F1 over the
#: development file's sources held out in turn (0.5: 0.658, 1.0: 0.663; see bench/evaluate_sentiment.py)
DEFAULT_C = 1.0
#: how much one of the partnership's coded answers weighs at least against one development comment;
#: with few coded answers each weighs more, so that together they weigh as much as the development
#: file (:func:`coded_answer_weight`). Chosen on simulated new sources made of one service type
#: of the development file each, not on the learning curve's later months.
DEFAULT_CODED_WEIGHT = 3.0
#: from this many coded answers on, they choose their own weight by cross-validation
#: (:func:`choose_coded_weight`); below it a cross-validated choice is mostly noise
MIN_CODED_TO_CHOOSE = 50
#: folds of that cross-validation
WEIGHT_CHOICE_FOLDS = 5
#: the rules' scores are scaled by this before stacking, so they compete with the TF-IDF columns
RULE_FEATURE_SCALE = 2.0
#: the shipped default model: trained on the FFT development file alone (``feedback-app model
#: build-default`` regenerates it); used when no model version is chosen in the database
SHIPPED_MODEL_PATH = Path(__file__).with_name("sentiment_model.npz")
#: the TF-IDF columns are scaled by this: below 1 regularises the words more than the rules' scores
DEFAULT_TEXT_WEIGHT = 1.0
#: the share of a complement naive Bayes model of the words and characters in the label's log-probability
#: (the rest is the logistic regression's) without coded answers: chosen, like ``C``, by the mean macro-F1
#: over the development file's sources held out in turn (0: 0.661, 0.2: 0.678, 0.35: 0.675, 0.5: 0.647).
#: It fades as coded answers outweigh the development rows: at a fixed 0.2 the simulated new sources'
#: learning curves gained less from their coding (see bench/evaluate_sentiment.py)
DEFAULT_BAYES_SHARE = 0.2
#: with coded answers, the share of the model of the development rows alone mixed (in log-odds) into
#: the model trained with them, fading as they are added (:func:`development_model_share`). A few
#: coded answers move the refitted model by noise as much as by what they teach; mixing in the model
#: they did not move keeps the consistent part of the change. Chosen on the learning curve of the
#: later months and checked on each service type as the new source (bench/README.md, round 6)
DEFAULT_DEVELOPMENT_SHARE = 0.5
#: it is mixed in only when the coded answers cannot be told from the development rows better than this
#: (:func:`coded_likeness_auc`; the later months 0.47-0.54, another service type 0.72-0.86) ...
MIX_MAX_AUC = 0.6
#: ... and the development rows' model labels them at most this much worse (macro-F1) than the
#: cross-validated model trained with them (the later months: at most 0.085 worse at 100 coded)
MIX_MAX_F1_SHORTFALL = 0.15
#: the complement naive Bayes model's additive smoothing
BAYES_SMOOTHING = 0.3


@dataclass(frozen=True)
class LabelledText:
    """One labelled answer: its text, its label (one of :data:`LABELS`) and how a bare "nothing" reads."""

    text: str
    label: str
    nothing_means: str = "positive"


def rule_features(texts: Sequence[str], nothing_means: Sequence[str] | str = "positive") -> np.ndarray:
    """The lexicon rules' evidence for each text as a dense matrix (one row a text).

    Columns: combined score, subjectivity, rules say positive, rules say
    negative, rules say neutral, strongest and weakest clause domain evidence
    (squashed by tanh). Never raises for any text.
    """
    if isinstance(nothing_means, str):
        nothing_means = [nothing_means] * len(texts)
    rows = []
    for text, nm in zip(texts, nothing_means):
        evidence = cached_evidence(str(text or ""), nm)
        score, subjectivity, label = combine_evidence(evidence, DEFAULT_PARAMS)
        domains = [e.domain for e in evidence] or [0.0]
        rows.append([score, subjectivity, label == "positive", label == "negative", label == "neutral",
                     math.tanh(max(domains)), math.tanh(min(domains))])
    return np.asarray(rows, dtype=float).reshape(len(rows), 7)


@dataclass
class SentimentModel:
    """A trained model: vectorisers and classifier, plus how it was made.

    ``n_development`` and ``n_coded`` count the training rows from each source.
    """

    words: TfidfVectorizer
    chars: TfidfVectorizer
    classifier: LogisticRegression
    n_development: int = 0
    n_coded: int = 0
    params: dict = field(default_factory=dict)
    #: theme key -> (coefficients over the word and character columns, intercept)
    theme_classifiers: dict = field(default_factory=dict)
    #: complement naive Bayes log-weights (one row a label, in the classifier's order, over the word
    #: and character columns), blended in by ``params["bayes_share"]``; None: the regression alone
    bayes: np.ndarray | None = None

    def _matrix(self, texts: Sequence[str], nothing_means: Sequence[str] | str,
                text_matrix: sparse.csr_matrix | None = None) -> sparse.csr_matrix:
        texts = [str(t or "") for t in texts]
        text_weight = self.params.get("text_weight", DEFAULT_TEXT_WEIGHT)
        return sparse.hstack([
            (self._text_matrix(texts) if text_matrix is None else text_matrix) * text_weight,
            sparse.csr_matrix(rule_features(texts, nothing_means) * self.params.get("rule_weight", RULE_FEATURE_SCALE)),
        ]).tocsr()

    def predict(self, texts: Sequence[str], nothing_means: Sequence[str] | str = "positive") -> list[str]:
        """The label of each text (empty text is neutral, as with the rules)."""
        if not len(texts):
            return []
        return self._labels(texts, self._log_proba(texts, nothing_means, self._text_matrix(texts)))

    def predict_proba(self, texts: Sequence[str], nothing_means: Sequence[str] | str = "positive") -> list[dict[str, float]]:
        """Each text's probability of each label."""
        if not len(texts):
            return []
        probs = np.exp(self._log_proba(texts, nothing_means, self._text_matrix(texts)))
        return [dict(zip(map(str, self.classifier.classes_), map(float, row))) for row in probs]

    def labels_and_themes(self, texts: Sequence[str],
                          nothing_means: Sequence[str] | str = "positive") -> tuple[list[str], list[list[str]]]:
        """:meth:`predict` of ``texts``, and for each text the themes whose learned classifier gives a
        probability above one half (empty lists when no theme had enough coded examples): the
        word and character n-grams counted once for both (issue 13: a recompute relabels every batch)."""
        if not len(texts):
            return [], []
        text_matrix = self._text_matrix(texts)
        return (self._labels(texts, self._log_proba(texts, nothing_means, text_matrix)),
                self._themes(text_matrix) if self.theme_classifiers else [[] for _ in texts])

    def _labels(self, texts: Sequence[str], log_proba: np.ndarray) -> list[str]:
        classes = np.asarray(self.classifier.classes_)
        labels = [str(label) for label in classes[np.argmax(log_proba, axis=1)]]
        return [label if str(text or "").strip() else "neutral" for text, label in zip(texts, labels)]

    def _log_proba(self, texts: Sequence[str], nothing_means: Sequence[str] | str,
                   text_matrix: sparse.csr_matrix) -> np.ndarray:
        """Log-probabilities (one row a text): the regression's, blended with naive Bayes' when stored;
        ``text_matrix`` is :meth:`_text_matrix` of ``texts``, made once for both (issue 13)."""
        log_proba = self.classifier.predict_log_proba(self._matrix(texts, nothing_means, text_matrix))
        share = self.params.get("bayes_share", 0.0) if self.bayes is not None else 0.0
        if share:
            joint = np.asarray(text_matrix @ self.bayes.T)
            bayes = joint - logsumexp(joint, axis=1, keepdims=True)
            log_proba = (1 - share) * log_proba + share * bayes
            log_proba -= logsumexp(log_proba, axis=1, keepdims=True)
        return log_proba

    def _text_matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = [str(t or "") for t in texts]
        fast = self.__dict__.get("_char_grams")  # the chars' transform, counted word by word (issue 13)
        if fast is None or fast.vectoriser is not self.chars:
            fast = self.__dict__["_char_grams"] = CharGramTfidf(self.chars)
        words = self.__dict__.get("_word_grams")  # the words' transform, counted by C loops (issue 13)
        if words is None or words.vectoriser is not self.words:
            words = self.__dict__["_word_grams"] = WordGramTfidf(self.words)
        return sparse.hstack([words.transform(texts), fast.transform(texts)]).tocsr()

    def _themes(self, text_matrix: sparse.csr_matrix) -> list[list[str]]:
        found: list[list[str]] = [[] for _ in range(text_matrix.shape[0])]
        for key, (coef, intercept) in sorted(self.theme_classifiers.items()):
            scores = text_matrix @ np.asarray(coef) + float(intercept)
            for i in np.flatnonzero(scores > 0):
                found[int(i)].append(key)
        return found

    def dumps(self) -> bytes:
        """The model as bytes for the database: plain arrays (NumPy's format, no pickled code)."""
        buffer = io.BytesIO()
        arrays = {}
        for name, vectoriser in (("words", self.words), ("chars", self.chars)):
            terms = sorted(vectoriser.vocabulary_, key=vectoriser.vocabulary_.get)
            arrays[f"{name}_terms"] = np.array(terms, dtype=str)
            arrays[f"{name}_idf"] = np.asarray(vectoriser.idf_, dtype=np.float32)
        for key, (coef, intercept) in self.theme_classifiers.items():
            arrays[f"theme_coef_{key}"] = np.asarray(coef, dtype=np.float32)
            arrays[f"theme_intercept_{key}"] = np.asarray([intercept])
        if self.bayes is not None:
            arrays["bayes"] = np.asarray(self.bayes, dtype=np.float32)
        meta = {"n_development": self.n_development, "n_coded": self.n_coded, "params": self.params,
                "themes": sorted(self.theme_classifiers), "format": 1}
        np.savez_compressed(buffer, coef=np.asarray(self.classifier.coef_, dtype=np.float32),
                            intercept=np.asarray(self.classifier.intercept_, dtype=np.float32),
                            classes=np.array(self.classifier.classes_, dtype=str),
                            meta=np.array(json.dumps(meta)), **arrays)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> "SentimentModel":
        """A model from :meth:`dumps` bytes. Raises ``ValueError`` for anything else."""
        try:
            stored = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(str(stored["meta"]))
            vectorisers = []
            for name, vectoriser in (("words", _word_vectoriser()), ("chars", _char_vectoriser())):
                vectoriser.vocabulary_ = {str(t): i for i, t in enumerate(stored[f"{name}_terms"])}
                vectoriser.idf_ = stored[f"{name}_idf"].astype(np.float64)
                vectorisers.append(vectoriser)
            classifier = LogisticRegression()
            classifier.coef_ = stored["coef"].astype(np.float64)
            classifier.intercept_ = stored["intercept"].astype(np.float64)
            classifier.classes_ = stored["classes"].astype(object)
            classifier.n_features_in_ = classifier.coef_.shape[1]
            themes = {key: (stored[f"theme_coef_{key}"], float(stored[f"theme_intercept_{key}"][0]))
                      for key in meta.get("themes", [])}
            bayes = stored["bayes"].astype(np.float64) if "bayes" in stored.files else None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"the stored bytes are not a sentiment model ({error})") from None
        return SentimentModel(vectorisers[0], vectorisers[1], classifier, meta["n_development"], meta["n_coded"],
                              meta["params"], themes, bayes)


def _word_vectoriser() -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=40000)


def _char_vectoriser() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=40000)


def coded_answer_weight(n_development: int, n_coded: int, floor: float = DEFAULT_CODED_WEIGHT) -> float:
    """The weight of each coded answer against one development row: ``floor``, or more when
    there are few coded answers, so that together they weigh as much as the development rows
    (100 coded answers against 1,771 development rows weigh 17.7 each; 1,000 weigh 3 each)."""
    return max(floor, n_development / n_coded) if n_coded else floor


def _fit_classifier(matrix: sparse.csr_matrix, labels: Sequence[str], weights: np.ndarray, c: float,
                    balanced: bool) -> LogisticRegression:
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None,
                                    solver="newton-cg")
    return classifier.fit(matrix, list(labels), sample_weight=weights)


def choose_coded_weight(matrix: sparse.csr_matrix, labels: Sequence[str], n_development: int, *,
                        c: float = DEFAULT_C, balanced: bool = True, folds: int = WEIGHT_CHOICE_FOLDS,
                        seed: int = 0) -> tuple[float, dict]:
    """The weight of each coded answer, and how it was chosen.

    ``matrix`` and ``labels`` hold the development rows first, then the coded rows. With
    fewer than :data:`MIN_CODED_TO_CHOOSE` coded answers the weight is
    :func:`coded_answer_weight`'s. From that many on, the coded answers decide between
    :data:`DEFAULT_CODED_WEIGHT` and :func:`coded_answer_weight`'s (together as heavy as the
    development file): each is scored by ``folds``-fold cross-validated macro-F1 on the coded
    answers (development rows always in training), and the better wins, ties going to the
    heavier weight. Answers unlike the development file choose the heavy weight, answers
    close to it the lighter one (measured in ``bench/evaluate_sentiment.py --learned``).
    """
    labels = list(labels)
    n_coded = len(labels) - n_development
    rule = coded_answer_weight(n_development, n_coded)
    candidates = sorted({DEFAULT_CODED_WEIGHT, rule}, reverse=True)
    if n_coded < MIN_CODED_TO_CHOOSE or len(candidates) == 1 or len(set(labels)) < 2:
        return rule, {"by": "rule", "n_coded": n_coded, "n_development": n_development}
    coded_rows = n_development + np.random.default_rng(seed).permutation(n_coded)
    scores = {}
    for weight in candidates:
        truth, predicted = [], []
        for k in range(folds):
            held = coded_rows[k::folds]
            train = np.setdiff1d(np.arange(len(labels)), held)
            weights = np.where(train < n_development, 1.0, weight)
            classifier = _fit_classifier(matrix[train], [labels[i] for i in train], weights, c, balanced)
            predicted += [str(label) for label in classifier.predict(matrix[held])]
            truth += [labels[i] for i in held]
        scores[weight] = macro_f1(truth, predicted)
    chosen = max(candidates, key=lambda w: scores[w])  # max keeps the first (heavier) on a tie
    return chosen, {"by": "cross-validation", "n_coded": n_coded, "n_development": n_development, "folds": folds,
                    "macro_f1": {f"{w:g}": round(f, 4) for w, f in scores.items()}}


def train_sentiment_model(development: Sequence[LabelledText], coded: Sequence[LabelledText] = (), *,
                          coded_weight: float | None = None, c: float = DEFAULT_C,
                          text_weight: float = DEFAULT_TEXT_WEIGHT,
                          rule_weight: float = RULE_FEATURE_SCALE, balanced: bool = True,
                          bayes_share: float = DEFAULT_BAYES_SHARE,
                          development_share: float = DEFAULT_DEVELOPMENT_SHARE) -> SentimentModel:
    """Fit a :class:`SentimentModel` on development rows plus coded rows, each coded row
    weighted ``coded_weight`` (default: chosen by :func:`choose_coded_weight`, which the
    model's ``params["weight_choice"]`` records, made with the regression alone), and a complement
    naive Bayes model blended in: with share ``bayes_share`` when there are no coded answers, fading
    as they outweigh the development rows (the share times the development rows' part of the total
    weight, which ``params["bayes_share"]`` records; 0: the regression alone). With coded answers and
    development rows, the same model fitted on the development rows alone is mixed in (in log-odds) by
    :func:`development_model_share` of ``development_share`` (``params["development_share"]``; 0: not at all).

    Raises ``ValueError`` when there are no rows or fewer than two labels, or a
    label outside :data:`LABELS`.
    """
    rows = [r for r in list(development) + list(coded) if str(r.text or "").strip()]
    if not rows:
        raise ValueError("no labelled text to train on")
    unknown = sorted({r.label for r in rows} - set(LABELS))
    if unknown:
        raise ValueError(f"unknown sentiment label(s): {', '.join(unknown)}")
    if len({r.label for r in rows}) < 2:
        raise ValueError("training needs at least two different labels")
    n_dev = sum(1 for r in development if str(r.text or "").strip())
    texts = [r.text for r in rows]
    labels = [r.label for r in rows]
    words, chars = _word_vectoriser(), _char_vectoriser()
    words.fit(texts)
    chars.fit(texts)
    model = SentimentModel(words, chars, LogisticRegression(), n_development=n_dev, n_coded=len(rows) - n_dev,
                           params={"c": c, "text_weight": text_weight, "rule_weight": rule_weight})
    text_matrix = model._text_matrix(texts)
    matrix = model._matrix(texts, [r.nothing_means for r in rows], text_matrix)
    if coded_weight is None:
        coded_weight, choice = choose_coded_weight(matrix, labels, n_dev, c=c, balanced=balanced)
    else:
        choice = {"by": "caller", "n_coded": len(rows) - n_dev, "n_development": n_dev}
    weights = np.array([1.0] * n_dev + [coded_weight] * (len(rows) - n_dev))
    coded_part = _fit_part(matrix, text_matrix, labels, weights, c, balanced, bayes_share * n_dev / weights.sum())
    mix, development = _development_mix(matrix, text_matrix, labels, n_dev, choice, coded_weight, development_share,
                                        c, balanced)
    if mix["share"]:
        development_part = _fit_part(matrix[:n_dev], text_matrix[:n_dev], labels[:n_dev], np.ones(n_dev), c, balanced,
                                     bayes_share, development)
        coded_part = coded_part.blended(development_part, mix["share"])
    model.classifier, model.bayes = coded_part.classifier, coded_part.bayes
    model.params.update(coded_weight=coded_weight, weight_choice=choice, bayes_share=coded_part.bayes_share)
    if len(rows) > n_dev:  # recorded only with coded answers: the shipped model's bytes stay as they were
        model.params.update(development_share=mix.pop("share"), development_mix=mix)
    return model


def coded_likeness_auc(text_matrix: sparse.csr_matrix, n_development: int, *, folds: int = WEIGHT_CHOICE_FOLDS,
                        seed: int = 0) -> float:
    """How well the coded answers (the rows after the first ``n_development``) can be told from the
    development rows by their words and characters: the ``folds``-fold cross-validated area under
    the ROC curve of a logistic regression telling them apart (0.5: not at all; 1: always). The
    development file's own later months score about 0.5, another service type 0.7-0.9."""
    source = np.r_[np.zeros(n_development), np.ones(text_matrix.shape[0] - n_development)]
    order = np.random.default_rng(seed).permutation(len(source))
    scores = np.zeros(len(source))
    for k in range(folds):
        held = order[k::folds]
        train = np.setdiff1d(order, held)
        classifier = LogisticRegression(max_iter=1000, class_weight="balanced").fit(text_matrix[train], source[train])
        scores[held] = classifier.decision_function(text_matrix[held])
    return float(roc_auc_score(source, scores))


def _development_mix(matrix: sparse.csr_matrix, text_matrix: sparse.csr_matrix, labels: list[str], n_dev: int,
                     choice: dict, coded_weight: float, share: float, c: float,
                     balanced: bool) -> tuple[dict, LogisticRegression | None]:
    """Whether, and how much, the development rows' own model is mixed in (``share``), and why: from
    :data:`MIN_CODED_TO_CHOOSE` coded answers on, when they read like the development rows
    (:data:`MIX_MAX_AUC`) and, when their weight was cross-validated, the development rows' model
    labels them nearly as well (:data:`MIX_MAX_F1_SHORTFALL`); then by :func:`development_model_share`.
    Also the development rows' regression, when fitted."""
    n_coded = len(labels) - n_dev
    if not share or not n_dev or n_coded < MIN_CODED_TO_CHOOSE or set(labels[:n_dev]) != set(labels):
        why = "not asked for" if not share else "no development rows" if not n_dev else (
            f"fewer than {MIN_CODED_TO_CHOOSE} coded answers" if n_coded < MIN_CODED_TO_CHOOSE
            else "the coded answers have a label the development rows lack")
        return {"share": 0.0, "why": why}, None
    auc = coded_likeness_auc(text_matrix, n_dev)
    development = _fit_classifier(matrix[:n_dev], labels[:n_dev], np.ones(n_dev), c, balanced)
    development_f1 = macro_f1(labels[n_dev:], [str(label) for label in development.predict(matrix[n_dev:])])
    coded_f1 = choice.get("macro_f1", {}).get(f"{coded_weight:g}")  # none when the caller chose the weight
    figures = {"likeness_auc": round(auc, 4), "development_f1": round(development_f1, 4), "coded_cv_f1": coded_f1}
    if auc > MIX_MAX_AUC:
        return {"share": 0.0, "why": "the coded answers read unlike the development rows", **figures}, development
    if coded_f1 is not None and development_f1 < coded_f1 - MIX_MAX_F1_SHORTFALL:
        return {"share": 0.0, "why": "the development rows' model labels the coded answers worse", **figures}, development
    return {"share": development_model_share(n_dev, n_coded, share), "why": "the coded answers read like the "
            "development rows and its model labels them about as well", **figures}, development


def development_model_share(n_development: int, n_coded: int, share: float = DEFAULT_DEVELOPMENT_SHARE) -> float:
    """How much of the model trained with coded answers is the model of the development rows alone:
    ``share`` times the development rows' part of the weight when each coded answer weighs
    :data:`DEFAULT_CODED_WEIGHT` (0 without coded answers or without development rows; 1,771
    development rows and 100 coded answers: 0.43; 1,000: 0.19)."""
    if not n_coded or not n_development:
        return 0.0
    return share * n_development / (n_development + DEFAULT_CODED_WEIGHT * n_coded)


@dataclass
class _Part:
    """A fitted regression and naive Bayes log-weights with the naive Bayes share of their blend."""

    classifier: LogisticRegression
    bayes: np.ndarray | None
    bayes_share: float

    def blended(self, other: "_Part", other_share: float) -> "_Part":
        """One part whose log-odds are this part's and ``other``'s mixed, ``other_share`` of the
        latter. Each part's labels are a softmax of linear scores, so the mixture is one regression
        and one naive Bayes model again: stored and predicted as before, at no extra cost."""
        if list(self.classifier.classes_) != list(other.classifier.classes_):
            raise ValueError("the parts were fitted on different labels")
        mine, theirs = 1 - other_share, other_share
        bayes_share = mine * self.bayes_share + theirs * other.bayes_share
        regression = 1 - bayes_share
        if regression <= 0:  # naive Bayes alone on both sides: the regression has no say, keep it as it is
            mine_r, theirs_r, regression = 1.0, 0.0, 1.0
        else:
            mine_r, theirs_r = mine * (1 - self.bayes_share), theirs * (1 - other.bayes_share)
        classifier = LogisticRegression()
        classifier.classes_ = self.classifier.classes_
        classifier.coef_ = (mine_r * self.classifier.coef_ + theirs_r * other.classifier.coef_) / regression
        classifier.intercept_ = (mine_r * self.classifier.intercept_ + theirs_r * other.classifier.intercept_) / regression
        classifier.n_features_in_ = classifier.coef_.shape[1]
        bayes = None
        if bayes_share:
            bayes = sum(share * part.bayes_share * part.bayes for share, part in ((mine, self), (theirs, other))
                        if part.bayes_share) / bayes_share
        return _Part(classifier, bayes, bayes_share)


def _fit_part(matrix: sparse.csr_matrix, text_matrix: sparse.csr_matrix, labels: Sequence[str], weights: np.ndarray,
              c: float, balanced: bool, bayes_share: float, classifier: LogisticRegression | None = None) -> _Part:
    classifier = classifier or _fit_classifier(matrix, labels, weights, c, balanced)
    bayes = None
    if bayes_share:
        bayes = ComplementNB(alpha=BAYES_SMOOTHING).fit(text_matrix, list(labels), sample_weight=weights).feature_log_prob_
    return _Part(classifier, bayes, bayes_share if bayes is not None else 0.0)


def add_theme_classifiers(model: SentimentModel, coded: Sequence[tuple[str, Sequence[str]]],
                          min_examples: int = 20, c: float = 1.0) -> list[str]:
    """Train a classifier for each theme with at least ``min_examples`` coded answers carrying it,
    on the answers whose themes were coded (``(text, theme keys)``); the others are the negatives.
    Adds them to ``model`` and returns the theme keys learned. The codebook's patterns stay the
    explanation; a classifier only adds answers the patterns missed."""
    coded = [(str(t), set(keys)) for t, keys in coded if str(t or "").strip()]
    counts: dict[str, int] = {}
    for _t, keys in coded:
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    learnable = sorted(k for k, n in counts.items() if n >= min_examples and n < len(coded))
    if not learnable:
        return []
    matrix = model._text_matrix([t for t, _k in coded])
    for key in learnable:
        target = [key in keys for _t, keys in coded]
        classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(matrix, target)
        model.theme_classifiers[key] = (classifier.coef_[0], float(classifier.intercept_[0]))
    return learnable


# ---------------------------------------------------------------- measuring


def per_class_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """F1 of each label in :data:`LABELS` (0 where a label is never true nor predicted)."""
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    out = {}
    for c in LABELS:
        tp = int(((yt == c) & (yp == c)).sum())
        fp = int(((yt != c) & (yp == c)).sum())
        fn = int(((yt == c) & (yp != c)).sum())
        out[c] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return out


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Mean of :func:`per_class_f1` over the three labels."""
    return float(np.mean(list(per_class_f1(y_true, y_pred).values())))


def bootstrap_interval(y_true: Sequence[str], y_pred: Sequence[str], metric: Callable = macro_f1,
                       n: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over the rows (resampled with replacement)."""
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    if not len(yt):
        raise ValueError("no rows to resample")
    rng = np.random.default_rng(seed)
    scores = [metric(yt[idx], yp[idx]) for idx in (rng.integers(0, len(yt), len(yt)) for _ in range(n))]
    lo, hi = np.quantile(scores, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def cross_validated_coded_f1(development: Sequence[LabelledText], coded: Sequence[LabelledText], *,
                             folds: int = 5, seed: int = 0, **train_options) -> float | None:
    """Macro-F1 on the coded answers, each fold predicted by a model trained on the
    development rows plus the other folds. ``None`` with fewer than ``2 * folds`` coded answers."""
    coded = list(coded)
    if len(coded) < 2 * folds:
        return None
    order = [int(i) for i in np.random.default_rng(seed).permutation(len(coded))]
    predicted: dict[int, str] = {}
    for k in range(folds):
        held = set(order[k::folds])
        model = train_sentiment_model(development, [coded[i] for i in order if i not in held], **train_options)
        ids = sorted(held)
        for i, label in zip(ids, model.predict([coded[i].text for i in ids], [coded[i].nothing_means for i in ids])):
            predicted[i] = label
    ids = sorted(predicted)
    return macro_f1([coded[i].label for i in ids], [predicted[i] for i in ids])


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` and its Student-t interval (low = high = mean for one value)."""
    from scipy import stats

    values = np.asarray(list(values), dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def learning_curve(development: Sequence[LabelledText], new_source: Sequence[LabelledText],
                   steps: Sequence[int] = (0, 100, 250, 500, 1000), *, repeats: int = 10, seed: int = 0,
                   against: dict | None = None, **train_options) -> list[dict]:
    """Macro-F1 on a new source as more of its answers are coded and added to training.

    For each repeat (a random draw) the new source is shuffled; the rows after the
    largest step are the test set (the same for every step of that draw), and the
    first ``n`` rows are the coded answers for step ``n``. Returns one dict per step:
    ``n``; ``mean`` with its 95% interval over draws (``low``, ``high``); ``min`` and
    ``max``; ``gain``, ``gain_low``, ``gain_high``: the mean paired change from the
    previous step (same draw, same test rows) with its interval; and ``weights``: the
    weight each draw's model gave a coded answer. With ``against`` (training options, e.g.
    ``{"development_share": 0}``), each step's draws also train that model, with the same coded
    weight, and ``against`` holds its figures (the same keys but ``against`` and ``weights``), with
    ``difference``, ``difference_low``, ``difference_high``: the paired change to the first model.
    Raises ``ValueError`` when the new source has no rows left to test on.
    """
    new_source = list(new_source)
    largest = max(steps)
    if len(new_source) <= largest:
        raise ValueError(f"the new source has {len(new_source)} rows: none left to test after {largest}")
    scores: dict[int, list[float]] = {n: [] for n in steps}
    other: dict[int, list[float]] = {n: [] for n in steps}
    weights: dict[int, list[float]] = {n: [] for n in steps}
    for r in range(repeats):
        rows = [new_source[int(i)] for i in np.random.default_rng(seed + r).permutation(len(new_source))]
        test = rows[largest:]
        for n in steps:
            model = train_sentiment_model(development, rows[:n], **train_options)
            weights[n].append(float(model.params["coded_weight"]))
            scores[n].append(_score_on(model, test))
            if against is not None:
                options = {**train_options, **against, "coded_weight": weights[n][-1]}
                other[n].append(_score_on(train_sentiment_model(development, rows[:n], **options), test))
    curve = _curve_points(scores)
    for point, against_point in zip(curve, _curve_points(other) if against is not None else ()):
        n = point["n"]
        difference = mean_interval(np.subtract(scores[n], other[n]))
        point.update(against=against_point, difference=difference[0], difference_low=difference[1],
                     difference_high=difference[2])
    for point in curve:
        point["weights"] = weights[point["n"]]
    return curve


def _score_on(model: SentimentModel, test: Sequence[LabelledText]) -> float:
    return macro_f1([t.label for t in test], model.predict([t.text for t in test], [t.nothing_means for t in test]))


def _curve_points(scores: dict[int, list[float]]) -> list[dict]:
    """Each step's mean macro-F1 over draws and the paired gain from the previous step, with intervals."""
    curve = []
    previous: list[float] | None = None
    for n, s in scores.items():
        mean, low, high = mean_interval(s)
        gain = mean_interval(np.subtract(s, previous)) if previous is not None else (0.0, 0.0, 0.0)
        curve.append({"n": n, "mean": mean, "low": low, "high": high, "min": float(min(s)), "max": float(max(s)),
                      "gain": gain[0], "gain_low": gain[1], "gain_high": gain[2]})
        previous = s
    return curve


# ---------------------------------------------------------------- the shipped default


def shipped_model_bytes(path: Path = SHIPPED_MODEL_PATH) -> bytes | None:
    """The shipped default model's stored bytes (load with :meth:`SentimentModel.loads`), or
    None when the file is absent (an installation without it labels with the rules)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def stored_model_id(data: bytes) -> str:
    """A short name for stored model bytes that changes whenever the model does: ``ship-`` and
    the first eight hexadecimal digits of their SHA-256 (short: it is part of the analyser
    version stored with each answer's features, a column of 20 characters)."""
    return "ship-" + hashlib.sha256(data).hexdigest()[:8]
