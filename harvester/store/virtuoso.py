"""Virtuoso's fast write path: a small loader installed in the server replaces a group of record graphs per
HTTP request with Virtuoso's own N-Quads loader (``DB.DBA.TTLP``, the one its bulk loader uses).

Neither protocol Virtuoso offers over HTTP is fast for many small graphs: a Graph Store request costs ~10 ms
of server CPU whatever its size and takes one graph, and ``INSERT DATA`` costs ~0.07 ms per triple in
Virtuoso's SPARQL compiler. The loader (``LOADER_SQL``, run once as dba; docs/stores.md) takes N-Quads for
many graphs at ~2 ms per record, as fast as ``ld_dir``/``rdf_loader_run`` on the same data. A request's
body starts with one ``# graph <IRI>`` comment line per graph it replaces, then their quads. Without the
loader installed the store falls back to one Graph Store PUT per record (harvester.store.sparql).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from harvester.store import GraphWrite, StoreError
from harvester.store.sparql_http import SparqlHttp

log = logging.getLogger(__name__)

#: where the loader answers, beside the server's /sparql
LOADER_PATH = "/harvester-replace-graphs"
#: what a GET of the loader answers: its protocol version (a later harvester may need a later loader)
LOADER_VERSION = "harvester-replace-graphs 1"

# Run once as dba. The worker (owned by dba) clears the request's graphs and loads its quads in the
# loader's own transaction; the HTTP stub belongs to a user without login, as Virtuoso's /SOAP/Http
# publishing requires, and holds only the grants the vectorised loader checks for its callbacks.
LOADER_SQL = """\
create procedure DB.DBA.HARVESTER_LOADER_USER ()
{
  if (not exists (select 1 from DB.DBA.SYS_USERS where U_NAME = 'HARVESTER_LOADER'))
    DB.DBA.USER_CREATE ('HARVESTER_LOADER', uuid (), vector ('SQL_ENABLE', 0, 'LOGIN_QUALIFIER', 'DB'));
}
;
DB.DBA.HARVESTER_LOADER_USER ();

create procedure DB.DBA.HARVESTER_REPLACE_GRAPHS (inout body any, in uname varchar) returns varchar
{
  declare graphs, line, g_iid, ids, state, message, started, loading any;
  started := msec_time ();
  if (uname is null or not exists (select 1 from DB.DBA.SYS_ROLE_GRANTS g, DB.DBA.SYS_USERS u, DB.DBA.SYS_USERS r
        where u.U_NAME = uname and r.U_NAME = 'SPARQL_UPDATE' and g.GI_SUPER = u.U_ID and g.GI_SUB = r.U_ID))
    signal ('42000', 'HVL01: this user may not write: grant it SPARQL_UPDATE');
  graphs := vector ();
  while (1)
    {
      line := ses_read_line (body, 0, 0, 1);
      if (isstring (line))
        line := rtrim (line, '\\r\\n');
      if (not isstring (line) or line not like '# graph <%>')
        goto listed;
      graphs := vector_concat (graphs, vector (subseq (line, 9, length (line) - 1)));
    }
listed:
  ids := '';
  foreach (varchar g in graphs) do
    {
      g_iid := iri_to_id (g, 0);
      -- a graph never seen has no IRI id: a delete by a NULL G would match every quad of the store
      if (isiri_id (g_iid))
        ids := ids || case when ids = '' then '' else ', ' end || sprintf ('#i%d', iri_id_num (g_iid));
    }
  -- compiled now, with the store's statistics of now: a plan compiled in the empty store of setup time
  -- scans every quad for each graph (~0.6 s a graph at 10,000 records); by the GS index it takes ~1.5 ms
  if (ids <> '')
    {
      state := '00000';
      exec (sprintf ('delete from DB.DBA.RDF_QUAD table option (index RDF_QUAD_GS) where G in (%s)', ids),
        state, message);
      if (state <> '00000')
        signal (state, message);
    }
  loading := msec_time ();
  DB.DBA.TTLP (body, '', 'urn:harvester:no-default-graph', 512, transactional=>1);
  commit work;
  return sprintf ('%d graphs: cleared in %d ms, loaded in %d ms', length (graphs), loading - started,
    msec_time () - loading);
}
;

create procedure DB.HARVESTER_LOADER.replace_graphs () __SOAP_HTTP 'text/plain'
{
  declare exit handler for sqlstate '*'
    {
      rollback work;
      http_request_status (case when __SQL_STATE = '42000' then 'HTTP/1.1 403 Forbidden'
        when __SQL_STATE in ('37000', '22023', '22007', 'RDFXX') then 'HTTP/1.1 400 Bad Request'
        else 'HTTP/1.1 500 Internal Server Error' end);
      http (__SQL_STATE || ' ' || __SQL_MESSAGE || '\\n');
      return '';
    };
  if (http_request_get ('REQUEST_METHOD') <> 'POST')
    return 'harvester-replace-graphs 1\\n';
  return DB.DBA.HARVESTER_REPLACE_GRAPHS (http_body_read (), connection_get ('SPARQLUserId')) || '\\n';
}
;

grant execute on DB.DBA.HARVESTER_REPLACE_GRAPHS to HARVESTER_LOADER;
grant select, delete on DB.DBA.RDF_QUAD to HARVESTER_LOADER;
grant execute on DB.HARVESTER_LOADER.replace_graphs to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_RL_GS_NEW_GRAPH to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_EV_NEW_BLANK to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_EV_NULL_IID to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_RL_GS_TRIPLE to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_RL_GS_TRIPLE_L to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_RL_COMMIT to HARVESTER_LOADER;
grant execute on DB.DBA.TTLP_EV_REPORT_DEFAULT to HARVESTER_LOADER;
grant execute on DB.DBA.RL_FLUSH to HARVESTER_LOADER;
grant execute on DB.DBA.L_O_LOOK to HARVESTER_LOADER;
grant execute on DB.DBA.RL_I2ID to HARVESTER_LOADER;
grant execute on DB.DBA.RL_I2ID_NP to HARVESTER_LOADER;

DB.DBA.VHOST_REMOVE (lpath=>'/harvester-replace-graphs');
DB.DBA.VHOST_DEFINE (lpath=>'/harvester-replace-graphs', ppath=>'/SOAP/Http/replace_graphs',
  soap_user=>'HARVESTER_LOADER', auth_fn=>'DB.DBA.HP_AUTH_SPARQL_USER', realm=>'SPARQL', sec=>'digest');
"""


def loader_body(writes: Sequence[GraphWrite]) -> bytes:
    """The graphs to replace as ``# graph <IRI>`` lines (N-Quads comments), then all their quads."""
    names = "".join(f"# graph <{w.graph}>\n" for w in writes)
    return (names + "".join(w.nquads() for w in writes)).encode("utf-8")


class VirtuosoLoader:
    """The server's loader, if installed: asked once (on the first write), remembered after."""

    def __init__(self, http: SparqlHttp, url: str | None) -> None:
        self.http = http
        self.url = url
        self._installed: bool | None = None if url else False
        self._lock = threading.Lock()

    def installed(self) -> bool:
        """True when the loader answers with our version; StoreError when the server cannot be asked."""
        with self._lock:
            if self._installed is None:
                self._installed = self._probe()
            return self._installed

    def _probe(self) -> bool:
        assert self.url is not None
        status, text = self.http.get_text(self.url)
        if status == 200 and text.strip() == LOADER_VERSION:
            return True
        if status in (404, 200):
            log.warning("Virtuoso has no harvester loader at %s (it answered %s %r): records are written one "
                        "Graph Store PUT each, ~6x slower; install it as docs/stores.md says", self.url, status,
                        text.strip()[:80])
            return False
        raise StoreError(f"asking Virtuoso for the harvester loader at {self.url} failed (HTTP {status}): "
                         f"{text.strip()[:200]}")

    def replace(self, writes: Sequence[GraphWrite]) -> None:
        """One request: the graphs of ``writes`` cleared, then loaded."""
        assert self.url is not None
        answer = self.http.post(self.url, loader_body(writes), "application/n-quads; charset=utf-8")
        log.debug("Virtuoso loader: %s", answer.strip())
