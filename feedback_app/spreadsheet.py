"""Analysing a spreadsheet of past feedback the same way as answers given in the app."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.codebook import load_codebook
from analysis.concerns import load_concern_rules, screen
from analysis.features import text_features

from .transfer import neutralise_cell


class SpreadsheetError(Exception):
    """The spreadsheet cannot be analysed; the message says why."""


def analyse_spreadsheet(input_path: Path, column: str, output_path: Path, id_column: str | None = None,
                        nothing_means: str = "positive") -> int:
    """Write ``output_path``: the input's id column (or all columns) plus the analysis columns.

    Added columns: sentiment_label, polarity, subjectivity, themes ("; "-joined),
    noun_phrases, concern (yes/no), concern_categories. Returns the number of rows.
    Raises SpreadsheetError for an unreadable file or a missing column.
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
    codebook, rules = load_codebook(), load_concern_rules()
    out = frame[[id_column]].copy() if id_column else frame.copy()
    labels, polarity, subjectivity, themes, phrases, concern, categories = [], [], [], [], [], [], []
    for text in frame[column]:
        features = text_features(text, codebook, nothing_means=nothing_means)
        result = screen(text, rules)
        labels.append(features.label if text.strip() else "")
        polarity.append(round(features.polarity, 4))
        subjectivity.append(round(features.subjectivity, 4))
        themes.append("; ".join(features.themes))
        phrases.append("; ".join(features.noun_phrases))
        concern.append("yes" if result.flagged else "no")
        categories.append("; ".join(result.categories))
    out["sentiment_label"] = labels
    out["polarity"] = polarity
    out["subjectivity"] = subjectivity
    out["themes"] = themes
    out["noun_phrases"] = phrases
    out["concern"] = concern
    out["concern_categories"] = categories
    # Past feedback is untrusted text too: no cell may run as a formula in a spreadsheet.
    safe = out.astype(str).map(neutralise_cell)
    safe.columns = [neutralise_cell(name) for name in safe.columns]
    safe.to_csv(output_path, index=False, encoding="utf-8-sig")
    return len(out)
