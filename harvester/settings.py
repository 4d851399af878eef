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

    @property
    def env(self) -> str:
        return "HARVESTER_" + self.name.upper().replace(".", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("data.dir", "data", "Folder for the embedded store, state.db and the search index."),
    Setting("store.url", "", "Triple store: 'oxigraph:PATH' (embedded; default: oxigraph:{data.dir}/store)."),
    Setting("web.base_url", "http://127.0.0.1:8080", "Public base URL; dataset IRIs are minted under it."),
    Setting("web.title", "济南市公共数据目录", "Site title (Chinese)."),
    Setting("web.title_en", "Jinan Open Data Catalog", "Site title (English)."),
    Setting("web.secret_key", "", "Flask secret key (sessions, language choice); random per start if empty."),
    Setting("harvest.batch_size", 1000, "Records mapped, then written to the store and index, per batch "
            "(larger batches mean fewer, larger store segments).", int),
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
