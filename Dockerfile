FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY commands commands
COPY policies policies
COPY rego rego
COPY repo_templates repo_templates
RUN pip install --no-cache-dir '.[postgres]' \
 # the embedded OPA engine declares Python >= 3.14 but runs on 3.11; pip refuses it as a
 # dependency, so it is installed on its own without the version check
 && pip install --no-cache-dir --ignore-requires-python --no-deps opa-golib-python-bindings==0.4.4
ENV GOVBOT_HOME=/var/lib/govbot
VOLUME /var/lib/govbot
ENTRYPOINT ["govbot"]
CMD ["shell"]
