"""The rendered diff of a govbot.yaml change: every service whose objects it alters,
before with the base's govbot.yaml and after with the head's, cut on a big namespace."""

from __future__ import annotations

import yaml

from bot.runners.views import DIFF_SERVICES, rendered_diff
from policies.document import new_document, service_path
from tests.conftest import SEEDER, Govbot

BREAKER = ("  circuitBreaker:\n    enabled: true\n    consecutive5xxErrors: 5\n"
           "    interval: 30s\n    baseEjectionTime: 30s\n")


def _seed_breakers(govbot: Govbot, count: int) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    documents: dict[str, str | None] = {
        service_path("dev", "demo", f"svc-{n:02}"): new_document("dev", "demo", f"svc-{n:02}")
        + BREAKER for n in range(count)}
    repo.set_ref("main", repo.commit(old, documents, SEEDER, "seed"), old=old)


def _head_with(govbot: Govbot, **settings: object) -> str:
    """A commit on top of main whose govbot.yaml has these top-level settings."""
    repo = govbot.app.repo
    main = repo.head("main")
    config = yaml.safe_load(repo.read(main, "govbot.yaml") or "")
    config.update(settings)
    return repo.commit(main, {"govbot.yaml": yaml.safe_dump(config, sort_keys=False)},
                       SEEDER, "change govbot.yaml")


def test_a_cluster_domain_change_shows_each_services_objects_and_counts_the_rest(
        govbot: Govbot) -> None:
    _seed_breakers(govbot, DIFF_SERVICES + 2)
    head = _head_with(govbot, clusterDomain="corp.example")
    diff = rendered_diff(govbot.app.workflow.context, govbot.main(), head, "govbot.yaml")

    named = [line.removeprefix("--- a/") for line in diff.splitlines()
             if line.startswith("--- a/")]
    assert named == [f"services/dev/demo/svc-{n:02}.yaml:DestinationRule/svc-{n:02}"
                     for n in range(DIFF_SERVICES)]
    assert "-  host: svc-00.demo.svc.cluster.local" in diff
    assert "+  host: svc-00.demo.svc.corp.example" in diff
    assert diff.rstrip().endswith("... and 2 more services change with it "
                                  "(not shown)")


def test_a_change_that_renders_nothing_differently_has_no_rendered_diff(
        govbot: Govbot) -> None:
    _seed_breakers(govbot, 1)
    head = _head_with(govbot, merge="forge")
    assert rendered_diff(govbot.app.workflow.context, govbot.main(), head,
                         "govbot.yaml") == ""
