"""``harvester user``: operator accounts for the admin pages, and API tokens for scripts."""

from __future__ import annotations

import click

from harvester.cli import _ctx, _table, config_option
from harvester.users import Users


def register(main: click.Group) -> None:
    main.add_command(user)


def _users(click_ctx: click.Context, config: str | None) -> Users:
    users = Users(_ctx(click_ctx, config).settings.state_path)
    click_ctx.call_on_close(users.close)
    return users


@click.group()
def user() -> None:
    """Operator accounts (the /admin pages) and their API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="HARVESTER_USER_PASSWORD", help="The password (asked when not given; env HARVESTER_USER_PASSWORD).")
@click.option("--update", is_flag=True, help="Set a new password for an existing user instead.")
@config_option
@click.pass_context
def user_add(click_ctx: click.Context, name: str, password: str, update: bool, config: str | None) -> None:
    """Add an operator who can log in to /admin (or, with --update, change a password)."""
    users = _users(click_ctx, config)
    try:
        if update:
            users.set_password(name, password)
        else:
            users.create_user(name, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {name} {'updated' if update else 'added'}")


@user.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke the user's earlier tokens first.")
@config_option
@click.pass_context
def user_token(click_ctx: click.Context, name: str, revoke: bool, config: str | None) -> None:
    """Print a new API token for NAME (sent as 'Authorization: Bearer TOKEN' to /admin/api/…)."""
    users = _users(click_ctx, config)
    if users.user(name) is None:
        raise click.ClickException(f"no user {name!r}; add one with 'harvester user add {name}'")
    if revoke:
        click.echo(f"revoked {users.revoke_tokens(name)} token(s)", err=True)
    click.echo(users.create_token(name))


@user.command("list")
@config_option
@click.pass_context
def user_list(click_ctx: click.Context, config: str | None) -> None:
    """List operators with the number of API tokens each holds."""
    users = _users(click_ctx, config)
    _table(("name", "created", "tokens"),
           [(u.name, f"{u.created:%Y-%m-%d %H:%M}", str(u.tokens)) for u in users.users()])


@user.command("remove")
@click.argument("name")
@config_option
@click.pass_context
def user_remove(click_ctx: click.Context, name: str, config: str | None) -> None:
    """Remove an operator and revoke their tokens (their open sessions end at the next request)."""
    users = _users(click_ctx, config)
    try:
        users.remove_user(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {name} removed")
