"""Translations and easy read: a version's wording in other languages, kept in the version.

A definition may carry::

    translations:
      pl:
        needs_review: true          # machine-drafted: a native speaker must check it
        title: "..."
        intro: "..."
        questions:
          what_helped: {text: "...", hint: "..."}
          age_band: {text: "...", options: ["...", ...]}   # same order as the English options

Translations are part of the version and its content hash, and each is checked complete
at sync. Answers keep their question keys and the English option values in every
language, so analysis sees one question whatever the language; each response records the
language it was given in. Nothing here knows about Flask or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Language:
    """A language a form can be shown in."""

    code: str        # as in ?lang= and in the definition
    name: str        # in the language itself, for the chooser
    english_name: str
    html_lang: str   # the page's lang attribute
    direction: str   # ltr or rtl

    @property
    def analysed(self) -> bool:
        """Whether the text analysers (English only) may read answers given in this language."""
        return self.code in ANALYSED_LANGUAGES


ENGLISH = Language("en", "English", "English", "en", "ltr")
LANGUAGES: dict[str, Language] = {
    "easy-read": Language("easy-read", "Easy read", "Easy-read English", "en", "ltr"),
    "pl": Language("pl", "Polski", "Polish", "pl", "ltr"),
    "ar": Language("ar", "العربية", "Arabic", "ar", "rtl"),
}
# Languages whose free text the (English) analysers read; the others are screened only.
ANALYSED_LANGUAGES = ("en", "easy-read")
LANGUAGE_KEYS = {"title", "intro", "questions", "needs_review"}
QUESTION_KEYS = {"text", "hint", "options", "scale_labels"}
UNTRANSLATED_OPTION_TYPES = ("agency",)  # agency names are the agencies' own names


class TranslationError(ValueError):
    """A translation is malformed or incomplete; ``key`` names the question when there is one."""

    def __init__(self, problem: str, key: str | None = None):
        self.problem = problem
        self.key = key
        super().__init__(problem)


def _text(value: Any, what: str, key: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TranslationError(f"{what} must be text", key)
    return value.strip()


def normalise_translations(raw: Any, questions: Sequence[Any], intro: str) -> dict[str, Any]:
    """The canonical form of a definition's ``translations``, checked complete.

    Every language must be known, and must translate the title, the intro (when there is
    one) and every question: its wording, its hint when it has one, its options (same
    number, same order) and its scale labels. Raises TranslationError saying what is missing.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TranslationError("'translations' must map language codes to translations")
    out: dict[str, Any] = {}
    for code, body in raw.items():
        language = LANGUAGES.get(code)
        if language is None:
            raise TranslationError(f"'translations' has unknown language {code!r}; use one of {', '.join(LANGUAGES)}")
        label = f"the {language.english_name} ({code}) translation"
        if not isinstance(body, dict):
            raise TranslationError(f"{label} must be a mapping with title, intro and questions")
        unknown = sorted(set(body) - LANGUAGE_KEYS)
        if unknown:
            raise TranslationError(f"{label} has unknown field(s) {', '.join(map(str, unknown))}")
        needs_review = body.get("needs_review", False)
        if not isinstance(needs_review, bool):
            raise TranslationError(f"{label}: 'needs_review' must be true or false")
        entry: dict[str, Any] = {"title": _text(body.get("title"), f"{label}: 'title'"), "needs_review": needs_review}
        if intro.strip():
            entry["intro"] = _text(body.get("intro"), f"{label}: 'intro'")
        translated = body.get("questions")
        if not isinstance(translated, dict):
            raise TranslationError(f"{label} needs 'questions', one entry per question key")
        keys = [question.key for question in questions]
        extra = [key for key in translated if key not in keys]
        if extra:
            raise TranslationError(f"{label} translates unknown question '{extra[0]}'")
        entry["questions"] = {q.key: _question(translated.get(q.key), q, label) for q in questions}
        out[code] = entry
    return out


def _question(raw: Any, question: Any, label: str) -> dict[str, Any]:
    key = question.key
    if raw is None:
        raise TranslationError(f"{label} is missing this question", key)
    if not isinstance(raw, dict):
        raise TranslationError(f"{label} must be a mapping with text (and hint, options)", key)
    unknown = sorted(set(raw) - QUESTION_KEYS)
    if unknown:
        raise TranslationError(f"{label} has unknown field(s) {', '.join(map(str, unknown))}", key)
    entry: dict[str, Any] = {"text": _text(raw.get("text"), f"{label}: 'text'", key)}
    if question.help:
        entry["hint"] = _text(raw.get("hint"), f"{label}: 'hint' (the question has help text)", key)
    elif "hint" in raw:
        raise TranslationError(f"{label} has a 'hint', but the question has no help text", key)
    options = list(question.options or ())
    if options and question.type not in UNTRANSLATED_OPTION_TYPES and question.type != "scale_1_5":
        given = raw.get("options")
        if not isinstance(given, list) or len(given) != len(options):
            raise TranslationError(f"{label} needs 'options': {len(options)} in the order {', '.join(options)}", key)
        entry["options"] = [_text(option, f"{label}: each option", key) for option in given]
    elif "options" in raw:
        raise TranslationError(f"{label} has 'options', but this question's options are not translated", key)
    labels = (question.settings or {}).get("scale_labels")
    if labels:
        given = raw.get("scale_labels")
        if not isinstance(given, dict) or sorted(map(str, given)) != sorted(labels):
            raise TranslationError(f"{label} needs 'scale_labels' for points {', '.join(sorted(labels))}", key)
        entry["scale_labels"] = {str(point): _text(text, f"{label}: each scale label", key) for point, text in given.items()}
    return entry


@dataclass(frozen=True)
class Wording:
    """What a respondent sees of a version in one language (English falls back to the version)."""

    language: Language
    content: Mapping[str, Any] | None  # the translation, or None for English

    @property
    def needs_review(self) -> bool:
        """Whether a native speaker has still to check this translation."""
        return bool(self.content and self.content.get("needs_review"))

    def title(self, version: Any) -> str:
        """The version's title in this language."""
        return self.content["title"] if self.content else version.title

    def intro(self, version: Any) -> str:
        """The version's intro in this language."""
        return self.content.get("intro", "") if self.content else version.intro

    def question(self, key: str) -> Mapping[str, Any] | None:
        """The question's translation (text, hint, options, scale_labels), or None in English."""
        return self.content["questions"].get(key) if self.content else None


def available_languages(translations: Mapping[str, Any] | None) -> list[Language]:
    """English and the languages a version is translated into, in a stable order."""
    return [ENGLISH] + [LANGUAGES[code] for code in LANGUAGES if code in (translations or {})]


def wording_for(translations: Mapping[str, Any] | None, code: str | None) -> Wording:
    """The wording for language ``code`` (from ``?lang=``); English for anything not offered."""
    if code and code in (translations or {}) and code in LANGUAGES:
        return Wording(LANGUAGES[code], translations[code])
    return Wording(ENGLISH, None)


# ---------------------------------------------------------------- the pages' own words
#
# What the respondent pages say around the questions, in each language. {name} marks
# a place the page fills in (a link, a number). The Polish and Arabic are a first
# draft that a native speaker must check, like the questionnaires' translations.

UI_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language": "Language",
        "what_happens": "What happens to your answers",
        "skip_any": "You do not have to answer every question. You can skip any you don't want to answer.",
        "no_name": "We don't ask for your name. Your answers are read by the adults who run the services that "
                   "help children and families, to make those services better.",
        "must_act": "If you write something that makes us worried that you or someone else might not be safe, "
                    "the adults who read it must do something to help keep them safe.",
        "start": "Start",
        "send": "Send my answers",
        "continue": "Continue",
        "save_later": "Save and finish later",
        "thanks_title": "Thank you",
        "thanks_lead": "We have got your answers. Thank you for telling us what you think: it helps make things "
                       "better for other children and families.",
        "help_title": "If you need help or someone to talk to",
        "help_childline": "Call Childline free on {childline}, any time, day or night. You can also talk to "
                          "them online at childline.org.uk.",
        "help_danger": "If you or someone else is in danger right now, call {emergency}.",
        "help_local": "Call the {local_name} on {local_number}.",
        "help_trusted": "You can also tell a teacher, your social worker, or another adult you trust.",
        "needs_review": "",
    },
    "easy-read": {
        "language": "Language",
        "what_happens": "What happens to your answers",
        "skip_any": "You do not have to answer every question.",
        "no_name": "We do not ask for your name. Grown-ups who help children and families will read your "
                   "answers. They want to make their help better.",
        "must_act": "If you tell us that you or someone else is not safe, the grown-ups must help.",
        "start": "Start",
        "send": "Send my answers",
        "continue": "Next",
        "save_later": "Save and finish later",
        "thanks_title": "Thank you",
        "thanks_lead": "We have got your answers. Thank you for telling us what you think.",
        "help_title": "If you need help",
        "help_childline": "Call Childline on {childline}. It is free. You can call any time.",
        "help_danger": "If someone is in danger now, call {emergency}.",
        "help_local": "Call the {local_name} on {local_number}.",
        "help_trusted": "You can tell a teacher, your social worker or another grown-up you trust.",
        "needs_review": "",
    },
    "pl": {
        "language": "Język",
        "what_happens": "Co stanie się z Twoimi odpowiedziami",
        "skip_any": "Nie musisz odpowiadać na każde pytanie. Możesz pominąć każde, na które nie chcesz odpowiadać.",
        "no_name": "Nie pytamy o Twoje imię. Twoje odpowiedzi przeczytają dorośli, którzy prowadzą usługi "
                   "pomagające dzieciom i rodzinom, żeby te usługi były lepsze.",
        "must_act": "Jeśli napiszesz coś, co sprawi, że zaczniemy się martwić, że Ty albo ktoś inny może nie być "
                    "bezpieczny, dorośli, którzy to przeczytają, muszą coś zrobić, żeby pomóc.",
        "start": "Zacznij",
        "send": "Wyślij moje odpowiedzi",
        "continue": "Dalej",
        "save_later": "Zapisz i dokończ później",
        "thanks_title": "Dziękujemy",
        "thanks_lead": "Otrzymaliśmy Twoje odpowiedzi. Dziękujemy, że powiedziałeś nam, co myślisz: to pomaga "
                       "innym dzieciom i rodzinom.",
        "help_title": "Jeśli potrzebujesz pomocy albo kogoś, z kim możesz porozmawiać",
        "help_childline": "Zadzwoń bezpłatnie do Childline pod numer {childline}, o każdej porze dnia i nocy "
                          "(rozmowa po angielsku). Możesz też porozmawiać z nimi przez internet: childline.org.uk.",
        "help_danger": "Jeśli Ty albo ktoś inny jest teraz w niebezpieczeństwie, dzwoń pod {emergency}.",
        "help_local": "Zadzwoń do {local_name} pod numer {local_number}.",
        "help_trusted": "Możesz też powiedzieć nauczycielowi, swojemu pracownikowi socjalnemu albo innemu "
                        "dorosłemu, któremu ufasz.",
        "needs_review": "Ta wersja językowa to wstępne tłumaczenie.",
    },
    "ar": {
        "language": "اللغة",
        "what_happens": "ماذا يحدث لإجاباتك",
        "skip_any": "لا يجب عليك الإجابة عن كل سؤال. يمكنك تخطي أي سؤال لا تريد الإجابة عنه.",
        "no_name": "لا نسألك عن اسمك. يقرأ إجاباتك الكبار الذين يديرون الخدمات التي تساعد الأطفال والعائلات، "
                   "من أجل تحسين هذه الخدمات.",
        "must_act": "إذا كتبت شيئًا يجعلنا نقلق من أنك أو شخصًا آخر قد لا تكون في أمان، فيجب على الكبار الذين "
                    "يقرؤونه أن يفعلوا شيئًا للمساعدة في الحفاظ على سلامته.",
        "start": "ابدأ",
        "send": "أرسل إجاباتي",
        "continue": "التالي",
        "save_later": "احفظ وأكمل لاحقًا",
        "thanks_title": "شكرًا لك",
        "thanks_lead": "وصلتنا إجاباتك. شكرًا لأنك أخبرتنا برأيك: هذا يساعد في تحسين الأمور لأطفال وعائلات آخرين.",
        "help_title": "إذا كنت بحاجة إلى مساعدة أو إلى شخص تتحدث معه",
        "help_childline": "اتصل بـ Childline مجانًا على الرقم {childline} في أي وقت، ليلًا أو نهارًا "
                          "(باللغة الإنجليزية). يمكنك أيضًا التحدث معهم عبر الإنترنت على childline.org.uk.",
        "help_danger": "إذا كنت أنت أو شخص آخر في خطر الآن، فاتصل بالرقم {emergency}.",
        "help_local": "اتصل بـ {local_name} على الرقم {local_number}.",
        "help_trusted": "يمكنك أيضًا إخبار معلم أو الأخصائي الاجتماعي الخاص بك أو شخص كبير آخر تثق به.",
        "needs_review": "هذه ترجمة أولية.",
    },
}


def ui_text(code: str, key: str) -> str:
    """The page's own words for ``key`` in language ``code`` (English when not translated)."""
    return UI_TEXT.get(code, UI_TEXT["en"]).get(key) or UI_TEXT["en"][key]
