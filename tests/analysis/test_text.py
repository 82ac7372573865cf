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
