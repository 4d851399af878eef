"""The WSGI entry for production servers: ``gunicorn -w 1 --threads 8 'web.wsgi:app'``.

One worker process: the embedded store allows one writing process (use a SPARQL server store to scale
out). Configuration comes from HARVESTER_CONFIG and HARVESTER_* environment variables.
"""

from harvester.context import Context
from harvester.operations import harvests
from harvester.server import start_process
from harvester.settings import load_settings
from web import create_app
from web.search import landing_query

context = Context(load_settings())
start_process(context)
harvests(context).scheduler.start()  # scheduled harvests run in this process, beside the site
app = create_app(context)
context.index.follow_commits(warm=[landing_query()])  # as harvester serve: at start and after each commit
