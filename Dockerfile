# Production image: gunicorn serving the catalog site; the catalog lives in the /data volume.
#   docker build -t harvester . && docker run -p 8080:8080 -v harvester-data:/data harvester
# Configure with a mounted TOML file (HARVESTER_CONFIG) or HARVESTER_* variables, e.g.
#   -e HARVESTER_WEB_BASE_URL=https://data.example.gov.cn
FROM python:3.11-slim

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY harvester ./harvester
COPY web ./web
COPY vocab ./vocab
COPY mappings ./mappings
# the same install as the README's first command, plus the production server
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -e '.[server]'

ENV PATH="/app/.venv/bin:$PATH" \
    HARVESTER_DATA_DIR=/data \
    HARVESTER_CONFIG=/data/harvester.toml
RUN mkdir -p /data && chown nobody /data
VOLUME ["/data"]
EXPOSE 8080
USER nobody
CMD ["gunicorn", "--workers", "1", "--threads", "8", "--bind", "0.0.0.0:8080", "--timeout", "60", "web.wsgi:app"]
