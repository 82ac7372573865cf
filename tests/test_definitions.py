"""Questionnaire definitions: validation, publishing, immutability, diffs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback_app.definitions import (
    DefinitionError,
    PublishedVersionChanged,
    default_questionnaires_dir,
    diff_definitions,
    load_agencies,
    parse_definition,
    read_definitions,
    sync_questionnaires,
)
from feedback_app.models import Question, QuestionnaireVersion

GOOD = """\
slug: demo
version: 1
title: Demo
audience: practitioners
cadence: annual
governance: {reviewed_by: WG, escalated_to: Board, frequency: Annual, capture_point: QA report}
questions:
  - key: what_helped
    type: long_text
    text: What helped?
  - key: colour
    type: single_choice
    text: Pick one
    options: [Red, Blue]
"""


def test_shipped_definitions_are_valid_and_complete():
    definitions = read_definitions()
    assert [(d.slug, d.version) for d in definitions] == [
        ("action-plan-summary", 1),
        ("champions", 1),
        ("children", 1),
        ("children", 2),
        ("children", 3),
        ("children", 4),
        ("multi-agency-audit", 1),
        ("multi-agency-audit", 2),
        ("parents", 1),
        ("parents", 2),
        ("practitioners", 1),
        ("practitioners", 2),
    ]
    children = {d.version: d for d in definitions if d.slug == "children"}
    assert all(q.child_text for q in children[1].questions), "children need child-friendly wording"
    assert {"what_helped", "what_did_not_help", "what_could_be_better"} <= {q.key for q in children[2].questions}
    practitioners = next(d for d in definitions if d.slug == "practitioners")
    assert any(q.type == "scale_1_5" and "confiden" in q.key for q in practitioners.questions)
    for definition in definitions:
        assert definition.governance["capture_point"]


def test_agencies_live_in_one_place():
    agencies = load_agencies()
    assert agencies[:8] == ["CCG", "SPFT", "SCFT", "WHSFT", "Schools", "Police", "Children's Social Care", "Early Help"]
    assert "Community and Voluntary Sector" in agencies and "Other" in agencies


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("type: long_text", "type: essay"),
         "demo-v1.yaml: question 'what_helped': unknown type 'essay'; use one of long_text, short_text, "
         "single_choice, multiple_choice, scale_1_5, yes_partly_no, rag, number, agency, yes_no_not_known"),
        (("key: colour", "key: what_helped"),
         "demo-v1.yaml: question 'what_helped': is a duplicate key: each key may appear once"),
        (("    text: What helped?\n", ""),
         "demo-v1.yaml: question 'what_helped': is missing its wording ('text')"),
        (("    options: [Red, Blue]\n", ""),
         "demo-v1.yaml: question 'colour': a single_choice question needs a list of options"),
        (("cadence: annual", "cadence: weekly"),
         "demo-v1.yaml: unknown cadence 'weekly'; use one of annual, bi-annual, bimonthly, quarterly"),
        (("version: 1", "version: 2"),
         "demo-v1.yaml: says slug 'demo' version 2, but its file name says otherwise"),
        (("key: colour", "key: Colour!"),
         "demo-v1.yaml: question number 2 needs a 'key' in snake_case (lowercase letters, digits and underscores), not 'Colour!'"),
        (("questions:", "questions: []\nother:"),
         "demo-v1.yaml: has unknown field(s) other"),
        (("slug: demo", "slug: demo\n  bad: [unclosed"),
         None),
    ],
)
def test_malformed_definition_is_refused_with_file_key_and_fault(change, message):
    content = GOOD.replace(*change)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(content, "demo-v1.yaml")
    if message is None:
        assert str(raised.value).startswith("demo-v1.yaml: is not valid YAML")
    else:
        assert str(raised.value) == message


@pytest.fixture
def definitions_dir(tmp_path) -> Path:
    folder = tmp_path / "questionnaires"
    shutil.copytree(default_questionnaires_dir(), folder)
    return folder


def _count_versions(session) -> int:
    return session.scalar(select(func.count()).select_from(QuestionnaireVersion))


def test_sync_publishes_then_is_a_no_op(session, definitions_dir):
    first = sync_questionnaires(session, definitions_dir)
    assert len(first.published) == 12 and first.unchanged == []
    hashes = {v.source_name: v.content_hash for v in session.scalars(select(QuestionnaireVersion))}
    second = sync_questionnaires(session, definitions_dir)
    assert second.published == [] and len(second.unchanged) == 12
    assert {v.source_name: v.content_hash for v in session.scalars(select(QuestionnaireVersion))} == hashes


def test_comment_only_change_is_not_a_change(session, definitions_dir):
    sync_questionnaires(session, definitions_dir)
    path = definitions_dir / "parents-v1.yaml"
    path.write_text("# reviewed again in 2027\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert sync_questionnaires(session, definitions_dir).published == []


def test_changing_a_published_version_is_refused_and_nothing_changes(session, definitions_dir):
    sync_questionnaires(session, definitions_dir)
    before = session.scalar(select(func.count()).select_from(Question))
    path = definitions_dir / "children-v1.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("helped", "assisted", 1), encoding="utf-8")
    # A brand-new file in the same sync must not be half-loaded either.
    (definitions_dir / "demo-v1.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(PublishedVersionChanged) as raised:
        sync_questionnaires(session, definitions_dir)
    message = str(raised.value)
    assert message.startswith("children-v1.yaml: version 1 of 'children' is already published")
    assert "put your changes in a new version (children-v5.yaml with 'version: 5'" in message
    assert _count_versions(session) == 12
    assert session.scalar(select(func.count()).select_from(Question)) == before


def test_nothing_is_half_loaded_when_one_file_is_bad(session, definitions_dir):
    (definitions_dir / "zzz-v1.yaml").write_text(GOOD.replace("slug: demo", "slug: zzz").replace("type: long_text", "type: essay"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="zzz-v1.yaml: question 'what_helped': unknown type"):
        sync_questionnaires(session, definitions_dir)
    assert _count_versions(session) == 0


def test_reworded_question_must_declare_comparability(session, definitions_dir):
    sync_questionnaires(session, definitions_dir)
    v4 = (definitions_dir / "children-v4.yaml").read_text(encoding="utf-8")
    v5 = v4.replace("version: 4", "version: 5").replace("previous_version: 3", "previous_version: 4")
    original = next(q for q in read_definitions(definitions_dir) if q.slug == "children" and q.version == 4).question("what_helped")
    v5 = v5.replace(original.text, "What made things better for you?", 1)
    (definitions_dir / "children-v5.yaml").write_text(v5, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        sync_questionnaires(session, definitions_dir)
    assert str(raised.value) == (
        "children-v5.yaml: question 'what_helped': is re-worded since version 4: declare "
        "'comparable: true' if answers can still be compared with the old wording, or 'comparable: false'"
    )
    assert _count_versions(session) == 12


def test_changing_a_kept_keys_type_is_refused(session, definitions_dir):
    sync_questionnaires(session, definitions_dir)
    v4 = (definitions_dir / "children-v4.yaml").read_text(encoding="utf-8")
    v5 = v4.replace("version: 4", "version: 5").replace("previous_version: 3", "previous_version: 4")
    head, _, tail = v5.partition("key: what_helped")
    tail = tail.replace("type: long_text", "type: short_text", 1)
    (definitions_dir / "children-v5.yaml").write_text(head + "key: what_helped" + tail, encoding="utf-8")
    with pytest.raises(DefinitionError, match="changes type from long_text to short_text since version 4"):
        sync_questionnaires(session, definitions_dir)


def test_diff_children_1_2_keeps_the_three_original_keys():
    by_version = {d.version: d.as_dict() for d in read_definitions() if d.slug == "children"}
    diff = diff_definitions(by_version[1], by_version[2])
    assert {"what_helped", "what_did_not_help", "what_could_be_better"} <= set(diff.kept)
    assert set(diff.added) == {"knew_about_cp_plan", "knows_social_worker_name", "part_of_safety_planning"}
    assert diff.dropped == [] and diff.reworded == []


def test_adding_an_agency_does_not_change_published_versions(session, definitions_dir):
    sync_questionnaires(session, definitions_dir)
    agencies = definitions_dir / "agencies.yaml"
    agencies.write_text(agencies.read_text(encoding="utf-8") + '  - "Youth Offending Service"\n', encoding="utf-8")
    assert "Youth Offending Service" in load_agencies(definitions_dir)
    assert sync_questionnaires(session, definitions_dir).published == []
