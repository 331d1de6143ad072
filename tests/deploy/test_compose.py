"""docker-compose.yml and the files it mounts, checked without a container engine.

`docker-compose config` (Debian's docker-compose) validates the file against the Compose
schema and interpolates `.env`; each configuration file a service mounts goes through its
own checker (promtool, amtool; the OPA server's authorization policy through the embedded
OPA engine); govbot's own settings code judges the environment the stack gives it. Every
test works on a temporary copy with `.env.example` as `.env`.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.settings import Settings
from tests.deploy.support import ROOT, govbot_names, run, settings_read, tool

SERVICES = {"govbot", "shell", "opa", "postgres", "prometheus", "alertmanager"}


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A copy of the stack's files, with the committed example as its .env."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    shutil.copytree(ROOT / "deploy" / "compose", tmp_path / "deploy" / "compose")
    return tmp_path


def config(folder: Path) -> dict[str, Any]:
    done = run(tool("docker-compose"), "-f", "docker-compose.yml", "config", cwd=folder)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert isinstance(resolved, dict)
    return resolved


def mounted(service: dict[str, Any], inside: str) -> Path:
    """The host file behind a path inside a service's container (its bind mounts)."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("/") and PurePosixPath(inside).is_relative_to(target):
            return Path(source) / PurePosixPath(inside).relative_to(target)
    raise AssertionError(f"{inside} is not mounted from the host")


def flag(service: dict[str, Any], name: str) -> str:
    """The value of `--name=value` in a service's command (a list, or one shell line)."""
    command = " ".join(service.get("command") or [])
    found = re.search(rf"--{re.escape(name)}=(\S+)", command)
    assert found, f"--{name} is not in {command!r}"
    return found.group(1)


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname and parts.port, url
    return parts.hostname, parts.port


def test_the_file_is_valid_and_wires_govbot_to_each_service(stack: Path) -> None:
    services = config(stack)["services"]
    assert set(services) == SERVICES
    env = services["govbot"]["environment"]
    assert env["GOVBOT_GUARD"] == "opa"
    assert address(env["GOVBOT_OPA_URL"]) == ("opa", int(flag(services["opa"], "addr")
                                                         .rsplit(":", 1)[1]))
    assert address(env["GOVBOT_PROMETHEUS_URL"])[0] == "prometheus"
    database = urlsplit(env["GOVBOT_DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert database.scheme == "postgresql+psycopg"
    assert (database.hostname, database.username, database.password, database.path) == (
        "postgres", postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"])
    assert services["opa"]["environment"]["GOVBOT_OPA_TOKEN"] == env["GOVBOT_OPA_TOKEN"]
    assert services["alertmanager"]["environment"]["GOVBOT_ALERTMANAGER_TOKEN"] == \
        env["GOVBOT_ALERTMANAGER_TOKEN"] != ""
    assert services["shell"]["environment"] == env
    # data lives in named volumes, so that `docker-compose down` keeps it
    named = {volume.split(":")[0] for name in ("govbot", "postgres", "prometheus",
                                                "alertmanager")
             for volume in services[name]["volumes"] if not volume.startswith("/")}
    assert named == {"govbot", "postgres", "prometheus", "alertmanager"}


def test_env_example_defines_every_variable_the_file_interpolates() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    defined = {line.split("=", 1)[0] for line in example
               if "=" in line and not line.startswith("#")}
    assert used and used <= defined


def test_a_misspelt_key_is_rejected(stack: Path) -> None:
    compose = stack / "docker-compose.yml"
    text = compose.read_text(encoding="utf-8")
    compose.write_text(text.replace("    depends_on:", "    depend_on:", 1), encoding="utf-8")
    done = run(tool("docker-compose"), "-f", "docker-compose.yml", "config", cwd=stack)
    assert done.returncode != 0
    assert "depend_on" in done.stderr


def test_a_secret_missing_from_env_is_named(stack: Path) -> None:
    env = stack / ".env"
    lines = env.read_text(encoding="utf-8").splitlines()
    env.write_text("\n".join(line for line in lines if not line.startswith(
        "POSTGRES_PASSWORD=")) + "\n", encoding="utf-8")
    done = run(tool("docker-compose"), "-f", "docker-compose.yml", "config", cwd=stack)
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr


def test_prometheus_configuration_passes_promtool(stack: Path) -> None:
    services = config(stack)["services"]
    prometheus = services["prometheus"]
    path = mounted(prometheus, flag(prometheus, "config.file"))
    done = run(tool("promtool"), "check", "config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    targets = {job["job_name"]: target for job in loaded["scrape_configs"]
               for static in job.get("static_configs", []) for target in static["targets"]}
    command = services["govbot"]["command"]
    assert targets["govbot"] == f"govbot:{command[command.index('--port') + 1]}"
    alerting = loaded["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alerting == ["alertmanager:9093"]


def test_alertmanager_configuration_passes_amtool_and_reaches_alerts(stack: Path) -> None:
    alertmanager = config(stack)["services"]["alertmanager"]
    path = mounted(alertmanager, flag(alertmanager, "config.file"))
    done = run(tool("amtool"), "check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    receivers = {r["name"]: r for r in loaded["receivers"]}
    webhook = receivers[loaded["route"]["receiver"]]["webhook_configs"][0]
    assert urlsplit(webhook["url"])[1:3] == ("govbot:8080", "/alerts")
    authorization = webhook["http_config"]["authorization"]
    assert authorization.get("type", "Bearer") == "Bearer"
    # the file the entrypoint writes the token to is the one the receiver reads
    assert f"> {authorization['credentials_file']}" in " ".join(alertmanager["command"])


def test_govbot_down_is_not_sent_to_govbot(stack: Path) -> None:
    # a govbot that is down cannot post the alert saying so
    alertmanager = config(stack)["services"]["alertmanager"]
    path = mounted(alertmanager, flag(alertmanager, "config.file"))

    def receiver(alertname: str) -> str:
        done = run(tool("amtool"), "config", "routes", "test", f"--config.file={path}",
                   f"alertname={alertname}")
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert receiver("HighErrorRate") == loaded["route"]["receiver"]
    down = receiver("GovbotDown")
    (stub,) = [r for r in loaded["receivers"] if r["name"] == down]
    assert down != loaded["route"]["receiver"]
    assert "govbot:" not in str(stub)


def test_the_opa_server_admits_only_govbots_token(stack: Path) -> None:
    opa_bindings = pytest.importorskip("opa_bindings", reason="the embedded OPA engine "
                                       "is not installed (make install-test)")
    opa = config(stack)["services"]["opa"]
    policies = [arg for arg in opa["command"] if arg.endswith(".rego")]
    assert policies and "--authorization=basic" in opa["command"]
    engine = opa_bindings.OpaEngine()
    for policy in policies:
        engine.add_policy(policy, mounted(opa, policy).read_text(encoding="utf-8"))

    def allowed(token: str, path: list[str], identity: str | None) -> bool:
        runtime = json.dumps({"env": {"GOVBOT_OPA_TOKEN": token}})
        answer = engine.eval_query(f"x := data.system.authz.allow with opa.runtime as "
                                   f"{runtime}", {"path": path, "identity": identity})
        return bool(answer and answer[0]["x"])

    assert allowed("s3cret", ["v1", "policies", "govbot", "x"], "s3cret")
    assert allowed("s3cret", ["health"], None)
    assert not allowed("s3cret", ["v1", "data", "govbot", "decision"], "guess")
    assert not allowed("s3cret", ["v1", "data"], None)
    assert not allowed("", ["v1", "data"], "")


def test_govbot_accepts_the_settings_the_stack_gives_it(stack: Path) -> None:
    env = {name: str(value) for name, value in
           config(stack)["services"]["govbot"]["environment"].items()}
    settings = Settings.from_env(env)
    assert (settings.guard, settings.prometheus.url) == ("opa", "http://prometheus:9090")
    assert settings.alertmanager_token == env["GOVBOT_ALERTMANAGER_TOKEN"]
    known = settings_read(env)
    assert "GOVBOT_PROMETHEUS_URI" not in known  # a misspelling would be caught below
    assert govbot_names(env) - known == set()
