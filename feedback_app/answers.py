"""How answers are written to and read from the one-row-per-question ``answers`` table."""

from __future__ import annotations

import json
import re
from typing import Any

MULTI_SEPARATOR = "; "
# Control characters (but tab and line ends) and the non-characters U+FFFE/U+FFFF carry no
# meaning in an answer, PostgreSQL refuses NUL, and XML (XLSX) refuses all of them.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without the characters no answer needs and databases or exports refuse."""
    return _UNSTORABLE.sub("", text)


def encode_answer(question_type: str, value: Any) -> str | None:
    """The text stored for ``value``; None when nothing was answered.

    Multiple-choice answers are stored as a JSON list, numbers in plain decimal form.
    """
    if value is None:
        return None
    if question_type == "multiple_choice":
        chosen = [clean_text(str(item)) for item in value if clean_text(str(item)).strip()]
        return json.dumps(chosen, ensure_ascii=False) if chosen else None
    if question_type == "number":
        text = format(value, "f") if not isinstance(value, str) else clean_text(value).strip()
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text or None
    text = clean_text(str(value)).strip()
    return text or None


def decode_answer(question_type: str, text: str | None) -> Any:
    """The value stored as ``text``: a list for multiple choice, otherwise the text itself."""
    if text is None:
        return None
    if question_type == "multiple_choice":
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        return value if isinstance(value, list) else [str(value)]
    return text


def display_answer(question_type: str, text: str | None) -> str:
    """The stored answer as a person reads it (multiple choices joined with "; ")."""
    value = decode_answer(question_type, text)
    if value is None:
        return ""
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(value)
    return value
