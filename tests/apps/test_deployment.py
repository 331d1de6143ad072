"""AppDeployment documents: what `build` writes and refuses, and hand-written ones checked."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.errors import UsageError
from policies.apps import deployment
from policies.document import plain
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, document


def build(app: str, *pairs: tuple[str, str], **options: Any) -> dict[str, Any]:
    return document(app, pairs=pairs, **options)[0]


def refusal(app: str, *pairs: tuple[str, str], **options: Any) -> UsageError:
    with pytest.raises(UsageError) as refused:
        build(app, *pairs, **options)
    return refused.value


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_a_built_document_holds_every_parameter_and_validates(app: str) -> None:
    entry = default_catalog()[app]
    data, path = document(app, name="main")
    assert path == "apps/prod/demo/main.yaml"
    assert data["metadata"] == {"name": "main", "namespace": "demo", "env": "prod"}
    assert data["spec"]["app"] == app
    assert data["spec"]["version"] == entry.versions[0].tag  # a text, even "17.2"
    assert data["spec"]["parameters"] == {n: p.default for n, p in entry.parameters.items()}
    assert ("secret" in data["spec"]) == bool(entry.secret_keys)
    assert deployment.validate(data, path, default_catalog()) == []


def test_set_pairs_are_read_by_their_type() -> None:
    spec = build("mysql", ("storage", "500Gi"), ("maxConnections", "800"),
                 ("database", "orders"), version="8.0.40")["spec"]
    assert spec["version"] == "8.0.40"
    assert spec["parameters"]["storage"] == "500Gi"
    assert spec["parameters"]["maxConnections"] == 800
    assert spec["parameters"]["database"] == "orders"
    assert build("nginx", ("replicas", "5"))["spec"]["parameters"]["replicas"] == 5
    assert build("redis", ("maxmemoryPolicy", "allkeys-lru"))["spec"]["parameters"][
        "maxmemoryPolicy"] == "allkeys-lru"


def test_a_value_above_the_bound_names_the_bound_and_gives_a_value_that_fits() -> None:
    error = refusal("mysql", ("storage", "2Ti"))
    assert error.problem == "storage=2Ti is above the catalog's maximum 1Ti for mysql"
    assert error.example == "set storage=1Ti"
    assert build("mysql", ("storage", "1Ti"))["spec"]["parameters"]["storage"] == "1Ti"


def test_a_value_below_the_bound_names_the_minimum() -> None:
    error = refusal("redis", ("memory", "100Mi"))
    assert error.problem == "memory=100Mi is below the catalog's minimum 256Mi for redis"
    assert error.example == "set memory=256Mi"
    assert refusal("nginx", ("replicas", "6")).problem == \
        "replicas=6 is above the catalog's maximum 5 for nginx"


@pytest.mark.parametrize(("pair", "problem"), [
    (("replicas", "two"), "replicas=two is not a whole number for nginx"),
    (("memory", "16Gx"), "memory=16Gx is not a quantity like 500m, 2, 512Mi or 1.5Gi for nginx"),
])
def test_a_value_of_the_wrong_type_says_what_was_expected(pair: tuple[str, str],
                                                         problem: str) -> None:
    error = refusal("nginx", pair)
    assert error.problem == problem
    assert "example: set" in str(error)


def test_an_enum_lists_its_values() -> None:
    error = refusal("redis", ("maxmemoryPolicy", "random"))
    assert error.problem.startswith("maxmemoryPolicy=random is not one of noeviction, ")


def test_an_unknown_parameter_suggests_the_nearest() -> None:
    error = refusal("mysql", ("storag", "10Gi"))
    assert error.problem.startswith("mysql has no parameter 'storag'; did you mean storage? ")
    assert "parameters: cpu, memory, storage, database, maxConnections" in error.problem
    assert "did you mean" not in refusal("mysql", ("colour", "red")).problem


def test_an_unknown_version_lists_the_catalogs() -> None:
    error = refusal("redis", version="7.0.0")
    assert error.problem == "redis has no version '7.0.0' in the catalog; versions: 7.4.2, 7.2.7"
    assert error.example == "/deploy redis from store version 7.4.2"


def test_a_floating_tag_is_named_as_one_with_the_pinned_versions() -> None:
    error = refusal("redis", version="latest")
    assert error.problem.startswith("'latest' is a floating tag")
    assert error.problem.endswith("pins for redis: 7.4.2, 7.2.7")


def test_a_parameter_set_twice_is_refused() -> None:
    assert refusal("redis", ("memory", "1Gi"), ("memory", "2Gi")).problem == "memory is set twice"


def test_a_mode_the_entry_does_not_offer_is_refused() -> None:
    assert refusal("redis", mode="gitops").problem == \
        "redis is not offered in gitops mode; modes: manifests"
    assert build("postgresql", mode="gitops")["spec"]["mode"] == "gitops"


def test_a_bad_name_is_refused() -> None:
    assert "is not a DNS-1123 label" in refusal("redis", name="Cache").problem
    assert "is not a DNS-1123 label" in refusal("redis", name="c" * 41).problem


def test_the_secret_reference_takes_one_of_three_forms() -> None:
    assert build("redis")["spec"]["secret"] == {"generate": True}
    assert build("redis", secret=deployment.existing_secret("team-redis"))["spec"][
        "secret"] == {"existingSecret": "team-redis"}
    assert build("redis", secret=deployment.external_secret("vault", "prod/redis"))["spec"][
        "secret"] == {"externalSecret": {"store": "vault", "key": "prod/redis"}}
    assert "secret" not in build("nginx", secret=deployment.existing_secret("x"))["spec"]


def test_the_document_text_reads_back_as_it_was_built() -> None:
    entry = default_catalog()["postgresql"]
    text = deployment.build(entry, "dev", "demo", "db", pairs=[("database", "yes")])
    data = plain(text)
    assert data["spec"]["version"] == "17.2"
    assert data["spec"]["parameters"]["database"] == "yes"
    assert text.startswith("# postgresql from the app store as db in dev/demo.\n")


def valid(app: str = "redis") -> tuple[dict[str, Any], str]:
    return document(app, name="cache")


def problems(data: Any, path: str) -> list[str]:
    return [p.removeprefix(f"{path}: ") for p in deployment.validate(data, path, default_catalog())]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["spec"].update(app="rediss"),
     "spec.app: 'rediss' is not in the catalog; did you mean redis? (apps: elasticsearch, "
     "influxdb, mongodb, mysql, nginx, postgresql, rabbitmq, redis, tomcat)"),
    (lambda d: d["spec"].update(version="7.0.0"),
     "spec.version: '7.0.0' is not a version of redis; versions: 7.4.2, 7.2.7"),
    (lambda d: d["spec"].update(version=7.4),
     "spec.version: 7.4 is not a version of redis; versions: 7.4.2, 7.2.7"),
    (lambda d: d["spec"]["parameters"].update(storage="2Ti"),
     "spec.parameters.storage: '2Ti' is above the maximum 1Ti"),
    (lambda d: d["spec"]["parameters"].update(memory=512),
     "spec.parameters.memory: 512 is below the minimum 256Mi"),
    (lambda d: d["spec"]["parameters"].update({"maxmemory-policy": "allkeys-lru"}),
     "spec.parameters.maxmemory-policy: redis has no parameter 'maxmemory-policy'; did you mean "
     "maxmemoryPolicy? (parameters: cpu, memory, storage, maxmemoryPolicy)"),
    (lambda d: d["spec"].update(mode="gitops"),
     "spec.mode: 'gitops' is not offered by redis; modes: manifests"),
    (lambda d: d["spec"].pop("secret"),
     "spec.secret: required, a reference like {generate: true}, {existingSecret: <name>} or "
     "{externalSecret: {store: <store>, key: <path>}}"),
    (lambda d: d["spec"].update(secret={"generate": "yes"}),
     "spec.secret.generate: only true (the Kubernetes target generates it)"),
    (lambda d: d["spec"].update(secret={"existingSecret": "Team_Secret"}),
     "spec.secret.existingSecret: not the name of a Secret (a DNS-1123 label)"),
    (lambda d: d["spec"].update(secret={"externalSecret": {"store": "vault"}}),
     "spec.secret.externalSecret: not {store: <ClusterSecretStore>, key: <path>}"),
    (lambda d: d["metadata"].update(namespace="shop"),
     "metadata.namespace: 'shop' disagrees with the path apps/prod/demo/cache.yaml, which "
     "says 'demo'; the path decides"),
    (lambda d: d.update(kind="ServicePolicy"), "kind: 'ServicePolicy' is not AppDeployment"),
    (lambda d: d["spec"].update(replicas=3),
     "spec.replicas: unknown field; known fields: app, version, mode, parameters, secret"),
])
def test_a_hand_written_document_is_checked_field_by_field(change: Any, expected: str) -> None:
    data, path = valid()
    change(data)
    assert problems(data, path) == [expected]


def test_a_document_path_must_be_apps_env_namespace_name() -> None:
    data, _ = valid()
    assert problems(data, "services/prod/demo/cache.yaml")[0].startswith(
        "path: 'services/prod/demo/cache.yaml' is not apps/<env>/<namespace>/<name>.yaml")


def test_a_document_of_an_app_without_secret_may_not_name_one() -> None:
    data, path = document("nginx", name="web")
    data["spec"]["secret"] = {"generate": True}
    assert problems(data, path) == ["spec.secret: nginx reads no secret"]


def test_resolve_fills_what_a_hand_written_document_leaves_out() -> None:
    data, _ = valid()
    data["spec"]["parameters"] = {"memory": "2Gi"}
    assert deployment.resolve(default_catalog()["redis"], data) == {
        "cpu": "250m", "memory": "2Gi", "storage": "8Gi", "maxmemoryPolicy": "noeviction"}
