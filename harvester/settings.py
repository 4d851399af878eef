"""Every setting, declared once with its default and help; values come from default < config file < environment.

The config file is TOML (``harvester.toml`` by default); a setting ``store.url`` lives in table ``[store]``
key ``url`` and is overridden by the environment variable ``HARVESTER_STORE_URL``. Harvest sources are
declared in ``[[sources]]`` tables (see harvester.sources.registry).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    env_only: bool = False  # a secret: read from the environment only, refused in the config file

    @property
    def env(self) -> str:
        return "HARVESTER_" + self.name.upper().replace(".", "_")


def _boolean(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


SETTINGS: tuple[Setting, ...] = (
    Setting("data.dir", "data", "Folder for the embedded store, state.db and the search index."),
    Setting("store.url", "", "Triple store: 'oxigraph:PATH' (embedded; default: oxigraph:{data.dir}/store) or "
            "'sparql+http(s)://HOST/PATH' (the query endpoint of a SPARQL 1.1 server; see docs/stores.md)."),
    Setting("store.open_files", 500, "Table files the embedded store keeps open (0: as many as the process may "
            "open). Each open file keeps its index in memory, so on a store of more table files than this it bounds "
            "the store's memory and descriptors (a 1M-record store has ~490).", int),
    Setting("store.update_url", "", "SPARQL 1.1 Update endpoint of a server store (default: the query endpoint; "
            "Oxigraph server: its /update)."),
    Setting("store.gsp_url", "", "Graph Store Protocol endpoint of a server store (default: Oxigraph server /store, "
            "Virtuoso /sparql-graph-crud, or /sparql-graph-crud-auth with a store.user; others: not used)."),
    Setting("store.user", "", "User name for a server store's endpoints (empty: no authentication)."),
    Setting("store.password", "", "Password of store.user (environment only: HARVESTER_STORE_PASSWORD).",
            env_only=True),
    Setting("store.auth", "basic", "HTTP authentication for store.user: 'basic' or 'digest' (Virtuoso).",
            lambda v: v.strip().lower()),
    Setting("store.dialect", "auto", "Server kind, for the fastest safe writes: 'auto' (from the Server header), "
            "'oxigraph', 'virtuoso' or 'generic' (SPARQL Update only)."),
    Setting("store.timeout", 120.0, "Seconds to wait for a server store's answer to a write or internal read.",
            float),
    Setting("store.retries", 2, "Retries of a server store request that found the server unreachable or "
            "unavailable (502/503/504); every write is an idempotent replace.", int),
    Setting("store.write_concurrency", 4, "Write requests sent to a server store at the same time, where the "
            "server takes one write per record (a Virtuoso without the harvester loader: one Graph Store PUT per "
            "record); at most 2 of them to Virtuoso's loader, whose requests carry ~100 records each. SPARQL Update "
            "writes go one request at a time, each carrying many records.", int),
    Setting("web.base_url", "http://127.0.0.1:8080", "Public base URL; dataset IRIs are minted under it."),
    Setting("web.title", "济南市公共数据目录", "Site title (Chinese)."),
    Setting("web.title_en", "Jinan Open Data Catalog", "Site title (English)."),
    Setting("web.secret_key", "", "Flask secret key (sessions, language choice); random per start if empty."),
    Setting("web.preview_timeout", 5.0, "Seconds the site waits for a portal when it previews the first rows of a "
            "distribution (fetched only from the portal's own host); 0 turns previews off.", float),
    Setting("trust.hidden_access_rights", ("NON_PUBLIC",), "EU access-right codes (space-separated) of records "
            "kept from the public: stored for operators only, never in search, pages, feeds, APIs or SPARQL "
            "(NON_PUBLIC is 不予开放).", lambda v: tuple(v.replace(",", " ").upper().split())),
    Setting("trust.assess_after_harvest", True, "Validate (DCAT-AP 3 SHACL) and fully score (MQA) the records a "
            "harvest changed, right after it, in its slot (harvester.trust.assess).", _boolean),
    Setting("trust.link_check_every", "", "How often `harvester serve` checks the distribution URLs of every "
            "source ('every 1d', a cron expression; empty: only by `harvester links check`)."),
    Setting("trust.link_max_age_hours", 168.0, "A URL checked less than this many hours ago is not checked again.",
            float),
    Setting("trust.link_check_budget", 600.0, "Seconds one link-check run of a source may take (0: no limit).",
            float),
    Setting("harvest.batch_size", 1000, "Records mapped, then written to the store and index, per batch "
            "(larger batches mean fewer, larger store segments; 500 holds ~170 MB less, ~6% slower).", int),
    Setting("harvest.map_workers", 1 if (os.cpu_count() or 1) > 1 else 0, "Processes that map records "
            "beside the harvest process (0: map in the harvest process itself).", int),
    Setting("harvest.delete_guard", 0.2, "Largest share of a source a complete harvest may delete "
            "without an operator's confirmation.", float),
    Setting("harvest.overlap_seconds", 600, "Incremental harvests ask for changes since the last good "
            "job's start minus this margin (clock skew, slow commits on the portal).", int),
    Setting("http.timeout", 30.0, "Seconds to wait for a portal's answer (connect and each read).", float),
    Setting("http.retries", 3, "Retries on 429, 5xx and connection errors, with exponential backoff.", int),
    Setting("http.backoff", 0.5, "First backoff delay in seconds (doubles each retry, with jitter).", float),
    Setting("http.max_bytes", 200 * 1024 * 1024, "Largest response body accepted from a portal.", int),
    Setting("http.contact_url", "https://github.com/harvester", "Contact URL sent in the User-Agent."),
    Setting("http.delay", 1.0, "Seconds between the end of one request to a host and the start of the next "
            "(per source: option `delay`; a robots.txt Crawl-delay, if longer, wins).", float),
    Setting("http.host_concurrency", 1, "Requests to one host at the same time, across every job of the process.",
            int),
    Setting("http.obey_robots", True, "Obey the portals' robots.txt (per source: option `obey_robots = false`).",
            _boolean),
    Setting("harvest.concurrency", 2, "Harvests running at the same time in `harvester serve` (more wait their "
            "turn; one per source).", int),
    Setting("harvest.stall_seconds", 1800.0, "A job that makes no progress (no record, no answer from the portal) "
            "this long is stopped and marked failed.", float),
    Setting("schedule.timezone", "Asia/Shanghai", "Time zone of the sources' cron schedules."),
    Setting("schedule.tick_seconds", 10.0, "How often `harvester serve` looks for sources whose scheduled time "
            "has come.", float),
    Setting("log.format", "text", "Log lines as 'text' or 'json' (one JSON object per line)."),
    Setting("log.level", "INFO", "Least severe log level written (DEBUG, INFO, WARNING, ERROR)."),
    Setting("sparql.timeout", 10.0, "Seconds a public SPARQL query may run before its results are cut.", float),
    Setting("sparql.max_rows", 10000, "Most rows a public SPARQL query returns.", int),
    Setting("ckan.rows", 1000, "Page size for CKAN package_search.", int),
)
_BY_NAME = {s.name: s for s in SETTINGS}


class Settings:
    """Resolved settings plus the sources declared in the config file."""

    def __init__(self, values: dict[str, Any] | None = None, sources: list[dict[str, Any]] | None = None,
                 config_path: Path | None = None) -> None:
        self._values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        self._values.update(values or {})
        self.sources: list[dict[str, Any]] = sources or []
        self.config_path = config_path

    def __getitem__(self, name: str) -> Any:
        return self._values[_BY_NAME[name].name]

    def with_values(self, **values: Any) -> Settings:
        """A copy with some settings changed; keys use '_' for '.' (``data_dir=…``)."""
        merged = dict(self._values)
        for key, value in values.items():
            merged[_BY_NAME[key.replace("_", ".", 1)].name] = value
        return Settings(merged, list(self.sources), self.config_path)

    @property
    def data_dir(self) -> Path:
        return Path(self["data.dir"])

    @property
    def store_url(self) -> str:
        return self["store.url"] or f"oxigraph:{self.data_dir / 'store'}"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state.db"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index"

    @property
    def base_url(self) -> str:
        return str(self["web.base_url"]).rstrip("/")


def load_settings(config_path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the config file (if it exists) and the environment."""
    env = dict(os.environ if env is None else env)
    path = Path(config_path or env.get("HARVESTER_CONFIG") or "harvester.toml")
    values: dict[str, Any] = {}
    sources: list[dict[str, Any]] = []
    if path.exists():
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        sources = list(doc.pop("sources", []))
        values.update(_flatten(doc))
        base = path.parent
        if "data.dir" in values and not Path(values["data.dir"]).is_absolute():
            values["data.dir"] = str(base / values["data.dir"])
    secrets = sorted(s.name for s in SETTINGS if s.env_only and s.name in values)
    if secrets:
        raise ValueError(f"{', '.join(secrets)} in {path}: secrets come only from the environment "
                         f"({', '.join(_BY_NAME[n].env for n in secrets)})")
    for setting in SETTINGS:
        if setting.env in env:
            values[setting.name] = setting.parse(env[setting.env])
    unknown = sorted(set(values) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"unknown settings in {path}: {', '.join(unknown)}")
    return Settings(values, sources, path if path.exists() else None)


def _flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out
