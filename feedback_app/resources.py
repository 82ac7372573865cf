"""Finding the folders that ship with the app (templates, questionnaires, migrations).

In a source checkout they sit at the top of the repository; in an installed package
setup.cfg places them inside ``feedback_app/``.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """The folder ``name`` (e.g. ``"templates"``), installed or in the source checkout.

    Raises FileNotFoundError when neither place has it.
    """
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the app's {name!r} folder is missing from {PACKAGE_DIR}")
