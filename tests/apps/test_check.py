"""`govbot check` on a policy repository checks its catalog and its AppDeployments too."""

from __future__ import annotations

from pathlib import Path

from bot.check import check_repository
from bot.scaffold import init_repository
from policies.apps import deployment
from policies.apps.check import problems
from tests.apps.catalogs import default_catalog, texts


def test_the_template_repository_with_an_app_is_clean(tmp_path: Path) -> None:
    init_repository(tmp_path / "repo")
    assert sorted(p.name for p in (tmp_path / "repo" / "catalog").glob("*.yaml")) == \
        sorted(p.removeprefix("catalog/") for p in texts())
    app = tmp_path / "repo" / "apps" / "prod" / "demo" / "cache.yaml"
    app.parent.mkdir(parents=True)
    app.write_text(deployment.build(default_catalog()["redis"], "prod", "demo", "cache"))
    assert [p for p in check_repository(tmp_path / "repo").problems
            if p.startswith(("catalog/", "apps/"))] == []


def test_a_bad_entry_and_a_document_beyond_the_bounds_are_named(tmp_path: Path) -> None:
    init_repository(tmp_path / "repo")
    root = tmp_path / "repo"
    redis = root / "catalog" / "redis.yaml"
    redis.write_text(redis.read_text().replace("max: 16Gi", "max: 16Gx"))
    mysql = deployment.build(default_catalog()["mysql"], "prod", "demo", "db")
    app = root / "apps" / "prod" / "demo" / "db.yaml"
    app.parent.mkdir(parents=True)
    app.write_text(mysql.replace("storage: 20Gi", "storage: 2Ti"))
    found = [p for p in check_repository(root).problems if p.startswith(("catalog/", "apps/"))]
    assert found == [
        "catalog/redis.yaml: parameters.memory.max: '16Gx' is not a quantity like 500m, 2, "
        "512Mi or 1.5Gi",
        "apps/prod/demo/db.yaml: spec.parameters.storage: '2Ti' is above the maximum 1Ti"]


def test_an_entry_off_its_path_and_a_document_of_an_app_not_in_the_catalog() -> None:
    text = deployment.build(default_catalog()["redis"], "prod", "demo", "cache")
    assert problems({**texts(), "catalog/extra/redis.yaml": texts()["catalog/redis.yaml"],
                     "apps/prod/demo/cache.yaml": text.replace("app: redis", "app: redis2")}) \
        == ["catalog/extra/redis.yaml: not at catalog/<app>.yaml",
            "apps/prod/demo/cache.yaml: spec.app: 'redis2' is not in the catalog; did you mean "
            "redis? (apps: elasticsearch, influxdb, mongodb, mysql, nginx, postgresql, "
            "rabbitmq, redis, tomcat)"]
