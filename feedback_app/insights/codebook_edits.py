"""Edits to the codebook from the analysis pages, each saved as a new version.

The editing rules are ``analysis.codebook``'s; this module names the edit, saves the
result with who made it and why. How many stored answers an edit leaves stale is
``feedback_app.text_analysis.stale_answer_count`` (the one definition of stale).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.codebook import (
    Codebook,
    CodebookError,
    add_pattern,
    add_theme,
    merge_themes,
    remove_pattern,
    rename_theme,
)

from ..models import CodebookVersion
from ..security import audit
from ..text_analysis import current_codebook, save_codebook

REANALYSE_NOTICE = "Run `feedback-app analyse` to re-analyse the stored answers with it."


def phrase_theme_key(phrase: str, codebook: Codebook) -> str:
    """A new theme key for ``phrase`` (``"bus pass"`` -> ``bus_pass``), unique in ``codebook``."""
    base = re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_") or "theme"
    if not base[0].isalpha():
        base = f"theme_{base}"
    base = base[:50]
    taken = set(codebook.keys) | set(codebook.merged)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def theme_from_phrase(codebook: Codebook, phrase: str, where: str) -> tuple[Codebook, str]:
    """``codebook`` plus a theme whose one pattern is ``phrase``; returns it and the new key.

    Raises CodebookError when the phrase is not a valid pattern or a theme already covers it.
    """
    phrase = " ".join(phrase.lower().split())
    if not phrase:
        raise CodebookError("The phrase is empty.")
    if codebook.covers(phrase):
        raise CodebookError(f"“{phrase}” is already covered by a theme.")
    key = phrase_theme_key(phrase, codebook)
    edited = add_theme(codebook, {
        "key": key,
        "name": phrase[:1].upper() + phrase[1:],
        "description": f"Emerging phrase first seen in {where}.",
        "patterns": [phrase],
    })
    return edited, key


def save_edit(session: Session, edited: Codebook, note: str, actor: str | None) -> CodebookVersion:
    """Save ``edited`` as the newest codebook version (commits), audit it, and return it."""
    version = save_codebook(session, edited, note, actor)
    audit(actor or "(command line)", "codebook-edit", version=version.version, change=note[:200])
    return version


def apply_edit(session: Session, edit: str, actor: str | None, note: str = "", **values: str) -> CodebookVersion:
    """Apply one named edit to the codebook in use and save it as a new version.

    ``edit`` is ``add_theme`` (key, name, description, pattern), ``rename`` (key, name),
    ``merge`` (into, merged), ``add_pattern`` or ``remove_pattern`` (key, pattern, kind
    "pattern"/"exclude").
    Raises CodebookError with a message naming the theme when the edit is not valid.
    """
    codebook, _saved = current_codebook(session)
    if edit == "add_theme":
        edited = add_theme(codebook, {"key": values["key"], "name": values["name"],
                                      "description": values.get("description") or "",
                                      "patterns": [values["pattern"].strip().lower()]})
        summary = f"Added theme {values['key']}"
    elif edit == "rename":
        edited = rename_theme(codebook, values["key"], values["name"].strip())
        summary = f"Renamed theme {values['key']} to “{values['name'].strip()}”"
    elif edit == "merge":
        edited = merge_themes(codebook, values["into"], values["merged"])
        summary = f"Merged theme {values['merged']} into {values['into']}"
    elif edit == "add_pattern":
        exclude = values.get("kind") == "exclude"
        edited = add_pattern(codebook, values["key"], values["pattern"].strip().lower(), exclude=exclude)
        summary = f"Added {'exclude ' if exclude else ''}pattern “{values['pattern'].strip().lower()}” to {values['key']}"
    elif edit == "remove_pattern":
        exclude = values.get("kind") == "exclude"
        edited = remove_pattern(codebook, values["key"], values["pattern"], exclude=exclude)
        summary = f"Removed {'exclude ' if exclude else ''}pattern “{values['pattern'].strip().lower()}” from {values['key']}"
    else:  # pragma: no cover - the views only send the edits above
        raise ValueError(f"unknown codebook edit {edit!r}")
    note = note.strip()
    return save_edit(session, edited, f"{summary}. {note}" if note else summary, actor)


def codebook_history(session: Session, limit: int = 50) -> list[CodebookVersion]:
    """Saved codebook versions, newest first."""
    return list(session.scalars(select(CodebookVersion).order_by(CodebookVersion.version.desc()).limit(limit)))
