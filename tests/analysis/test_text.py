import pytest
from analysis.text import content_tokens, lemmatise, normalise, tokenise


def test_tokenise_keeps_contractions_and_normalises_quotes():
    assert tokenise("I didn\u2019t know MY social worker's name!") == [
        "i", "didn't", "know", "my", "social", "worker's", "name"]
    assert tokenise(None) == [] and normalise(float("nan")) == ""


def test_lemmatise_simple_plurals():
    assert [lemmatise(w) for w in ["workers", "families", "boxes", "plans", "children", "class", "bus", "sdq"]] == [
        "worker", "family", "box", "plan", "child", "class", "bus", "sdq"]


def test_content_tokens_drop_stopwords():
    assert content_tokens("The chronologies were not used by the teams") == ["chronology", "used", "team"]


@pytest.mark.parametrize("word", ["not", "no", "never", "hardly", "less", "lack", "without",
                                  "didn't", "didnt", "wouldnt", "havent", "can't"])
def test_one_negation_list_serves_sentiment_and_the_codebook(word):
    from analysis.codebook import shipped_codebook
    from analysis.sentiment import sentiment
    from analysis.text import is_negator

    assert is_negator(word)
    # the codebook reads the word as negating the theme it comes before...
    assert [(m.theme, m.negated) for m in shipped_codebook().matches(f"there was {word} food at home")] == [
        ("practical_needs", True)]
    # ...and sentiment reads it as flipping the praise it comes before
    assert sentiment(f"the staff were {word} helpful").label == "negative"


@pytest.mark.parametrize("word", ["note", "know", "nothings", "lacked", "food"])
def test_words_that_only_look_negative_do_not_negate(word):
    from analysis.text import is_negator

    assert not is_negator(word)


def test_apostrophes_of_every_kind_are_dropped_the_same_way():
    from analysis.text import drop_apostrophes

    assert {drop_apostrophes(w) for w in ["don't", "don\u2019t", "don\u2018t", "don`t", "don\u02bct"]} == {"dont"}
