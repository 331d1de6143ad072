"""Synthetic policy repositories for the benchmark: the default template with `services`
governed services, in one namespace or spread over `namespaces`, optionally each with a
canary release so that rendering writes objects.

Namespaces are `demo` (the template's own) then `ns-001`, `ns-002`, …; services are
`svc-00000`, `svc-00001`, … dealt round-robin over them. govbot.yaml gains the extra
namespaces in every environment, and the `team` group may request in all of them.

Example:
    layout = generate(home / "policy.git", services=10_000, namespaces=100)
    layout.services[0]        # ("demo", "svc-00000")
    layout.command(0, "/canary {svc} 20%")   # "/canary svc-00000 20% --ns demo"
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from bot import resources
from bot.core.types import Author
from bot.repo.git import PolicyRepo
from policies.document import new_document, service_path

SEEDER = Author("bench", "bench@localhost")
RELEASE = "  release:\n    strategy: canary\n    canaryWeight: 10\n"


@dataclass(frozen=True)
class Layout:
    """What a generated repository holds: its environment and (namespace, service) pairs."""

    env: str
    services: tuple[tuple[str, str], ...]

    def command(self, index: int, template: str) -> str:
        """`template` with `{svc}` filled for the index-th service (wrapping), and the
        service's namespace named with `--ns` (the channel's default may be another)."""
        namespace, service = self.services[index % len(self.services)]
        return f"{template.format(svc=service)} --env {self.env} --ns {namespace}"


def namespace_names(count: int) -> list[str]:
    return ["demo", *(f"ns-{n:03d}" for n in range(1, count))]


def config_text(template: str, namespaces: list[str]) -> str:
    """govbot.yaml of the template with `namespaces` in every environment and the team's
    request grant widened to all namespaces."""
    yaml = YAML()
    data = yaml.load(template)
    for env in data["environments"].values():
        known = env["namespaces"]
        for name in namespaces:
            if name not in known:
                known[name] = {"maxReplicas": 20}
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def access_text(template: str) -> str:
    yaml = YAML()
    data = yaml.load(template)
    for grant in data.get("grants", []):
        grant["namespaces"] = ["*"]
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def generate(repo: Path, services: int, namespaces: int = 1, env: str = "dev",
             releases: bool = False) -> Layout:
    """Create the bare repository `repo` whose main holds the synthetic services."""
    files = resources.template_files()
    names = namespace_names(namespaces)
    files["govbot.yaml"] = config_text(files["govbot.yaml"], names)
    # the grants live in govbot.yaml in the template; access.yaml may hold them instead
    for name in ("govbot.yaml", "access.yaml"):
        if name in files and "grants:" in files[name]:
            files[name] = access_text(files[name])
    pairs = tuple((names[i % len(names)], f"svc-{i:05d}") for i in range(services))
    for namespace, service in pairs:
        text = new_document(env, namespace, service)
        files[service_path(env, namespace, service)] = text + (RELEASE if releases else "")
    PolicyRepo.init(repo, files, SEEDER, f"bench: {services} services over "
                                         f"{len(names)} namespaces")
    return Layout(env, pairs)
