# syntax=docker/dockerfile:1
# Symphony: multi-stage build (wheels in a builder, slim non-root runtime).
#   docker build -t symphony .
#   docker run --rm -p 8787:8787 --env-file .env -v symphony-data:/data symphony
# Policy lives in /app/config (mount your own over it: -v ./config:/app/config:ro).

ARG PYTHON_VERSION=3.11

# --- builder: Symphony and every dependency as wheels ---------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --wheel-dir /wheels .

# --- runtime: only the installed wheels, the policy and a data volume ------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SYMPHONY_PORT=8787 \
    SYMPHONY_POLICY_FILE=/app/config/router.policy.yml \
    SYMPHONY_WINDOWS_FILE=/app/config/model.windows.yml \
    SYMPHONY_DATA_DIR=/data

RUN groupadd --system --gid 10001 symphony \
 && useradd --system --uid 10001 --gid symphony --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin symphony

RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels symphony

WORKDIR /app
COPY config ./config
# docs/runbook.md is served as an MCP resource (symphony://runbook).
COPY docs/runbook.md ./docs/runbook.md
RUN mkdir -p /data && chown symphony:symphony /data

USER symphony:symphony
VOLUME ["/data"]
EXPOSE 8787

# No curl in the slim image: probe the (public, never-blocking) health endpoint with Python.
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/status/health.json' % os.environ.get('SYMPHONY_PORT', '8787'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]

CMD ["symphony", "serve", "--host", "0.0.0.0"]
