"""Read-only API tokens (issue 15) on the command line: ``feedback-app tokens create|list|revoke``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..api_tokens import ApiTokenError, create_api_token, list_api_tokens, revoke_api_token
from ..db import db
from ..security import audit


@click.group("tokens")
def tokens_group() -> None:
    """Read-only API tokens (/api/v1)."""


@tokens_group.command("create")
@click.option("--role", required=True, type=click.Choice(["analyst", "admin"]),
              help="analyst: figures as the analysis pages show them; admin: also raw responses.")
@click.option("--label", required=True, help="Who or what uses the token, e.g. 'Power BI dashboard'.")
@click.option("--actor", default="command line", show_default=True, help="Who is creating it, for the audit log.")
@with_appcontext
def tokens_create(role: str, label: str, actor: str) -> None:
    """Create an API token and print it once: it cannot be shown again."""
    with db.write_session() as session:
        try:
            token, secret = create_api_token(session, role, label, actor)
        except ApiTokenError as error:
            raise click.ClickException(str(error)) from None
        token_id = token.id
    audit(actor, "api-token-create", token_id=token_id, role=role, label=label)
    click.echo(f"Created API token {token_id} ({role}, {label!r}). Copy it now: it is not shown again.")
    click.echo(secret)


@tokens_group.command("list")
@with_appcontext
def tokens_list() -> None:
    """List API tokens (never their secrets): id, role, label, created, last used, revoked."""
    tokens = list_api_tokens(db.session)
    if not tokens:
        click.echo("No API tokens. Create one with: feedback-app tokens create --role analyst --label TEXT")
    for token in tokens:
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never used"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id:>4}  {token.role.value:<8} {token.prefix}…  {token.label:<30} "
                   f"created {token.created_at:%Y-%m-%d}  {used:<16}  {state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--actor", default="command line", show_default=True, help="Who is revoking it, for the audit log.")
@with_appcontext
def tokens_revoke(token_id: int, actor: str) -> None:
    """Revoke API token TOKEN_ID: it stops working at once."""
    with db.write_session() as session:
        try:
            token = revoke_api_token(session, token_id)
        except ApiTokenError as error:
            raise click.ClickException(str(error)) from None
        label = token.label
    audit(actor, "api-token-revoke", token_id=token_id)
    click.echo(f"Revoked API token {token_id} ({label!r}).")


COMMANDS = (tokens_group,)
