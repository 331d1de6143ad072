"""The app store from chat: /store, /deploy and /undeploy through the same gates as every
change — guarded, reviewed, merged and applied (directory and Kubernetes targets), with
the generated secret never written anywhere but the cluster."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.core.events import Event
from tests.conftest import SEEDER, Govbot
from tests.support.kube import KubeClusters

KUBERNETES = "1.37"
SECRETS = ("", "v1", "secrets")


def set_config(govbot: Govbot, path: list[str], value: Any) -> None:
    """Change main's govbot.yaml at `path`, as a reviewed pull request would."""
    repo = govbot.app.repo
    old = repo.head("main")
    config = yaml.safe_load(repo.read_many(old, ["govbot.yaml"])["govbot.yaml"] or "")
    place = config
    for key in path[:-1]:
        place = place.setdefault(key, {})
    place[path[-1]] = value
    text = yaml.safe_dump(config, sort_keys=False)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER, "configure"), old=old)


def text_of(events: list[Event]) -> str:
    return "\n".join(str(getattr(e, "text", "")) for e in events)


def deployed(govbot: Govbot, command: str, approvers: tuple[str, ...] = ("bob",)) -> str:
    opened = govbot.one(command)
    assert opened.ok and opened.change_id, opened.text
    reply = ""
    for person in approvers:
        reply = text_of(govbot.say(f"/approve {opened.change_id}", user=person))
    assert "merged" in reply, reply
    return reply


def nothing_written(govbot: Govbot, main: str) -> None:
    assert govbot.branches() == ["main"]
    assert govbot.main() == main
    assert govbot.app.store.changes(None) == []


def test_store_lists_the_apps_and_one_apps_bounds(govbot: Govbot) -> None:
    apps = govbot.one("/store")
    assert apps.ok and "redis 7.4.2" in apps.text and "mysql" in apps.text
    redis = govbot.one("应用商店 redis")
    assert "storage: quantity, default 8Gi, 1Gi-1Ti" in redis.text
    unknown = govbot.one("/store redsi")
    assert not unknown.ok and "did you mean redis?" in unknown.text


def test_deploy_redis_approved_is_rendered_valid_and_applied_to_the_directory(
        govbot: Govbot) -> None:
    reply = deployed(govbot, "/deploy redis from store")
    assert "StatefulSet redis" in reply
    document = yaml.safe_load(govbot.git("show", "main:apps/dev/demo/redis.yaml"))
    assert document["spec"]["app"] == "redis" and document["spec"]["secret"] == {"generate": True}
    files = sorted(govbot.rendered().glob("*.yaml"))
    assert [f.name for f in files] == ["configmap-redis-config.yaml",
                                       "service-redis-headless.yaml", "service-redis.yaml",
                                       "statefulset-redis.yaml"]
    for path in files:
        kubernetes_validate.validate(yaml.safe_load(path.read_text()), KUBERNETES, strict=True)
    status = govbot.one("/status redis")
    assert "redis 7.4.2" in status.text and "storage=8Gi" in status.text
    assert "requests: cpu 250m" in status.text


def test_show_gives_the_documents_diff_and_the_objects_it_changes(govbot: Govbot) -> None:
    deployed(govbot, "/deploy redis from store as cache version 7.2.7")
    opened = govbot.one("/deploy redis from store as cache")
    assert opened.ok and "updates redis 7.4.2 as cache" in opened.text
    shown = govbot.one(f"/show {opened.change_id}").text
    assert "-  version: 7.2.7" in shown and "+  version: 7.4.2" in shown
    assert "+++ b/apps/dev/demo/cache.yaml:StatefulSet/cache" in shown and "redis:7.4.2" in shown


def test_a_merged_catalog_change_renders_its_apps_again(govbot: Govbot) -> None:
    deployed(govbot, "/deploy redis from store as cache")
    repo = govbot.app.repo
    old = repo.head("main")
    entry = repo.read(old, "catalog/redis.yaml") or ""
    assert "docker.io/library/redis" in entry
    mirrored = entry.replace("docker.io/library/redis", "mirror.example.com/library/redis")
    repo.set_ref("main", repo.commit(old, {"catalog/redis.yaml": mirrored}, SEEDER,
                                     "mirror redis"), old=old)
    govbot.app.workflow.sweep()
    workload = yaml.safe_load((govbot.rendered() / "statefulset-cache.yaml").read_text())
    image = workload["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "mirror.example.com/library/redis:7.4.2"


def test_a_parameter_beyond_the_catalog_bound_writes_nothing(govbot: Govbot) -> None:
    main = govbot.main()
    refused = govbot.one("/deploy mysql from store set storage=2Ti")
    assert not refused.ok and "2Ti" in refused.text and "1Ti" in refused.text
    assert "set storage=1Ti" in refused.text  # the example holds the bound
    for text, said in (("/deploy mysql from store set storag=2Gi", "did you mean storage?"),
                       ("/deploy mysq from store", "did you mean mysql?"),
                       ("/deploy redis from store set memory=1Gi memory=2Gi", "twice")):
        answer = govbot.one(text)
        assert not answer.ok and said in answer.text, answer.text
    nothing_written(govbot, main)


def test_a_secret_is_never_taken_in_chat_nor_repeated(govbot: Govbot) -> None:
    main = govbot.main()
    for text in ("/deploy redis from store set password=hunter2-secret",
                 "/deploy redis from store set password=hunter2-secret password=hunter2-secret"):
        refused = govbot.one(text)
        assert not refused.ok and "hunter2-secret" not in refused.text, refused.text
    nothing_written(govbot, main)


def test_a_floating_tag_in_prod_is_denied_without_a_branch(govbot: Govbot) -> None:
    main = govbot.main()
    denied = govbot.one("/deploy redis from store version latest --env prod")
    assert not denied.ok and "latest" in denied.text and "7.4.2" in denied.text
    assert "floating tag" in denied.text, denied.text
    nothing_written(govbot, main)


def test_set_may_be_repeated(govbot: Govbot) -> None:
    opened = govbot.one("/deploy redis from store as cache set memory=1Gi set cpu=500m")
    assert opened.ok, opened.text
    document = govbot.app.repo.read(govbot.app.store.get(1).head_sha,
                                    "apps/dev/demo/cache.yaml") or ""
    assert "memory: 1Gi" in document and "cpu: 500m" in document, document


def test_a_deploy_beyond_the_namespace_quota_is_denied_with_the_numbers(govbot: Govbot) -> None:
    set_config(govbot, ["environments", "dev", "namespaces", "demo", "quota"],
               {"cpu": "1", "memory": "32Gi", "storage": "500Gi"})
    deployed(govbot, "/deploy redis from store as cache")  # 250m of 1
    main = govbot.main()
    denied = govbot.one("/deploy redis from store as sessions set cpu=1")
    assert not denied.ok
    assert "[apps.quota]" in denied.text and "1250m of its 1" in denied.text, denied.text
    assert govbot.branches() == ["main"] and govbot.main() == main
    assert len(govbot.app.store.changes(None)) == 1  # only the merged cache
    # near miss: what still fits is opened
    assert govbot.one("/deploy redis from store as sessions set cpu=750m").ok


def test_a_name_of_a_governed_service_is_taken(govbot: Govbot) -> None:
    govbot.seed("svc-user")
    denied = govbot.one("/deploy redis from store as svc-user")
    assert not denied.ok and "[apps.name_taken]" in denied.text


def test_undeploy_removes_the_app_and_purge_in_prod_needs_two_approvals(
        govbot: Govbot) -> None:
    set_config(govbot, ["environments", "prod", "approvals"], {"required": 1, "from": ["sre"]})
    deployed(govbot, "/deploy redis from store as cache --env prod")
    removal = govbot.one("/undeploy cache --env prod")
    assert removal.ok and "volumes are kept" in removal.text and "Needs 1 approval" in removal.text
    assert govbot.one(f"/reject {removal.change_id}", user="bob").ok
    purge = govbot.one("下线 cache purge --env prod")
    assert purge.ok and "Needs 2 approvals" in purge.text, purge.text
    first = text_of(govbot.say(f"/approve {purge.change_id}", user="bob"))
    assert "merged" not in first
    assert "merged" in text_of(govbot.say(f"/approve {purge.change_id}", user="carol"))
    tombstone = yaml.safe_load(govbot.git("show", "main:apps/prod/demo/cache.yaml"))
    assert tombstone["spec"] == {"app": "redis", "purge": True}
    assert list(govbot.rendered("prod").glob("*cache*")) == []
    gone = govbot.one("/undeploy cache --env prod")
    assert not gone.ok and "no app cache" in gone.text




def test_kubernetes_target_generates_the_secret_once_and_it_is_written_nowhere_else(
        kube_govbot: Govbot, clusters: KubeClusters, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    govbot, dev = kube_govbot, clusters.dev
    deployed(govbot, "/deploy redis from store as cache")
    secret = dev.get(*SECRETS, "demo", "cache-auth")
    assert secret is not None
    value = secret["stringData"]["password"]
    assert len(value) >= 24
    workload = dev.get("apps", "v1", "statefulsets", "demo", "cache")
    assert workload is not None
    kubernetes_validate.validate(workload, KUBERNETES, strict=True)
    # a second apply of the app (a new memory size) keeps the Secret as it was
    deployed(govbot, "/deploy redis from store as cache set memory=1Gi")
    assert dev.get(*SECRETS, "demo", "cache-auth") == secret
    posts = [s for s in dev.requests() if s.method == "POST" and s.path.endswith("/secrets")]
    assert len(posts) == 2  # asked twice, created once: the second was told 409
    assert_nowhere(govbot, value, caplog)
    # removing the app keeps its Secret and volume claims (the data)
    dev.seed({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
              "metadata": {"name": "data-cache-0", "namespace": "demo",
                           "labels": {"app.kubernetes.io/instance": "cache"}}},
             "persistentvolumeclaims")
    deployed(govbot, "/undeploy cache")
    assert dev.get("apps", "v1", "statefulsets", "demo", "cache") is None
    assert dev.get("", "v1", "persistentvolumeclaims", "demo", "data-cache-0") is not None
    assert dev.get(*SECRETS, "demo", "cache-auth") == secret


def test_purge_deletes_the_apps_volume_claims_and_no_other(kube_govbot: Govbot,
                                                          clusters: KubeClusters) -> None:
    govbot, dev = kube_govbot, clusters.dev
    deployed(govbot, "/deploy redis from store as cache")
    mine = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "cache"}
    for name, labels in (("data-cache-0", mine),
                         ("data-other-0", {**mine, "app.kubernetes.io/instance": "other"}),
                         ("unlabelled", {})):
        dev.seed({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                  "metadata": {"name": name, "namespace": "demo", "labels": labels}},
                 "persistentvolumeclaims")
    reply = deployed(govbot, "/undeploy cache purge")
    assert "PersistentVolumeClaim/data-cache-0" in reply, reply
    claims = {o["metadata"]["name"] for o in dev.objects("", "v1", "persistentvolumeclaims")}
    assert claims == {"data-other-0", "unlabelled"}


def assert_nowhere(govbot: Govbot, value: str, caplog: pytest.LogCaptureFixture) -> None:
    """The value is in no blob of the policy repository, no rendered file, no row of the
    store and no log record."""
    git = ["git", "--git-dir", str(govbot.home / "policy.git")]
    objects = subprocess.run([*git, "cat-file", "--batch-all-objects", "--batch"],
                             check=True, capture_output=True).stdout
    assert objects and value.encode() not in objects
    for path in govbot.home.rglob("*"):
        if path.is_file() and "policy.git" not in path.parts and path.suffix != ".db":
            assert value.encode() not in path.read_bytes(), path
    with sqlite3.connect(govbot.home / "govbot.db") as db:
        dump = "\n".join(db.iterdump())
    assert "INSERT INTO" in dump and value not in dump
    assert caplog.records and all(value not in r.getMessage() for r in caplog.records)
