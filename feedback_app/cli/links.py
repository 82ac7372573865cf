"""Share links on the command line: ``feedback-app links create|list|revoke``.

The same functions as the admin pages (``links``, ``admin.monitoring``); their errors
become click errors (exit status 1, "Error: <message>").
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..admin.monitoring import round_links
from ..db import db
from ..links import LinkError, create_links, find_link, link_url, revoke_link
from ..models import LinkKind
from ..security import COMMAND_LINE, audit
from .common import base_url_or_fail, configured_agencies_or_fail, day_or_fail, round_or_fail


@click.group("links")
def links_group() -> None:
    """Share links: open, agency and single-use links to a round."""


BASE_URL_HELP = "Base of the printed URLs (default: PUBLIC_BASE_URL; without either, nothing is guessed and the command refuses)."


@links_group.command("create")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in LinkKind]), help="Kind of link.")
@click.option("--agency", help="Agency the answers are recorded against (needed for --kind agency).")
@click.option("--count", default=1, show_default=True, type=int, help="How many links to make.")
@click.option("--expires", metavar="YYYY-MM-DD", help="Last day the links work.")
@click.option("--max-responses", type=int, help="Most answers each link takes.")
@click.option("--label", help="A note for staff, e.g. the team the links are for.")
@click.option("--base-url", help=BASE_URL_HELP)
@with_appcontext
def links_create(
    round_id: int,
    kind: str,
    agency: str | None,
    count: int,
    expires: str | None,
    max_responses: int | None,
    label: str | None,
    base_url: str | None,
) -> None:
    """Make links to round ROUND and print one full URL per line."""
    round_ = round_or_fail(round_id)
    base = base_url_or_fail(base_url)  # before making anything: refuse rather than print guessed links
    expires_on = day_or_fail(expires, "--expires date") if expires else None
    try:
        links = create_links(
            db.session,
            round_,
            kind,
            configured_agencies_or_fail(),
            agency=agency,
            count=count,
            expires_on=expires_on,
            max_responses=max_responses,
            label=label,
        )
    except LinkError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "links-create", round_id=round_.id, kind=kind, count=len(links))
    for link in links:
        click.echo(link_url(base, link))


@links_group.command("list")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--base-url", help=BASE_URL_HELP)
@with_appcontext
def links_list(round_id: int, base_url: str | None) -> None:
    """One line per link of round ROUND: URL, kind, agency, responses/cap, state, label."""
    rows = round_links(db.session, round_or_fail(round_id), base_url_or_fail(base_url))
    if not rows:
        click.echo(f"Round {round_id} has no links. Make some with `feedback-app links create {round_id} --kind open`.")
    for row in rows:
        link = row.link
        cap = link.max_responses if link.max_responses is not None else "-"
        click.echo(
            f"{row.url}  {link.kind.value:<10} {link.agency or '-':<20} {row.responses}/{cap}  {row.state}"
            + (f"  {link.label}" if link.label else "")
        )


@links_group.command("revoke")
@click.argument("token")
@with_appcontext
def links_revoke(token: str) -> None:
    """Switch off the link TOKEN (its token, or its full URL) for good."""
    token = token.strip().rstrip("/").rsplit("/r/", 1)[-1]
    link = find_link(db.session, token)
    if link is None:
        raise click.ClickException("There is no link with that token; `feedback-app links list ROUND` shows them.")
    revoke_link(db.session, link)
    audit(COMMAND_LINE, "link-revoke", round_id=link.round_id, link_id=link.id)
    click.echo(f"Revoked link {link.token[:8]}… of round {link.round_id} ({link.round.label}).")


COMMANDS = (links_group,)
