"""`govbot slack-manifest`: generated from the command registry."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from bot.chat.slack.manifest import RESERVED, manifest
from bot.cli import main
from commands import REGISTRY


def test_the_manifest_lists_every_registered_command() -> None:
    result = CliRunner().invoke(main, ["slack-manifest", "--url", "https://gb.example.org/"])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.output)
    commands = document["features"]["slash_commands"]
    listed = [c["command"] for c in commands]
    assert listed[-1] == "/govbot"
    assert listed[:-1] == [f"/{spec.name}" for spec in REGISTRY if spec.name not in RESERVED]
    # Slack refuses a manifest naming one of its built-ins; /govbot reaches those
    assert "/status" not in listed and "status" in RESERVED
    assert {c["url"] for c in commands} == {"https://gb.example.org/slack/events"}
    assert document["settings"]["interactivity"] == {
        "is_enabled": True, "request_url": "https://gb.example.org/slack/events"}
    assert document["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert {"commands", "chat:write", "app_mentions:read"} <= \
        set(document["oauth_config"]["scopes"]["bot"])


def test_socket_mode_manifest_needs_no_url() -> None:
    result = CliRunner().invoke(main, ["slack-manifest", "--socket-mode", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in json.dumps(document) and '"url"' not in json.dumps(document)
    assert document == manifest(REGISTRY, socket_mode=True)
