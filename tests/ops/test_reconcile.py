"""Reconcile (`Workflow.reconcile`): a merge left unapplied is applied once, and with a
cluster to read, drift is told to the namespace's channels once per distinct drift."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.events import Answer, ChangeMerged, EventsReported
from tests.conftest import Govbot
from tests.support.kube import KubeClusters

VS = ("networking.istio.io", "v1", "virtualservices")


def merge(govbot: Govbot, text: str) -> None:
    opened = govbot.one(text)
    assert opened.ok and opened.change_id, opened.text
    events = govbot.say(f"/approve {opened.change_id}", user="bob")
    assert any(isinstance(e, ChangeMerged) and e.ok for e in events), events


def weights(path: Path) -> list[int]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [r["weight"] for r in document["spec"]["http"][-1]["route"]]


def test_a_merge_left_unapplied_is_applied_once(govbot: Govbot) -> None:
    govbot.seed("svc-user")
    merge(govbot, "/canary svc-user 20%")
    assert govbot.app.workflow.reconcile() == []  # nothing new: nothing done

    # what a stop between the merge and its apply leaves: the target's marker still at
    # the commit before the merge, the merged objects never written
    store = govbot.app.store
    before_merge = govbot.git("rev-parse", "main^1").strip()
    assert store.set_applied("directory", before_merge, old=govbot.main())
    written = govbot.rendered() / "virtualservice-svc-user.yaml"
    written.unlink()

    events = govbot.app.workflow.reconcile()
    assert [type(e) for e in events] == [Answer]
    assert events[0].text.startswith("applied: ") and "svc-user" in events[0].text
    assert weights(written) == [80, 20]
    assert store.applied("directory") == govbot.main()
    assert govbot.app.workflow.reconcile() == []




def test_drift_is_told_once_per_distinct_drift(kube_govbot: Govbot,
                                               clusters: KubeClusters) -> None:
    govbot = kube_govbot
    merge(govbot, "/canary svc-user 20%")
    assert govbot.app.workflow.reconcile() == []
    original = clusters.dev.get(*VS, "demo", "svc-user")
    assert original is not None

    def edit(first: int, second: int) -> None:  # someone runs `kubectl edit`
        edited = clusters.dev.get(*VS, "demo", "svc-user")
        assert edited is not None
        for route, weight in zip(edited["spec"]["http"][-1]["route"], (first, second),
                                 strict=True):
            route["weight"] = weight
        clusters.dev.seed(edited)

    edit(50, 50)
    events = govbot.app.workflow.reconcile()
    assert all(isinstance(e, EventsReported) for e in events), events
    reported = [e for e in events if isinstance(e, EventsReported)]
    assert [(e.platform, e.channel, e.severity) for e in reported] == [
        ("console", "*", "warning")]
    assert reported[0].key.startswith("drift:dev/demo/svc-user:")
    assert reported[0].text.splitlines() == [
        "drift: svc-user in dev/demo: 2 differences from main; /sync svc-user applies main "
        "again",
        "  VirtualService/svc-user .spec.http[0].route[0].weight: live 50, main 80",
        "  VirtualService/svc-user .spec.http[0].route[1].weight: live 50, main 20"]
    assert govbot.app.workflow.reconcile() == []  # the same drift: told already

    edit(60, 40)  # other drift: news
    again = govbot.app.workflow.reconcile()
    assert len(again) == 1 and isinstance(again[0], EventsReported)
    assert "live 60, main 80" in again[0].text and again[0].key != reported[0].key

    clusters.dev.seed(original)  # drift gone: nothing is said
    assert govbot.app.workflow.reconcile() == []
    edit(50, 50)  # and when it comes back, it is told again
    back = govbot.app.workflow.reconcile()
    assert [e.key for e in back if isinstance(e, EventsReported)] == [reported[0].key]
