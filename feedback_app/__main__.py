"""``python -m feedback_app``: the same as the ``feedback-app`` command."""

from .cli import main

main()
