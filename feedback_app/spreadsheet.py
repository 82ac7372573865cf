"""Analysing a spreadsheet of past feedback the same way as answers given in the app."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.codebook import shipped_codebook
from analysis.concerns import screen, shipped_rules
from analysis.features import text_features

from .text_analysis import concern_bank
from .transfer import neutralise_cell


class SpreadsheetError(Exception):
    """The spreadsheet cannot be analysed; the message says why."""


NUMBER_COLUMNS = ("polarity", "subjectivity", "concern_score")


def analyse_spreadsheet(input_path: Path, column: str, output_path: Path, id_column: str | None = None,
                        nothing_means: str = "positive", audience: str = "children",
                        sentiment_model: tuple = (None, None)) -> int:
    """Write ``output_path``: every column of the input, then the analysis columns.

    Added columns: sentiment_label, polarity, subjectivity (numbers), themes ("; "-joined),
    noun_phrases, concern (yes/no), concern_categories, concern_score (a number). Answers
    are screened as ``audience`` wrote them. An input column with the same name as an
    added one is kept, and the added one is prefixed ``analysis_``. Returns the number
    of rows. Raises SpreadsheetError for an unreadable file or a missing column.
    ``sentiment_model`` is the (version, model) of a learned sentiment model to label with.
    """
    try:
        frame = pd.read_csv(input_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SpreadsheetError(f"{input_path.name} is not UTF-8 text: save it as 'CSV UTF-8' and try again.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise SpreadsheetError(f"{input_path.name} cannot be read as CSV: {error}") from None
    for needed in [column] + ([id_column] if id_column else []):
        if needed not in frame.columns:
            raise SpreadsheetError(
                f"{input_path.name} has no column {needed!r}; its columns are: {', '.join(frame.columns)}."
            )
    # the app's one copy of the example bank, as real answers are screened (text_analysis.derive)
    codebook, rules, bank = shipped_codebook(), shipped_rules(), concern_bank()
    added: dict[str, list] = {name: [] for name in (
        "sentiment_label", "polarity", "subjectivity", "themes", "noun_phrases",
        "concern", "concern_categories", "concern_score")}
    from .coding.models_store import relabel

    all_features = relabel([(text_features(text, codebook, nothing_means=nothing_means), text, nothing_means)
                            for text in frame[column]], *sentiment_model)
    for text, features in zip(frame[column], all_features):
        result = screen(text, rules, audience=audience, bank=bank)
        added["sentiment_label"].append(features.label if text.strip() else "")
        added["polarity"].append(round(float(features.polarity), 4))
        added["subjectivity"].append(round(float(features.subjectivity), 4))
        added["themes"].append("; ".join(features.themes))
        added["noun_phrases"].append("; ".join(features.noun_phrases))
        added["concern"].append("yes" if result.flagged else "no")
        added["concern_categories"].append("; ".join(result.categories))
        added["concern_score"].append(round(float(result.score), 4))
    # Past feedback is untrusted text too: no text cell may run as a formula in a
    # spreadsheet. Numbers the analysis computes stay numbers (a leading minus is
    # a number, not a formula, when the cell is a number).
    out = frame.astype(str).map(neutralise_cell)
    out.columns = [neutralise_cell(name) for name in frame.columns]
    for name, values in added.items():
        target = name if name not in out.columns else f"analysis_{name}"
        out[target] = values if name in NUMBER_COLUMNS else [neutralise_cell(v) for v in values]
    out.to_csv(output_path, index=False, encoding="utf-8-sig")
    return len(out)
