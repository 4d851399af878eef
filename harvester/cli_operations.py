"""The operator commands of ``harvester``: deletion decisions and schedules (see harvester.operations).

    harvester deletions list | confirm JOB | reject JOB
    harvester schedules
    harvester source pause ID | resume ID

Schedules and pauses live in state.db, so a running ``harvester serve`` follows these commands at its next tick.
"""

from __future__ import annotations

import click

from harvester.cli import _ctx, _source, _table, config_option
from harvester.errors import OperationRefused
from harvester.model import JobStatus


def register(main: click.Group) -> None:
    main.add_command(deletions)
    main.add_command(schedules)
    source_group = main.commands["source"]
    assert isinstance(source_group, click.Group)
    source_group.add_command(source_pause)
    source_group.add_command(source_resume)


@click.group()
def deletions() -> None:
    """Decide on deletions held back by the guard (jobs in needs_confirmation)."""


@deletions.command("list")
@config_option
@click.pass_context
def deletions_list(click_ctx: click.Context, config: str | None) -> None:
    """Jobs waiting for a decision, with how many records each would delete."""
    ctx = _ctx(click_ctx, config)
    waiting = [j for j in ctx.state.jobs(limit=1000) if j.status == JobStatus.NEEDS_CONFIRMATION]
    _table(("job", "source", "started", "would delete"),
           [(str(j.id), j.source_id, f"{j.started:%Y-%m-%d %H:%M:%S}", str(len(ctx.state.pending_deletions(j.id))))
            for j in waiting])


@deletions.command("confirm")
@click.argument("job_id", type=int)
@config_option
@click.pass_context
def deletions_confirm(click_ctx: click.Context, job_id: int, config: str | None) -> None:
    """Delete the records job JOB_ID held back (each re-checked: records seen again are kept)."""
    from harvester.operations import confirm_deletions

    ctx = _ctx(click_ctx, config)
    try:
        outcome = confirm_deletions(ctx, job_id)
    except OperationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"job {job_id}: deletions confirmed: {outcome.deleted} deleted, {outcome.kept} kept "
               "(seen again by a later job, or already gone)")


@deletions.command("reject")
@click.argument("job_id", type=int)
@config_option
@click.pass_context
def deletions_reject(click_ctx: click.Context, job_id: int, config: str | None) -> None:
    """Keep the records job JOB_ID held back (the next harvest asks again if the portal still lacks them)."""
    from harvester.operations import reject_deletions

    ctx = _ctx(click_ctx, config)
    try:
        outcome = reject_deletions(ctx, job_id)
    except OperationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"job {job_id}: deletions rejected: {outcome.kept} records kept")


@click.command()
@config_option
@click.pass_context
def schedules(click_ctx: click.Context, config: str | None) -> None:
    """Every source's schedule, whether it is paused, and its next and last scheduled run."""
    from harvester.operations import schedules as list_schedules

    ctx = _ctx(click_ctx, config)
    rows = []
    for info in list_schedules(ctx):
        state = "invalid: " + info.error if info.error else ("paused" if info.paused else "")
        rows.append((info.source_id, info.schedule or "-", state, _when(info.next_run), _when(info.last_run)))
    _table(("source", "schedule", "state", "next run (UTC)", "last run (UTC)"), rows)


@click.command("pause")
@click.argument("source_id")
@config_option
@click.pass_context
def source_pause(click_ctx: click.Context, source_id: str, config: str | None) -> None:
    """Stop starting SOURCE_ID on its schedule (a running job goes on; 'harvest' still runs it)."""
    from harvester.operations import pause

    ctx = _ctx(click_ctx, config)
    _source(ctx, source_id)
    pause(ctx, source_id)
    click.echo(f"source {source_id} paused")


@click.command("resume")
@click.argument("source_id")
@config_option
@click.pass_context
def source_resume(click_ctx: click.Context, source_id: str, config: str | None) -> None:
    """Schedule SOURCE_ID again from its next scheduled time."""
    from harvester.operations import resume

    ctx = _ctx(click_ctx, config)
    _source(ctx, source_id)
    try:
        resume(ctx, source_id)
    except OperationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"source {source_id} resumed")


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment is not None else "-"
