"""The ``harvester`` command, run as a user runs it (click's CliRunner, real store and portal)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from harvester.cli import main
from harvester.index import SCHEMA_VERSION, SearchIndex, SearchQuery


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "harvester.toml"
    path.write_text('[data]\ndir = "data"\n[http]\nretries = 1\nbackoff = 0.01\ndelay = 0.0\n[harvest]\nbatch_size = 25\n',
                    encoding="utf-8")
    return path


def run(config: Path, *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_source_lifecycle_harvest_and_queries(config: Path, portal, tmp_path: Path) -> None:
    demo, running = portal
    run(config, "source", "add", "jinan", "--type", "ckan", "--url", running.url, "--title", "济南市开放平台")
    assert "jinan" in run(config, "source", "list").output
    out = run(config, "harvest", "jinan", "--quiet").output
    assert "succeeded" in out and "added 60" in out
    assert "datasets  60" in run(config, "source", "show", "jinan").output
    jobs = run(config, "jobs").output
    assert "jinan" in jobs and "succeeded" in jobs
    csv = run(config, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
              "--format", "csv").output
    assert csv.splitlines()[-1].strip() == "60"
    export = tmp_path / "catalog.nq"
    run(config, "export", "--format", "nq", "-o", str(export))
    quads = rdflib.Dataset()
    quads.parse(export, format="nquads")
    typed = {(s, g) for s, _, _, g in quads.quads((None, rdflib.RDF.type, rdflib.DCAT.Dataset, None))}
    assert len(typed) == 60 and len({g for _, g in typed}) == 60  # one named graph per record
    assert "indexed 60 datasets" in run(config, "reindex").output
    assert "validated 60: 0 fail DCAT-AP 3 SHACL" in out  # right after the harvest, the records it changed
    report = json.loads(run(config, "validate", "jinan", "--json").output)
    assert report["checked"] == 0 and report["failing"] == 0  # nothing changed since
    report = json.loads(run(config, "validate", "jinan", "--json", "--all", "--limit", "20").output)
    assert report["checked"] == 20 and report["failing"] == 0
    assert "removed (60 datasets)" in run(config, "source", "remove", "jinan", "--yes").output
    assert "jinan" not in run(config, "source", "list").output


def test_a_failed_harvest_exits_1_and_says_why(config: Path, portal) -> None:
    demo, running = portal
    demo.fail_search_page = 1
    run(config, "source", "add", "jinan", "--type", "ckan", "--url", running.url)
    result = run(config, "harvest", "jinan", "--quiet", ok=False)
    assert result.exit_code == 1
    assert "failed" in result.output and "HTTP 500" in result.output


@pytest.mark.parametrize("args, message", [
    (["source", "add", "Bad Id", "--type", "ckan", "--url", "http://x"], "lower-case"),
    (["source", "add", "ok", "--type", "nope", "--url", "http://x"], "unknown source type"),
    (["source", "add", "ok", "--type", "ckan", "--url", "ftp://x"], "http(s) URL"),
    (["harvest", "missing"], "no source 'missing'"),
    (["sparql", "SELEKT nothing"], "invalid query"),
])
def test_bad_input_gets_a_clear_error(config: Path, args: list[str], message: str) -> None:
    result = run(config, *args, ok=False)
    assert result.exit_code != 0
    assert message in result.output


def test_sources_declared_in_the_config_file_are_read_only(tmp_path: Path, portal) -> None:
    demo, running = portal
    config = tmp_path / "harvester.toml"
    config.write_text(f'[data]\ndir = "data"\n[[sources]]\nid = "declared"\ntype = "ckan"\nurl = "{running.url}"\n',
                      encoding="utf-8")
    assert "config" in run(config, "source", "list").output
    result = run(config, "source", "remove", "declared", "--yes", ok=False)
    assert "declared in the config file" in result.output
    assert "added 60" in run(config, "harvest", "--all", "--quiet").output


def test_the_demo_harvests_the_bundled_portal(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--port", "0", "--datasets", "40",
                                       "--data-dir", str(tmp_path / "demo")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "demo CKAN portal" in result.output and "added 40" in result.output
    assert "1 records kept from the public (不予开放)" in result.output  # package 30 of 40
    assert "validated 39: 0 fail DCAT-AP 3 SHACL" in result.output


def test_the_demo_rebuilds_a_search_index_an_earlier_version_left(tmp_path: Path) -> None:
    args = ["demo", "--no-serve", "--port", "0", "--datasets", "20", "--data-dir", str(tmp_path / "demo")]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    meta = tmp_path / "demo" / "index" / "meta.json"
    meta.write_text(meta.read_text().replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 3'))
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"index schema version 3, this harvester needs {SCHEMA_VERSION}" in result.output
    assert "rebuilding it" in result.output and "unchanged 20" in result.output
    with SearchIndex(tmp_path / "demo" / "index") as index:
        assert index.search(SearchQuery(q="济南")).total > 0


def test_a_long_reindex_says_how_far_it_has_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the port is part of the demo's base URL, which the record graphs are named under: reindex uses 8080
    args = ["demo", "--no-serve", "--port", "8080", "--datasets", "20", "--data-dir", str(tmp_path / "demo")]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    monkeypatch.setattr("harvester.reindex.BATCH", 10)
    monkeypatch.setattr("harvester.cli_catalog.REINDEX_PROGRESS_SECONDS", 0.0)
    result = CliRunner().invoke(main, ["reindex"], env={"HARVESTER_DATA_DIR": str(tmp_path / "demo")},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines and all(re.fullmatch(r"indexed [\d,]+ datasets so far \([\d,]+/s\)", line) for line in lines), lines
    assert re.search(r"^indexed \d+ datasets$", result.stdout, re.M)


def test_reindex_under_another_base_url_refuses_and_leaves_the_index(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    args = ["demo", "--no-serve", "--port", "8080", "--datasets", "20", "--data-dir", str(data)]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    with SearchIndex(data / "index") as index:
        before = index.count()
    env = {"HARVESTER_DATA_DIR": str(data), "HARVESTER_WEB_BASE_URL": "https://data.example.cn"}
    result = CliRunner().invoke(main, ["reindex"], env=env)
    assert result.exit_code == 1 and "none under https://data.example.cn/graph/" in result.output
    assert "web.base_url" in result.output and "Traceback" not in result.output
    with SearchIndex(data / "index") as index:
        assert before > 0 and index.count() == before


def test_commands_report_an_outdated_search_index_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "meta.json").write_text(json.dumps(
        {"format": "harvester-search-index", "schema_version": 3, "tantivy": "0.27.0"}))
    result = CliRunner().invoke(main, ["reindex"], env={"HARVESTER_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output  # reindex is the way out
    (tmp_path / "index" / "meta.json").write_text(json.dumps(
        {"format": "harvester-search-index", "schema_version": 3, "tantivy": "0.27.0"}))
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"HARVESTER_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and result.exc_info[0] is SystemExit
    assert "index schema version 3" in result.output and "run `harvester reindex`" in result.output
    assert "Traceback" not in result.output
