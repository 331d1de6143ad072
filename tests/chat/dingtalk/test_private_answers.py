"""A private answer (the /dashboard link) goes only to a one-to-one chat: in a group,
DingTalk cannot show a message to one member, so the group is told to ask directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat.dingtalk.surface import PRIVATE_IN_GROUP
from tests.chat.dingtalk.fakes import ALICE, robot_frame
from tests.chat.dingtalk.test_stream_story import FAR_FUTURE_MS, Rig, _rig
from tests.web.conftest import dashboard_of


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from _rig(tmp_path, "", dashboard_of(tmp_path / "home").bot)


def test_a_dashboard_link_is_not_posted_in_a_group(rig: Rig) -> None:
    rig.gateway.send(robot_frame("m-1", "msg-1", " @govbot /dashboard", ALICE,
                                 rig.webhook("group"), FAR_FUTURE_MS))
    rig.server.wait("/session/group", 1)
    said = rig.said("group")
    assert said == [PRIVATE_IN_GROUP] and "token=" not in said[0]


def test_a_dashboard_link_is_given_in_a_one_to_one_chat(rig: Rig) -> None:
    rig.gateway.send(robot_frame("m-2", "msg-2", "/dashboard", ALICE, rig.webhook("direct"),
                                 FAR_FUTURE_MS, conversation_type="1"))
    rig.server.wait("/session/direct", 1)
    assert "/ui/login?token=" in rig.said("direct")[0]
