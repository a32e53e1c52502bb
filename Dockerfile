# Outputs: the bot as a container image.
#
#   docker build -t outputs-bot .                       # or: buildah bud --format docker -t outputs-bot .
#   docker run --rm -v outputs-data:/data outputs-bot migrate     # first, and after every upgrade
#   docker run -d -p 3000:3000 -v outputs-data:/data \
#     -e SLACK_SIGNING_SECRET=… -e SLACK_BOT_TOKEN=xoxb-… outputs-bot   # `serve` is the default command
#
# The database is SQLite in /data/outputs.db unless DATABASE_URL says otherwise (PostgreSQL
# for several replicas); docs/operating.md is the operator's guide. BASE_IMAGE lets CI build
# on a local stand-in for the official image (.ci/container).

ARG BASE_IMAGE=python:3.11-slim

# ---- build: the project's wheel, installed with its dependencies into a venv
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY migrations ./migrations
RUN /opt/venv/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-cache-dir /wheels/*.whl

# ---- runtime: the venv on a clean slim image, as an unprivileged user
FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OUTPUTS_SERVER__HOST=0.0.0.0 \
    OUTPUTS_SERVER__PORT=3000
# Written directly: the user tools (passwd) are not in every slim base.
RUN echo 'outputs:x:10001:10001:Outputs:/data:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'outputs:x:10001:' >> /etc/group \
    && mkdir -p /data \
    && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
# The default database URL is relative (sqlite:///outputs.db): it lands in /data.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
# slim has no curl: ask /healthz with Python (503 or no answer fails the check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OUTPUTS_SERVER__PORT', '3000'), timeout=4)"]
ENTRYPOINT ["outputs-bot"]
CMD ["serve"]
