# govbot's container image: `govbot serve` on :8080 as an unprivileged user.
#
#   docker build -t govbot .
#   docker run --rm -p 8080:8080 -e GOVBOT_ALERTMANAGER_TOKEN=… govbot
#
# Two stages: the builder installs govbot and its dependencies into a virtual environment
# (compilers and pip caches stay behind); the runtime copies only that environment. Both
# stages use the same base image, so the environment's interpreter path stays valid.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/govbot
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY commands commands
COPY policies policies
COPY rego rego
COPY repo_templates repo_templates
# The embedded OPA engine declares Python >= 3.14 but runs on 3.11; pip refuses it as a
# dependency, so it is installed on its own without the version check (as the Makefile does).
RUN /opt/govbot/bin/pip install '.[postgres]' \
 && /opt/govbot/bin/pip install --ignore-requires-python --no-deps \
        opa-golib-python-bindings==0.4.4

FROM ${PYTHON_IMAGE}
# git: govbot commits to and fetches the policy repository through the git command
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 govbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/govbot \
        --shell /usr/sbin/nologin govbot \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/govbot
COPY --from=builder /opt/govbot /opt/govbot
ENV PATH=/opt/govbot/bin:$PATH \
    GOVBOT_HOME=/var/lib/govbot \
    HOME=/var/lib/govbot \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# a fixed numeric uid, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd
USER 10001:10001
WORKDIR /var/lib/govbot
VOLUME /var/lib/govbot
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["govbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
