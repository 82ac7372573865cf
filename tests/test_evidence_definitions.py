"""Who answers a questionnaire (``respondent``), identifier questions and the
Yes/No/Not known type: the definition side of the framework's evidence (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback_app.insights.policy import disclosure_policy
from feedback_app.definitions import (
    DefinitionError,
    check_against_previous,
    parse_definition,
    read_definitions,
    respondent_of,
    sync_questionnaires,
)
from feedback_app.models import QuestionnaireVersion
from feedback_app.text_analysis import current_codebook, derive

BASE = """\
slug: demo
version: 1
title: Demo
audience: agency-leads
cadence: quarterly
governance: {reviewed_by: WG, escalated_to: Board, frequency: Quarterly, capture_point: Minutes}
questions:
  - key: case_reference
    type: short_text
    text: Case reference
  - key: needs
    type: yes_no_not_known
    text: Does the child have individual needs?
"""

# Content hashes of the shipped version-1 files as published before ``respondent``
# existed: they must not change, or every deployment would refuse its own files.
PUBLISHED_HASHES = {
    "action-plan-summary-v1.yaml": "d9170cc23724f99f",
    "multi-agency-audit-v1.yaml": "6a0232e189f0f564",
    "children-v1.yaml": "6580709475cfdf5a",
    "practitioners-v1.yaml": "1df4bfcf61fb7f2c",
}


def test_published_files_keep_their_hash_and_get_a_respondent():
    definitions = {d.source: d for d in read_definitions()}
    for source, prefix in PUBLISHED_HASHES.items():
        assert definitions[source].content_hash.startswith(prefix), source
    assert definitions["action-plan-summary-v1.yaml"].respondent == "organisation"
    assert definitions["multi-agency-audit-v1.yaml"].respondent == "organisation"
    assert definitions["children-v1.yaml"].respondent == "person"
    assert definitions["practitioners-v1.yaml"].respondent == "person"


def test_declared_respondent_is_part_of_the_content():
    undeclared = parse_definition(BASE, "demo-v1.yaml")
    declared = parse_definition(BASE + "respondent: organisation\n", "demo-v1.yaml")
    assert undeclared.respondent == "person" and declared.respondent == "organisation"
    assert declared.content_hash != undeclared.content_hash
    assert declared.as_dict()["respondent"] == "organisation"
    assert "respondent" not in undeclared.as_dict()


@pytest.mark.parametrize(
    "extra, message",
    [
        ("respondent: agency\n", "demo-v1.yaml: unknown respondent 'agency'; use one of person, organisation"),
        ("", None),
    ],
)
def test_bad_respondent_is_refused(extra, message):
    if message is None:
        parse_definition(BASE + extra, "demo-v1.yaml")
        return
    with pytest.raises(DefinitionError) as raised:
        parse_definition(BASE + extra, "demo-v1.yaml")
    assert str(raised.value) == message


def test_a_new_version_may_not_change_who_answers():
    old = parse_definition(BASE, "demo-v1.yaml")
    new = parse_definition(
        BASE.replace("version: 1", "version: 2\nprevious_version: 1") + "respondent: organisation\n", "demo-v2.yaml"
    )
    with pytest.raises(DefinitionError, match="changes respondent from person to organisation"):
        check_against_previous(new, old)


def test_stored_versions_say_who_answers(session):
    sync_questionnaires(session)
    versions = {v.questionnaire.slug: v for v in session.scalars(select(QuestionnaireVersion))}
    assert not disclosure_policy(versions["action-plan-summary"].questionnaire, 5).active  # named returns: never suppressed
    assert disclosure_policy(versions["children"].questionnaire, 5).min_count == 5
    respondents = {v.questionnaire.slug: respondent_of(v) for v in session.scalars(select(QuestionnaireVersion))}
    assert respondents["action-plan-summary"] == "organisation"
    assert respondents["multi-agency-audit"] == "organisation"
    assert respondents["children"] == "person" and respondents["parents"] == "person"


def test_identifier_flag_belongs_to_short_text():
    flagged = parse_definition(
        BASE.replace("type: short_text\n    text: Case reference", "type: short_text\n    text: Ref\n    identifier: true"),
        "demo-v1.yaml",
    )
    assert flagged.question("case_reference").is_identifier
    with pytest.raises(DefinitionError, match="'identifier' is true or false, on a short_text question"):
        parse_definition(BASE.replace("type: yes_no_not_known", "type: yes_no_not_known\n    identifier: true"),
                         "demo-v1.yaml")


def test_case_reference_of_the_published_audit_is_an_identifier():
    audit = next(d for d in read_definitions() if d.slug == "multi-agency-audit")
    assert audit.question("case_reference").type == "short_text"  # as published
    assert audit.question("case_reference").is_identifier
    assert not audit.question("good_practice").is_identifier


def test_case_references_are_never_analysed_as_text(session):
    sync_questionnaires(session)
    version = session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.source_name == "multi-agency-audit-v1.yaml")
    )
    questions = {q.key: q for q in version.questions}
    codebook, _ = current_codebook(session)
    derived = derive(questions, {"case_reference": "NA-07 great", "good_practice": "Great joint working"}, codebook)
    assert "good_practice" in derived
    assert "case_reference" not in derived


def test_yes_no_not_known_has_its_fixed_options():
    definition = parse_definition(BASE, "demo-v1.yaml")
    assert definition.question("needs").options == ("Yes", "No", "Not known")
    with pytest.raises(DefinitionError, match="takes no options"):
        parse_definition(BASE.replace("type: yes_no_not_known", "type: yes_no_not_known\n    options: [A, B]"),
                         "demo-v1.yaml")


def test_audit_version_2_settles_cadence_types_and_adds_the_committee_areas():
    audits = {d.version: d for d in read_definitions() if d.slug == "multi-agency-audit"}
    v2 = audits[2]
    assert (v2.respondent, v2.cadence) == ("organisation", "bi-annual")
    assert "Twice a year (framework 8.1" in v2.cadence_note
    assert v2.question("case_reference").settings.get("identifier") is True
    assert v2.question("individual_needs_known").options == ("Yes", "No", "Not known")
    assert v2.question("individual_needs_description").type == "long_text"
    assert v2.question("individual_needs") is None
    for key in ("historical_information_used", "neglect_impact_analysed", "mandatory_tools_used",
                "management_oversight"):
        assert v2.question(key).type == "yes_partly_no" and v2.question(f"{key}_evidence") is not None
    check_against_previous(v2, audits[1])


def test_childrens_version_3_asks_what_the_seed_asks_and_says_it_is_not_comparable():
    children = {d.version: d for d in read_definitions() if d.slug == "children"}
    v3 = children[3]
    knew, planning = v3.question("knew_about_cp_plan"), v3.question("part_of_safety_planning")
    assert knew.child_text == "Did you know that you had a child protection plan?" and knew.comparable is False
    assert planning.child_text == "Did you help to make the plans to keep you safe?" and planning.comparable is False
    assert knew.text == children[2].question("knew_about_cp_plan").text  # the seed's question is unchanged
    check_against_previous(v3, children[2])
