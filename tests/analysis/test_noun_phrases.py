"""Noun phrases: Pattern's noun-phrase rule applied alone gives the chunks of Pattern's full parse."""

from __future__ import annotations

import pytest

from analysis.noun_phrases import noun_phrase_chunks, noun_phrases

SENTENCES = [
    "My social workers listened to me and came back when they said they would.",
    "Very nice work by the school nurse. Perhaps you could ring back sooner?",
    "Nothing and nobody helped; the staff and the nurses and doctors were kind and helpful",
    "and the new family support worker / early help worker visited every single week",
    "More time to talk and the same worker all the way through, not 5 different ones!!",
]


def _full_parse_chunks(text: str) -> list[list[str]]:
    """The B-NP/I-NP chunks (their words) of Pattern's full parse, as this module used to read them."""
    from textblob.en.parsers import PatternParser

    chunks: list[list[str]] = []
    current: list[str] | None = None
    for item in str(PatternParser().parse(text)).split():
        word, _tag, chunk = item.split("/")[:3]
        if chunk == "B-NP" or (chunk == "I-NP" and current is None):
            current = [word.replace("&slash;", "/")]
            chunks.append(current)
        elif chunk == "I-NP":
            current.append(word.replace("&slash;", "/"))
        else:
            current = None
    return chunks


@pytest.mark.parametrize("text", SENTENCES)
def test_the_noun_phrase_rule_alone_chunks_as_pattern_s_full_parse(text):

    ours = [[word for word, _tag in chunk] for chunk in noun_phrase_chunks(text)]
    assert ours == _full_parse_chunks(text)


def test_noun_phrases_are_singular_lower_case_and_without_determiners():
    assert noun_phrases("My social workers listened. The school nurse came every week.") == [
        "social worker", "school nurse", "week"]
    assert noun_phrases("Very nice work") == ["nice work"]
    assert noun_phrases("") == [] and noun_phrases(None) == []
