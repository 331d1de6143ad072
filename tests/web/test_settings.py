"""The dashboard's settings: what is refused, and the signing key replicas share."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.settings import Settings
from tests.web.conftest import dashboard_of


@pytest.mark.parametrize(("name", "value", "said"), [
    ("GOVBOT_PUBLIC_URL", "govbot.example.com", "use an http(s) URL"),
    ("GOVBOT_DASHBOARD_TRUSTED_PROXIES", "10.0.0.0/8,proxy", "'proxy' is not an address"),
    ("GOVBOT_DASHBOARD_LINK_TTL", "soon", "use a duration above 0"),
    ("GOVBOT_PUBLIC_URL", "https://example.com/govbot", "give the host only, without a path"),
    ("GOVBOT_PUBLIC_URL", "https://example.com/?x=1", "give the host only"),
    ("GOVBOT_PUBLIC_URL", "https:///ui", "use an http(s) URL such as"),
    ("GOVBOT_DASHBOARD_TRUSTED_HEADER", "X-Auth-Request-Email", "set both or neither"),
    ("GOVBOT_DASHBOARD_TRUSTED_PROXIES", "10.0.0.0/8", "set both or neither"),
])
def test_bad_dashboard_settings_are_refused(tmp_path: Path, name: str, value: str,
                                            said: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        Settings.from_env({"GOVBOT_HOME": str(tmp_path), name: value})


def test_a_host_with_a_port_and_a_trailing_slash_is_a_public_url(tmp_path: Path) -> None:
    settings = Settings.from_env({"GOVBOT_HOME": str(tmp_path),
                                  "GOVBOT_PUBLIC_URL": "https://govbot.example.com:8443/"})
    assert settings.dashboard.public_url == "https://govbot.example.com:8443"


def test_the_link_lifetime_defaults_to_twelve_hours(tmp_path: Path) -> None:
    assert Settings.from_env({"GOVBOT_HOME": str(tmp_path)}).dashboard.link_ttl_seconds \
        == 12 * 3600


def test_without_a_secret_every_start_on_the_store_signs_with_one_key(tmp_path: Path) -> None:
    first = dashboard_of(tmp_path / "home")
    link = first.link()
    first.bot.app.close()
    again = dashboard_of(tmp_path / "home")  # a restart, or a second replica
    try:
        assert again.get(link).status == 303
    finally:
        again.bot.app.close()


def test_a_configured_secret_signs_the_links(tmp_path: Path) -> None:
    one = dashboard_of(tmp_path / "one", {"GOVBOT_DASHBOARD_SECRET": "s3cret-value"})
    other = dashboard_of(tmp_path / "other", {"GOVBOT_DASHBOARD_SECRET": "another-value"})
    try:
        assert one.bot.app.workflow.context.links.key == b"s3cret-value"
        assert other.get(one.link()).status == 403
        assert "s3cret-value" in one.bot.app.settings.secrets()
    finally:
        one.bot.app.close()
        other.bot.app.close()
