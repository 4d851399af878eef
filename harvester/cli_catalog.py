"""The catalog commands of ``harvester``: sparql, export, validate, reindex, serve, demo."""

from __future__ import annotations

import json
import sys
import time
from typing import Any
from pathlib import Path

import click

from harvester.cli import _ctx, _table, config_option
from harvester.errors import OperationRefused


def register(main: click.Group) -> None:
    for command in (sparql, export, validate, links, reindex_cmd, serve, demo):
        main.add_command(command)


@click.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(exists=True, dir_okay=False), help="Read the query from a file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml"]), default="table",
              show_default=True, help="Output format.")
@click.option("--max-rows", default=100_000, show_default=True, help="Most rows to return.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds before the query is cut.")
@config_option
@click.pass_context
def sparql(click_ctx: click.Context, query: str | None, query_file: str | None, fmt: str, max_rows: int,
           timeout: float, config: str | None) -> None:
    """Run a SPARQL query over the merged catalog (union of all record graphs)."""
    from harvester.store import StoreError

    if query_file:
        query = Path(query_file).read_text(encoding="utf-8")
    if not query:
        raise click.UsageError("give a QUERY or -f FILE")
    ctx = _ctx(click_ctx, config)
    accept = {"table": "text/csv", "json": "application/sparql-results+json", "csv": "text/csv",
              "tsv": "text/tab-separated-values", "xml": "application/sparql-results+xml"}[fmt]
    try:
        answer = ctx.store.query(query, accept, max_rows, timeout)
    except SyntaxError as exc:
        raise click.ClickException(f"invalid query: {exc}") from exc
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "table" and answer.content_type.startswith("text/csv"):
        import csv
        import io

        rows = list(csv.reader(io.StringIO(answer.body.decode("utf-8"))))
        _table(tuple(rows[0]) if rows else (), [tuple(r) for r in rows[1:]])
    else:
        sys.stdout.buffer.write(answer.body)
    if answer.truncated_by_rows or answer.truncated_by_time:
        click.echo(f"(cut at {answer.rows} rows by the {'row' if answer.truncated_by_rows else 'time'} limit)",
                   err=True)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["nq", "trig", "ttl", "jsonld"]), default="nq", show_default=True,
              help="nq/trig keep the named graphs; ttl/jsonld give the union graph.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="File (default: stdout).")
@config_option
@click.pass_context
def export(click_ctx: click.Context, fmt: str, output: str | None, config: str | None) -> None:
    """Dump the whole catalog."""
    ctx = _ctx(click_ctx, config)
    if output:
        with open(output, "wb") as fh:
            ctx.store.export(fh, fmt)
    else:
        ctx.store.export(sys.stdout.buffer, fmt)


@click.command()
@click.argument("source_id", required=False)
@click.option("--all", "force", is_flag=True, help="Validate every record again, not only those changed since "
              "their last validation.")
@click.option("--limit", default=0, help="Validate at most this many records per source (0: all due).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@config_option
@click.pass_context
def validate(click_ctx: click.Context, source_id: str | None, force: bool, limit: int, as_json: bool,
             config: str | None) -> None:
    """Validate stored records (DCAT-AP 3 SHACL) and complete their MQA scores; report the failing ones
    (exit 1 if any record of the sources fails)."""
    from harvester.trust.assess import assess, failing_rules

    ctx = _ctx(click_ctx, config)
    sources = [source_id] if source_id else [s.id for s in ctx.sources()]
    out: dict[str, Any] = {"checked": 0, "failing": 0, "records": [], "rules": []}
    for sid in sources:
        out["checked"] += assess(ctx, sid, force=force, limit=limit).assessed
        failing = [a for a in ctx.trust.assessments(sid) if not a.conforms]
        out["failing"] += len(failing)
        out["records"] += [{"graph": ctx.iris.graph(sid, a.key), "violations": a.violations} for a in failing]
        out["rules"] += [{"source": sid, "path": r.path, "message": r.message, "records": r.records,
                          "examples": r.examples} for r in failing_rules(ctx, sid)]
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for rule in out["rules"][:50]:
            click.echo(f"{rule['source']}: {rule['records']} records: {rule['path']}: {rule['message']}")
        click.echo(f"{out['checked']} records validated now; {out['failing']} stored records fail "
                   "DCAT-AP 3.0.1 SHACL")
    if out["failing"]:
        sys.exit(1)


@click.group()
def links() -> None:
    """Check the distribution URLs of stored records (MQA accessibility)."""


@links.command("check")
@click.argument("source_id", required=False)
@click.option("--budget", type=float, default=None, help="Seconds per source (default: trust.link_check_budget).")
@config_option
@click.pass_context
def links_check(click_ctx: click.Context, source_id: str | None, budget: float | None, config: str | None) -> None:
    """Check the due access and download URLs politely, then re-score the records they belong to."""
    from harvester.trust.linkrun import check_links

    ctx = _ctx(click_ctx, config)
    for sid in [source_id] if source_id else [s.id for s in ctx.sources() if s.enabled]:
        done = check_links(ctx, sid, budget)
        rescored = done.reassessed.assessed if done.reassessed else 0
        click.echo(f"{sid}: {done.checked} URLs checked, {done.broken} not answering 2xx; {rescored} records re-scored")


#: seconds between two progress lines of ``harvester reindex``
REINDEX_PROGRESS_SECONDS = 10.0


@click.command("reindex")
@config_option
@click.pass_context
def reindex_cmd(click_ctx: click.Context, config: str | None) -> None:
    """Rebuild the search index from the store."""
    from harvester.reindex import reindex

    ctx = _ctx(click_ctx, config)
    started = last = time.monotonic()

    def progress(count: int) -> None:  # a line now and then: at 1M records a reindex takes ~20 minutes
        nonlocal last
        now = time.monotonic()
        if now - last >= REINDEX_PROGRESS_SECONDS:
            last = now
            click.echo(f"indexed {count:,} datasets so far ({count / (now - started):,.0f}/s)", err=True)
    try:
        count = reindex(ctx, progress)
    except OperationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"indexed {count} datasets")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port.")
@click.option("--threads", default=8, show_default=True, help="Request threads.")
@config_option
@click.pass_context
def serve(click_ctx: click.Context, host: str, port: int, threads: int, config: str | None) -> None:
    """Serve the web site, APIs and SPARQL endpoint."""
    from harvester.server import serve_forever

    ctx = _ctx(click_ctx, config)
    serve_forever(ctx, host, port, threads)


@click.command()
@click.option("--port", default=8080, show_default=True, help="Port of the catalog site.")
@click.option("--datasets", default=360, show_default=True, help="Datasets in the demo portal.")
@click.option("--data-dir", default="data/demo", show_default=True, help="Where the demo catalog is kept.")
@click.option("--no-serve", is_flag=True, help="Harvest, print the report and stop (for scripts).")
@click.pass_context
def demo(click_ctx: click.Context, port: int, datasets: int, data_dir: str, no_serve: bool) -> None:
    """Start the bundled demo portals on loopback, harvest them all, and serve the merged site."""
    from harvester.demo.run import run_demo

    sys.exit(run_demo(port=port, datasets=datasets, data_dir=Path(data_dir), serve_site=not no_serve))
