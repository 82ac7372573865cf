"""Commands for learned models and coding: ``feedback-app model ...`` and ``feedback-app coding import``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from analysis.learning import DEFAULT_BAYES_SHARE, DEFAULT_CODED_WEIGHT, MIN_CODED_TO_CHOOSE, MIX_MAX_AUC

from ..db import db
from ..tasks import in_background
from . import models_store
from .importing import CodingImportError, read_coded_file, store_imported


@click.group("model")
def model_group() -> None:
    """Train, list and switch the learned sentiment model."""


@model_group.command("train")
@click.option("--development-data", type=click.Path(dir_okay=False), default=None,
              help="Labelled FFT development CSV to learn from (default: the SENTIMENT_DEVELOPMENT_DATA setting).")
@click.option("--no-evaluation", is_flag=True, help="Skip the evaluation figures (training only).")
@with_appcontext
def train_command(development_data: str | None, no_evaluation: bool) -> None:
    """Train a new model version on the development data and the coded answers, and use it.

    Answers analysed with the previous model become stale; run `feedback-app analyse`.
    """
    path = development_data or current_app.config.get("SENTIMENT_DEVELOPMENT_DATA") or None
    try:
        row = models_store.train_and_store(db.session, path, actor="command line", evaluate_model=not no_evaluation,
                                           theme_min_examples=int(current_app.config.get("THEME_MODEL_MIN_EXAMPLES", 20)))
    except models_store.ModelError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Model version {row.version} trained on {row.n_development} development rows and "
               f"{row.n_coded} coded answers; it is now in use.")
    for line in describe_evaluation(row.evaluation):
        click.echo("  " + line)
    click.echo(_stale_note())


def _stale_note() -> str:
    if in_background():
        return ("Answers analysed with another model are stale: the task queue's worker re-analyses them in "
                "the background (`feedback-app analyse` does it at once).")
    return "Answers analysed with another model are stale: run `feedback-app analyse`."


def describe_evaluation(figures: dict) -> list[str]:
    """The evaluation figures of a model version as lines of text."""
    lines = []
    weight_line = describe_weight(figures)
    if weight_line:
        lines.append(weight_line)
    if figures.get("bayes_share"):
        lines.append(f"a naive Bayes model of the same words and characters blended in at a share of "
                     f"{figures['bayes_share']:.3f} ({DEFAULT_BAYES_SHARE:g} without coded answers, less as they outweigh "
                     "the development rows)")
    mix_line = describe_development_mix(figures)
    if mix_line:
        lines.append(mix_line)
    if figures.get("themes_learned"):
        lines.append("themes with a learned classifier: " + ", ".join(figures["themes_learned"]))
    split = figures.get("time_split")
    if split:
        per_class = ", ".join(f"{k} {v:.3f}" for k, v in split["per_class_f1"].items())
        lines.append(f"time split (from {split['cutoff']}, n={split['n_test']}): macro-F1 "
                     f"{split['macro_f1']:.3f} ({per_class})")
    if figures.get("coded_cv_macro_f1") is not None:
        lines.append(f"5-fold cross-validation on {figures['n_coded']} coded answers: macro-F1 "
                     f"{figures['coded_cv_macro_f1']:.3f}")
    elif "coded_cv_macro_f1" in figures:
        lines.append("too few coded answers (under 10) to cross-validate on them")
    return lines


def describe_weight(figures: dict) -> str | None:
    """How much each coded answer weighed in training, and how that was chosen (None when
    the model learned from no coded answer, or was trained before this was recorded)."""
    choice = figures.get("weight_choice") or {}
    if not figures.get("coded_weight") or not choice.get("n_coded") or not choice.get("n_development"):
        return None  # nothing to weigh against
    line = f"each coded answer weighed as much as {figures['coded_weight']:.3g} development rows"
    if choice.get("by") == "cross-validation":
        scores = ", ".join(f"{f:.3f} at {w}" for w, f in choice["macro_f1"].items())
        return f"{line}, chosen by {choice['folds']}-fold cross-validation on the coded answers (macro-F1 {scores})"
    if choice.get("by") == "rule":
        how = (f"fewer than {MIN_CODED_TO_CHOOSE} coded answers take" if choice["n_coded"] < MIN_CODED_TO_CHOOSE
               else "as many coded answers as this take")
        return (f"{line}: {how} the weight that makes them together at least as heavy as the "
                f"{choice['n_development']} development rows, and at least {DEFAULT_CODED_WEIGHT:g} each")
    return line


def describe_development_mix(figures: dict) -> str | None:
    """Whether the development rows' own model was mixed into the model trained with the coded
    answers, and why (None when the model learned from no coded answer, or predates the mixture)."""
    mix = figures.get("development_mix")
    if not mix:
        return None
    checks = ""
    if "likeness_auc" in mix:
        theirs = f", the models trained with them {mix['coded_cv_f1']:.3f} cross-validated" if mix.get(
            "coded_cv_f1") is not None else ""
        checks = (f" (telling them from the development rows: AUC {mix['likeness_auc']:.2f}, at most "
                  f"{MIX_MAX_AUC:g} to mix; macro-F1 on them of the development rows' model {mix['development_f1']:.3f}"
                  f"{theirs})")
    if figures.get("development_share"):
        return (f"the development rows' own model mixed in at a share of {figures['development_share']:.2f}, less as "
                f"more answers are coded: {mix['why']}{checks}")
    return f"the development rows' own model not mixed in: {mix['why']}{checks}"


@model_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the stored model versions; the one in use is marked *."""
    rows = models_store.list_versions(db.session)
    if not rows:
        name, _model = models_store.model_in_use(db.session)
        source = f"the shipped model ({name})" if name else "the lexicon rules"
        click.echo(f"No model is stored: sentiment comes from {source}. `feedback-app model train` makes one.")
        return
    for row in rows:
        mark = "*" if row.in_use else " "
        click.echo(f"{mark} {row.version:>3}  {row.created_at:%Y-%m-%d %H:%M}  development {row.n_development}, "
                   f"coded {row.n_coded}")
        for line in describe_evaluation(row.evaluation or {}):
            click.echo("        " + line)
    if not any(row.in_use for row in rows):
        name, _model = models_store.model_in_use(db.session)
        click.echo(f"None is in use: sentiment comes from the shipped model ({name})." if name
                   else "None is in use: sentiment comes from the lexicon rules.")


@model_group.command("use")
@click.argument("version")
@with_appcontext
def use_command(version: str) -> None:
    """Use model VERSION (0: the lexicon rules; "shipped": the shipped default model).
    Answers analysed otherwise become stale."""
    if version != models_store.SHIPPED and not version.isdigit():
        raise click.ClickException(f"VERSION is a model version number, 0 (the lexicon rules) or "
                                   f"{models_store.SHIPPED!r}, not {version!r}")
    try:
        models_store.use_version(db.session, version if version == models_store.SHIPPED else int(version))
    except models_store.ModelError as error:
        raise click.ClickException(str(error)) from None
    name, _model = models_store.model_in_use(db.session)
    what = {None: "the lexicon rules"}.get(name, f"model version {name}" if isinstance(name, int) else f"the shipped model ({name})")
    click.echo(f"Sentiment now comes from {what}. {_stale_note()}")


@model_group.command("build-default")
@click.option("--development-data", type=click.Path(dir_okay=False), default=None,
              help="Labelled FFT development CSV (default: the SENTIMENT_DEVELOPMENT_DATA setting).")
@click.option("--output", type=click.Path(dir_okay=False), default=str(models_store.SHIPPED_MODEL_PATH),
              show_default=True, help="Where to write the model.")
@with_appcontext
def build_default_command(development_data: str | None, output: str) -> None:
    """Regenerate the shipped default model from the development file alone (no network; seconds)."""
    path = development_data or current_app.config.get("SENTIMENT_DEVELOPMENT_DATA") or None
    if not path:
        raise click.ClickException("give --development-data FFT.csv (or set SENTIMENT_DEVELOPMENT_DATA)")
    try:
        size, name = models_store.build_shipped_model(path, Path(output))
    except models_store.ModelError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {name} ({size / 1024:.0f} KiB) to {output}.")


@click.group("coding")
def coding_group() -> None:
    """Coding done by analysts or elsewhere."""


@coding_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-column", required=True, help="Column holding the answer text.")
@click.option("--sentiment-column", default=None, help="Column holding positive/neutral/negative.")
@click.option("--themes-column", default=None, help="Column holding codebook theme keys, separated by ';' or ','.")
@click.option("--coder", default="import", show_default=True, help="Who coded the file.")
@with_appcontext
def import_command(file: str, text_column: str, sentiment_column: str | None, themes_column: str | None,
                   coder: str) -> None:
    """Add coded examples from FILE.csv (no answers attached). The file is refused whole if any row is wrong."""
    from ..text_analysis import current_codebook

    codebook, _saved = current_codebook(db.session)
    try:
        rows = read_coded_file(Path(file), text_column, codebook, sentiment_column, themes_column)
    except CodingImportError as error:
        raise click.ClickException(f"{Path(file).name} was not imported ({len(error.problems)} problem(s)):\n"
                                   + "\n".join(f"  - {p}" for p in error.problems)) from None
    added = store_imported(db.session, rows, coder)
    click.echo(f"Imported {added} coded answers from {Path(file).name}. `feedback-app model train` learns from them.")


def register(app: Flask) -> None:
    """Add the model and coding commands to ``app``'s command line."""
    app.cli.add_command(model_group)
    app.cli.add_command(coding_group)
