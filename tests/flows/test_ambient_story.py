"""A namespace in ambient mode, end to end through the console on the embedded default:
a canary renders as an HTTPRoute over one Service per version; what the mode cannot carry
(faults, rate limits, retries on Gateway API's standard channel) is refused at the command
with the reason and the alternatives, and nothing is written; /policies says so first.

govbot.yaml on main puts dev/demo (the console's namespace) in ambient mode, as a
reviewed change would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.types import Author
from tests.conftest import Govbot
from tests.support.schemas import require_schemas, validate_object

SEEDER = Author("Platform Team", "platform@example.com")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _configure(govbot: Govbot, **top: Any) -> None:
    """dev/demo in ambient mode, with `top` laid over govbot.yaml's top level."""
    repo = govbot.app.repo
    config = yaml.safe_load(repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"]["namespaces"]["demo"]["mesh"] = "ambient"
    config.update(top)
    old = repo.head("main")
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER, "dev/demo: ambient"),
                 old=old)


@pytest.fixture
def ambient(govbot: Govbot) -> Govbot:
    _configure(govbot)
    govbot.seed("svc-user")
    return govbot


def _refused_and_nothing_written(govbot: Govbot, command: str, section: str,
                                 *why: str) -> str:
    main = govbot.main()
    reply = govbot.one(command)
    assert not reply.ok, reply.text
    assert reply.text.count("[mesh.unsupported]") == 1, reply.text
    assert f"spec.{section}:" in reply.text, reply.text
    # whichever layer refuses first (rendering, else the guard) names the mode and where
    assert "ambient mode" in reply.text and "dev/demo" in reply.text, reply.text
    for words in why:
        assert words in reply.text, (words, reply.text)
    assert "Traceback" not in reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.app.store.changes(None, None, None) == []
    return reply.text


def test_a_canary_renders_an_httproute_over_version_services(ambient: Govbot) -> None:
    opened = ambient.one("/canary svc-user 20%")
    assert opened.ok and "change #1 opened" in opened.text, opened.text
    merged = ambient.one("/approve 1", user="bob")
    assert merged.ok and "merged" in merged.text, merged.text

    folder = ambient.rendered()
    names = sorted(p.name for p in folder.glob("*.yaml"))
    assert not [n for n in names if n.startswith("virtualservice-")], names
    route = _load(folder / "httproute-svc-user.yaml")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert {"group": "", "kind": "Service", "name": "svc-user"}.items() <= \
        route["spec"]["parentRefs"][0].items()
    backends = {b["name"]: b["weight"] for b in route["spec"]["rules"][-1]["backendRefs"]}
    assert backends == {"svc-user-v1": 80, "svc-user-v2": 20}
    for version in ("v1", "v2"):
        service = _load(folder / f"service-svc-user-{version}.yaml")
        assert service["kind"] == "Service"
        assert service["spec"]["selector"] == {"app": "svc-user", "version": version}
    require_schemas()
    for path in folder.glob("*.yaml"):
        assert validate_object(_load(path)) == [], path


def test_a_fault_is_refused_with_the_reason_and_nothing_is_written(ambient: Govbot) -> None:
    _refused_and_nothing_written(
        ambient, "/fault svc-user abort 503 10% for 10m", "fault",
        "no ambient-supported API", "sidecar namespace", "faultInjection: alpha")


def test_a_rate_limit_is_refused_with_the_reason_and_nothing_is_written(
        ambient: Govbot) -> None:
    _refused_and_nothing_written(
        ambient, "/ratelimit svc-user 100/1s", "rateLimit",
        "waypoints ignore silently", "ingress gateway")


def test_retries_need_the_experimental_channel(ambient: Govbot) -> None:
    _refused_and_nothing_written(
        ambient, "/timeout svc-user 2s retries 3", "retries",
        "experimental channel", "gatewayApi: {channel: experimental}")

    _configure(ambient, gatewayApi={"channel": "experimental"})
    opened = ambient.one("/timeout svc-user 2s retries 3")
    assert opened.ok and "change #1 opened" in opened.text, opened.text
    assert ambient.branches() == ["change/1-svc-user", "main"]


def test_a_timeout_alone_is_carried_on_the_standard_channel(ambient: Govbot) -> None:
    opened = ambient.one("/timeout svc-user 2s")
    assert opened.ok and "change #1 opened" in opened.text, opened.text


def test_policies_says_the_mode_and_what_it_cannot_carry(ambient: Govbot) -> None:
    listing = ambient.one("/policies").text
    head = listing.split("\n")[0]
    assert head == "services in dev/demo (mesh: ambient, Gateway API standard channel):"
    assert "fault: not available in ambient mode: fault injection has no " \
        "ambient-supported API" in listing
    assert "ratelimit: not available in ambient mode:" in listing
    assert "retries: not available in ambient mode:" in listing
    assert listing.index("not available") < listing.index("svc-user  ")


def test_policies_in_a_sidecar_namespace_lists_nothing_unavailable(govbot: Govbot) -> None:
    govbot.seed("svc-user")
    listing = govbot.one("/policies").text
    assert listing.split("\n")[0] == "services in dev/demo (mesh: sidecar):"
    assert "not available" not in listing


def test_help_of_fault_and_ratelimit_is_unchanged(ambient: Govbot) -> None:
    for command in ("fault", "ratelimit"):
        assert "ambient" not in ambient.one(f"/help {command}").text
