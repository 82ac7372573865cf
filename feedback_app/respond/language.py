"""The respondent's language: chosen with ``?lang=``, shown on every respondent page."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from ..translations import Language, Wording, available_languages, ui_text, wording_for
from . import bp
from .paging import FIELD_PREFIX


def wording(version: Any) -> Wording:
    """The wording of ``version`` in the language this request asks for (``lang`` in the
    query or the form); English when the version does not offer it."""
    translations = (version.definition or {}).get("translations") if version is not None else None
    return wording_for(translations, request.values.get("lang"))


def language_args(version: Any) -> dict[str, str]:
    """``{"lang": code}`` to keep the language in a link or redirect; empty for English."""
    language = wording(version).language
    return {"lang": language.code} if language.code != "en" else {}


def localise_form(form: Any, version: Any) -> None:
    """Put the chosen language's wording on ``form``'s labels and option labels.

    Option values stay the English ones, so every language stores the same answers.
    """
    chosen = wording(version)
    if chosen.content is None:
        return
    for question, field in form.question_fields():
        translated = chosen.question(question.key) or {}
        if "text" in translated:
            field.label.text = translated["text"]
        options = translated.get("options")
        if options and question.options:
            labels = dict(zip(question.options, options))
            field.choices = [SelectChoice(c.value, labels.get(c.value, c.label)) for c in field.choices]


class RespondentPage:
    """What a respondent template needs to speak the chosen language."""

    def __init__(self, version: Any):
        self.version = version
        self.wording = wording(version)

    @property
    def language(self) -> Language:
        """The page's language (its ``lang`` and ``dir``)."""
        return self.wording.language

    def text(self, key: str, **links: Any) -> Markup:
        """The page's own words for ``key``, with ``{name}`` places filled by ``links`` (markup)."""
        text = escape(ui_text(self.language.code, key))  # Markup: format() escapes what is not markup
        return text.format(**links) if links else text

    def title(self) -> str:
        """The questionnaire's title in this language."""
        return self.wording.title(self.version)

    def intro(self) -> str:
        """The questionnaire's intro in this language."""
        return self.wording.intro(self.version)

    def hint(self, question: Any) -> str | None:
        """The question's hint in this language."""
        translated = self.wording.question(question.key)
        return translated.get("hint") if translated else question.help

    def choices(self, endpoint: str, **values: Any) -> list[tuple[Language, str, bool]]:
        """(language, link to ``endpoint`` in it, is it this page's) for the language chooser."""
        translations = (self.version.definition or {}).get("translations")
        out = []
        for language in available_languages(translations):
            args = dict(values, **({"lang": language.code} if language.code != "en" else {}))
            out.append((language, url_for(endpoint, **args), language.code == self.language.code))
        return out if len(out) > 1 else []


@bp.app_context_processor
def _respondent_language() -> dict[str, Any]:
    return {"respondent_page": RespondentPage, "FIELD_PREFIX": FIELD_PREFIX}
