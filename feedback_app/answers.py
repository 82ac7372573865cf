"""How answers are written to and read from the one-row-per-question ``answers`` table.

Each question type (``question_types.py``) owns its stored form; these functions are the
short way to it by type name.
"""

from __future__ import annotations

from typing import Any

from .question_types import MULTI_SEPARATOR, clean_text, stored_form

__all__ = ["MULTI_SEPARATOR", "clean_text", "decode_answer", "display_answer", "encode_answer"]


def encode_answer(question_type: str, value: Any) -> str | None:
    """The text stored for ``value``; None when nothing was answered.

    Multiple-choice answers are stored as a JSON list, numbers in plain decimal form.
    """
    return stored_form(question_type).encode(value)


def decode_answer(question_type: str, text: str | None) -> Any:
    """The value stored as ``text``: a list for multiple choice, otherwise the text itself."""
    return stored_form(question_type).decode(text)


def display_answer(question_type: str, text: str | None) -> str:
    """The stored answer as a person reads it (multiple choices joined with "; ")."""
    return stored_form(question_type).export_cell(text)
