"""The ``harvester`` command: manage sources, run harvests, query and export the catalog, serve the site."""

from __future__ import annotations

import sys
from typing import Any, Sequence

import click

from harvester.context import Context, validate_source_id
from harvester.index import IndexFormatError, IndexLockedError
from harvester.model import Job, JobStatus, Source
from harvester.settings import load_settings


class Obj:
    """Lazily opened Context for the command being run."""

    def __init__(self, config: str | None) -> None:
        self.config = config
        self._ctx: Context | None = None

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            self._ctx = Context(load_settings(self.config))
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()


config_option = click.option("--config", "config", envvar="HARVESTER_CONFIG", default=None,
                             help="Config file (TOML). Default: ./harvester.toml; env HARVESTER_CONFIG.")


class _Commands(click.Group):
    """Reports what an operator acts on (an index to rebuild, an index another process writes) in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (IndexFormatError, IndexLockedError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@config_option
@click.version_option(package_name="harvester")
@click.pass_context
def main(click_ctx: click.Context, config: str | None) -> None:
    """Harvest government data portals into one DCAT-AP 3 catalog, and serve it."""
    click_ctx.obj = Obj(config)
    click_ctx.call_on_close(click_ctx.obj.close)


def _ctx(click_ctx: click.Context, config: str | None) -> Context:
    obj: Obj = click_ctx.obj
    if config:
        obj.config = config
    return obj.ctx


# --- sources -----------------------------------------------------------------------------------
@main.group()
def source() -> None:
    """Manage harvest sources."""


@source.command("add")
@click.argument("source_id")
@click.option("--type", "type_", required=True, help="Source type, e.g. ckan.")
@click.option("--url", required=True, help="The portal's base URL.")
@click.option("--title", default="", help="Display name of the portal.")
@click.option("--schedule", default=None, help="Cron line ('0 3 * * *') or interval ('every 6h', 'every 30m').")
@click.option("--mapping", default=None, help="Mapping name or YAML file (default: the type's own).")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="A source option, e.g. obey_robots=false, delay=5, rows=500 (repeatable).")
@config_option
@click.pass_context
def source_add(click_ctx: click.Context, source_id: str, type_: str, url: str, title: str,
               schedule: str | None, mapping: str | None, options: tuple[str, ...], config: str | None) -> None:
    """Add (or update) a source kept in state.db (the same checks as the operator pages)."""
    from dataclasses import replace

    from harvester.scheduler import parse_schedule
    from harvester.source_form import validate_source

    ctx = _ctx(click_ctx, config)
    try:
        new = validate_source({"id": source_id, "type": type_, "url": url, "title": title,
                               "schedule": schedule, "mapping": mapping})
        if new.schedule:
            new = replace(new, schedule=parse_schedule(new.schedule, str(ctx.settings["schedule.timezone"])).text)
        new = replace(new, options=dict(_source_option(text) for text in options))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if any(s.id == source_id and s.origin == "config" for s in ctx.sources()):
        raise click.ClickException(f"source {source_id!r} is declared in the config file; edit it there")
    ctx.state.save_source(new)
    click.echo(f"source {source_id} saved")


def _source_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``; the value read as a TOML value (false, 5, 1.5, "x") or else kept as text."""
    import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip().isidentifier():
        raise ValueError(f"--option {text!r} must be KEY=VALUE, e.g. obey_robots=false")
    try:
        return key.strip(), tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key.strip(), value.strip()


@source.command("list")
@config_option
@click.pass_context
def source_list(click_ctx: click.Context, config: str | None) -> None:
    """List sources with their dataset counts."""
    ctx = _ctx(click_ctx, config)
    counts = ctx.state.record_counts()
    rows = [(s.id, s.type, s.url, str(counts.get(s.id, 0)), "yes" if s.enabled else "no", s.origin)
            for s in ctx.sources()]
    _table(("id", "type", "url", "datasets", "enabled", "from"), rows)


@source.command("show")
@click.argument("source_id")
@config_option
@click.pass_context
def source_show(click_ctx: click.Context, source_id: str, config: str | None) -> None:
    """Show one source and its last jobs."""
    ctx = _ctx(click_ctx, config)
    s = _source(ctx, source_id)
    for name in ("id", "type", "url", "title", "schedule", "mapping", "enabled", "origin"):
        click.echo(f"{name:9} {getattr(s, name)}")
    click.echo(f"datasets  {ctx.state.record_count(s.id)}")
    _jobs_table(ctx.state.jobs(s.id, limit=5))


@source.command("remove")
@click.argument("source_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
@click.pass_context
def source_remove(click_ctx: click.Context, source_id: str, yes: bool, config: str | None) -> None:
    """Remove a source and every dataset harvested from it."""
    ctx = _ctx(click_ctx, config)
    s = _source(ctx, source_id)
    if s.origin == "config":
        raise click.ClickException(f"source {source_id!r} is declared in the config file; remove it there")
    if not yes:
        click.confirm(f"Remove {source_id} and its {ctx.state.record_count(source_id)} datasets?", abort=True)
    graphs = [g for g, _ in ctx.store.iter_graphs(ctx.iris.graph_prefix(source_id))]
    with ctx.state.unfinished_write(f"removing source {source_id}"):
        ctx.store.drop_graphs(graphs + [ctx.iris.source_graph(source_id)])
        ctx.index.delete_source(source_id)
        ctx.index.commit()
        ctx.trust.forget_source(source_id)
        ctx.state.remove_source(source_id)
    click.echo(f"source {source_id} removed ({len(graphs)} datasets)")


def _source(ctx: Context, source_id: str) -> Source:
    try:
        return ctx.source(source_id)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc


# --- harvesting --------------------------------------------------------------------------------
@main.command()
@click.argument("source_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Harvest every enabled source.")
@click.option("--full", is_flag=True, help="Ignore change markers: fetch and compare every record.")
@click.option("--confirm-deletions", is_flag=True, help="Delete records gone from the portal even past the guard.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@config_option
@click.pass_context
def harvest(click_ctx: click.Context, source_ids: tuple[str, ...], all_: bool, full: bool,
            confirm_deletions: bool, quiet: bool, config: str | None) -> None:
    """Harvest sources now and print each job's report; exit 1 if a job failed."""
    from harvester.errors import SourceBusy
    from harvester.jobs import run_job
    from harvester.logs import configure_logging
    from harvester.server import start_process
    from harvester.trust.assess import after_harvest

    ctx = _ctx(click_ctx, config)
    if not source_ids and not all_:
        raise click.UsageError("name one or more sources, or --all")
    sources = [s for s in ctx.sources() if s.enabled] if all_ else [_source(ctx, i) for i in source_ids]
    configure_logging(ctx.settings)
    start_process(ctx)
    failed = False
    for s in sources:
        with _ProgressBar(s.id, quiet) as bar:
            try:
                job = run_job(ctx, s, full=full, progress=bar.update, confirm_deletions=confirm_deletions)
            except SourceBusy as exc:
                raise click.ClickException(str(exc)) from exc
        print_job_report(job)
        assessed = after_harvest(ctx, s.id, job)
        if assessed is not None and assessed.assessed:
            click.echo(f"  validated {assessed.assessed}: {assessed.failing} fail DCAT-AP 3 SHACL; "
                       f"mean MQA score {assessed.mean_score:.0f}/405")
        failed |= job.status in (JobStatus.FAILED, JobStatus.NEEDS_CONFIRMATION)
    if failed:
        sys.exit(1)


class _ProgressBar:
    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet, self.bar = label, quiet, None

    def __enter__(self) -> _ProgressBar:
        if not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.label, unit=" datasets", file=sys.stderr, dynamic_ncols=True)
        return self

    def update(self, job: Job, total: int | None) -> None:
        if self.bar is not None:
            if total and self.bar.total != total:
                self.bar.total = total
            self.bar.n = job.counts.seen
            self.bar.set_postfix(added=job.counts.added, updated=job.counts.updated,
                                 failed=job.counts.failed, refresh=False)
            self.bar.refresh()

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()


def print_job_report(job: Job) -> None:
    c = job.counts
    click.echo(f"job {job.id} [{job.source_id}] {job.status.value} in {job.duration or 0:.1f} s: "
               f"added {c.added}, updated {c.updated}, unchanged {c.unchanged}, deleted {c.deleted}, "
               f"failed {c.failed}")
    if job.message:
        click.echo(f"  {job.message}")
    for error in job.errors[:20]:
        where = f" {error.remote_id}" if error.remote_id else ""
        click.echo(f"  [{error.stage.value}]{where}: {error.message}")
    if len(job.errors) > 20:
        click.echo(f"  … {len(job.errors) - 20} more errors: harvester jobs --show {job.id}")


@main.command()
@click.option("--source", "source_id", default=None, help="Only this source's jobs.")
@click.option("--show", "job_id", type=int, default=None, help="One job's full report with its errors.")
@click.option("--limit", default=20, show_default=True, help="How many jobs.")
@config_option
@click.pass_context
def jobs(click_ctx: click.Context, source_id: str | None, job_id: int | None, limit: int, config: str | None) -> None:
    """Job history."""
    ctx = _ctx(click_ctx, config)
    if job_id is not None:
        job = ctx.state.job(job_id)
        if job is None:
            raise click.ClickException(f"no job {job_id}")
        print_job_report(job)
        print_pending_deletions(ctx, job_id)
        return
    _jobs_table(ctx.state.jobs(source_id, limit))


def print_pending_deletions(ctx: Context, job_id: int) -> None:
    """The records a needs_confirmation job holds back, or the decision taken on them."""
    from harvester.deletions import pending

    held = pending(ctx, job_id)
    if held.decision is not None:
        d = held.decision
        click.echo(f"  deletions {d['decision']} at {d['decided']}: {d['deleted']} deleted, {d['kept']} kept")
    if not held.records:
        return
    click.echo(f"  {len(held.records)} record(s) would be deleted "
               f"(harvester deletions confirm {job_id} / harvester deletions reject {job_id}):")
    _table(("remote id", "key", "still unlisted", "title"),
           [(r.remote_id, r.key, "yes" if r.still_unlisted else "no (seen again or gone)", r.title[:60])
            for r in held.records])


def _jobs_table(jobs_: list[Job]) -> None:
    _table(("job", "source", "status", "started", "seconds", "added", "updated", "unchanged", "deleted", "failed"),
           [(str(j.id), j.source_id, j.status.value, f"{j.started:%Y-%m-%d %H:%M:%S}", f"{j.duration or 0:.1f}",
             str(j.counts.added), str(j.counts.updated), str(j.counts.unchanged), str(j.counts.deleted),
             str(j.counts.failed)) for j in jobs_])


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max([len(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in rows:
        click.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)))


def _width(text: str) -> int:
    return sum(2 if "\u2e80" <= ch <= "\ufaff" else 1 for ch in text)


from harvester.cli_catalog import register  # noqa: E402  (the catalog commands live in their own module)
from harvester.cli_operations import register as register_operations  # noqa: E402

from harvester.cli_sources import register as register_source_commands  # noqa: E402
from harvester.cli_users import register as register_users  # noqa: E402

register(main)
register_operations(main)
register_users(main)
register_source_commands(source)

if __name__ == "__main__":
    main()
