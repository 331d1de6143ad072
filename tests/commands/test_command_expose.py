"""/expose and /unexpose: the grammar, and a specific answer to each usual mistake."""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from policies.intents import Expose, Unexpose


@pytest.mark.parametrize(("text", "intent"), [
    ("/expose svc-user host user.example.com", Expose("svc-user", ("user.example.com",))),
    ("expose svc-user HOST a.example.com b.example.com,c.example.com",
     Expose("svc-user", ("a.example.com", "b.example.com", "c.example.com"))),
    ("/expose svc-user host *.example.com gateway istio-system/public",
     Expose("svc-user", ("*.example.com",), "istio-system/public")),
    ("/expose svc-user host a.example.com --env prod gateway edge/gw-1",
     Expose("svc-user", ("a.example.com",), "edge/gw-1")),
    ("/unexpose svc-user", Unexpose("svc-user")),
])
def test_good_commands_give_their_intent(text: str, intent: object) -> None:
    assert commands.parse(text).intent == intent


@pytest.mark.parametrize(("text", "expected"), [
    ("/expose svc-user host https://user.example.com/", "'https://user.example.com/' is a URL"),
    ("/expose svc-user host user.example.com:443", "has a port"),
    ("/expose svc-user host user.example.com gateway public",
     "'public' has no namespace: a gateway is <namespace>/<name>"),
    ("/expose svc-user user.example.com",
     "write host before the host name, like /expose svc-user host user.example.com"),
    ("/expose svc-user https://user.example.com/",
     "write host before the host name, like /expose svc-user host user.example.com"),
    ("/expose svc-user gateway istio-system/public", "host <h> comes before gateway"),
    ("/expose svc-user", "missing host <h>"),
    ("/expose svc-user host", "missing the host name after host"),
    ("/expose svc-user host a.example.com gateway", "missing <namespace>/<name> after gateway"),
    ("/expose svc-user host a.example.com gateway a/b c", 'unexpected "c"'),
    ("/expose svc-user host User.example.com", "lowercase, like user.example.com"),
    ("/expose svc-user host svc-user.demo.svc.cluster.local", "inside the mesh"),
    ("/expose Svc host a.example.com", "is not a service name"),
    ("/unexpose svc-user now", 'unexpected "now"'),
    ("/unexpose", "missing the service name"),
])
def test_each_mistake_gets_its_own_answer(text: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    answer = str(caught.value)
    assert expected in answer, answer
    assert "usage: /" in answer and "example: /" in answer
