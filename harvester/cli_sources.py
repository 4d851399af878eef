"""``harvester source test ID``: the DCAT-AP of a source's first records and their SHACL result, before the
source is enabled. It reads the portal and writes nothing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from harvester.cli import _ctx, config_option
from harvester.model import Source

if TYPE_CHECKING:
    from harvester.dcat.validate import ValidationReport
    from harvester.sources.preview import SourcePreview


def register(source_group: click.Group) -> None:
    source_group.add_command(source_test)


@click.command("test")
@click.argument("source_id")
@click.option("--limit", default=3, show_default=True, type=click.IntRange(1, 100), help="How many records.")
@click.option("--type", "type_", default=None, help="Try this source type (for a source not added yet).")
@click.option("--url", default=None, help="Try this portal URL (for a source not added yet).")
@click.option("--mapping", default=None, help="Try this mapping name or YAML file instead of the source's.")
@click.option("--no-rdf", is_flag=True, help="Only the SHACL results, not the records' Turtle.")
@config_option
@click.pass_context
def source_test(click_ctx: click.Context, source_id: str, limit: int, type_: str | None, url: str | None,
                mapping: str | None, no_rdf: bool, config: str | None) -> None:
    """Map a source's first records, print their Turtle and SHACL result; exit 1 if any fails. Writes nothing."""
    from harvester.sources.preview import preview_source

    ctx = _ctx(click_ctx, config)
    source = _source_to_test(ctx.sources(), source_id, type_, url, mapping)
    click.echo(f"source {source.id} ({source.type}, mapping {source.mapping or 'default'}) at {source.url}")
    preview = preview_source(ctx.settings, source, limit)
    for number, record in enumerate(preview.records, start=1):
        where = f"  ({record.original_url})" if record.original_url else ""
        click.echo(f"\n── record {number}: {record.remote_id}{where}")
        if record.error is not None:
            click.echo(f"   FAILED at {record.error}")
            continue
        if not no_rdf:
            click.echo(record.turtle().rstrip())
        _echo_report(record.report)
    _echo_summary(preview)
    if not preview.ok:
        sys.exit(1)


def _source_to_test(sources: list[Source], source_id: str, type_: str | None, url: str | None,
                    mapping: str | None) -> Source:
    known = next((s for s in sources if s.id == source_id), None)
    if known is None and not (type_ and url):
        raise click.ClickException(f"no source {source_id!r}: add it first, or give --type and --url to try one")
    if url is not None and not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"--url must be an http(s) URL, not {url!r}")
    base = known or Source(source_id, type_ or "", url or "")
    return Source(base.id, type_ or base.type, url or base.url, base.title, base.schedule,
                  mapping or base.mapping, base.enabled, base.origin, dict(base.options))


def _echo_report(report: ValidationReport | None) -> None:
    if report is None:
        return
    if report.violation_count == 0:
        click.echo("SHACL (DCAT-AP 3.0.1): conforms, 0 violations")
        return
    click.echo(f"SHACL (DCAT-AP 3.0.1): {report.violation_count} violation(s)")
    for v in report.violations:
        if v.severity == "Violation":
            click.echo(f"   {v.focus} {v.path or ''}: {v.message}")


def _echo_summary(preview: SourcePreview) -> None:
    records = preview.records
    failed = sum(1 for r in records if r.error is not None)
    violating = sum(1 for r in records if r.report is not None and r.report.violation_count)
    total = f" of {preview.expected_total} listed" if preview.expected_total is not None else ""
    click.echo(f"\n{len(records)} record(s){total}: {len(records) - failed - violating} conform, "
               f"{failed} failed, {violating} with violations. Nothing was written.")
    if preview.gather_error is not None:
        click.echo(f"the listing could not be read: {preview.gather_error}")
