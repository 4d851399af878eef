"""/sparql in front of a SPARQL server that is down or failing answers 503 (with Retry-After and a message
people can read), never a 500: the service is unavailable for a while, nothing is broken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from harvester.context import Context
from tests.conftest import make_settings
from tests.servers import FaultProxy, backend_settings

QUERY = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
CSV = {"Accept": "text/csv"}


@pytest.fixture(params=("oxigraph-server", "virtuoso"))
def proxied_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FlaskClient, FaultProxy]]:
    from web import create_app

    settings = backend_settings(request, request.param)
    values = next(settings)
    proxy, values = FaultProxy.before_store(values)
    values["store_timeout"] = 2.0
    ctx = Context(make_settings(tmp_path / "data", **values))
    try:
        yield create_app(ctx).test_client(), proxy
    finally:
        ctx.close()
        proxy.close()
        next(settings, None)


@pytest.mark.parametrize("mode", ["refuse", "error"])
def test_a_store_server_that_is_down_or_failing_gives_503(proxied_site: tuple[FlaskClient, FaultProxy],
                                                          mode: str) -> None:
    client, proxy = proxied_site
    assert client.get("/sparql", query_string={"query": QUERY}, headers=CSV).status_code == 200
    proxy.fault.mode, proxy.fault.writes_only = mode, False
    response = client.get("/sparql", query_string={"query": QUERY, "lang": "en"}, headers=CSV)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_data(as_text=True) == "The service is temporarily unavailable; please try again later.\n"
    chinese = client.get("/sparql", query_string={"query": QUERY, "lang": "zh"}, headers=CSV)
    assert chinese.status_code == 503 and "服务暂时不可用" in chinese.get_data(as_text=True)
    page = client.get("/sparql", query_string={"query": QUERY, "format": "html", "lang": "en"})
    assert page.status_code == 503 and "temporarily unavailable" in page.get_data(as_text=True)
    proxy.fault.mode = ""
    assert client.get("/sparql", query_string={"query": QUERY}, headers=CSV).status_code == 200
