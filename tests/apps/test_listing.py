"""What /store shows, from the default catalog."""

from __future__ import annotations

from policies.apps.listing import details, overview
from tests.apps.catalogs import DEFAULT_APPS, default_catalog


def test_the_overview_lists_every_app_with_its_versions_and_modes() -> None:
    lines = overview(default_catalog())
    assert [line.split()[0] for line in lines] == sorted(DEFAULT_APPS)
    postgres = next(line for line in lines if line.startswith("postgresql "))
    assert postgres.startswith("postgresql 17.2, 16.6 (manifests, gitops) — ")


def test_details_give_each_parameters_default_and_bounds() -> None:
    lines = details(default_catalog()["mysql"])
    assert lines[0] == "mysql: versions 8.4.3, 8.0.40 (default 8.4.3); modes manifests"
    assert "storage: quantity, default 20Gi, 1Gi-1Ti" in lines
    assert "maxConnections: int, default 151, 10-5000" in lines
    assert lines[-1].startswith("secret: root-password (")
    assert not details(default_catalog()["nginx"])[-1].startswith("secret:")
