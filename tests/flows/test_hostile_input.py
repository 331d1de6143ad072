"""Hostile input through the whole dispatcher: always a reply, never an exception, and
nothing written for text that does not parse."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_govbot

NASTY = st.sampled_from([
    "/canary ../../etc/passwd 20%", "/canary svc-user 20%; rm -rf /", "/canary $(reboot) 5%",
    "/ratelimit svc-user 500/5s header user=`id`", "/canary svc-user\x00 20%",
    "灰度 ../svc 20%", "/approve ../../1", "/reject 1 <!channel>", "/canary " + "a" * 100_000,
    "/status ..", "/canary svc-user 20% --env ../prod", "/canary svc-user 20% --ns=demo/../x",
    "\u202e/canary svc-user 20%", "/canary SVC-USER 20%", "/ratelimit svc-user 1/1ms",
])
TEXT = st.one_of(NASTY, st.text(max_size=300), st.text(alphabet=st.characters(), max_size=40)
                 .map(lambda t: "/canary " + t))


def test_every_input_gets_a_reply_and_bad_input_writes_nothing(tmp_path: Path) -> None:
    bot = make_govbot(tmp_path / "home")

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(text=TEXT)
    def run(text: str) -> None:
        main, branches = bot.main(), bot.branches()
        replies = bot.say(text)
        assert all(isinstance(r.text, str) and r.text for r in replies)
        assert all("Traceback" not in r.text for r in replies)
        if not any(r.ok for r in replies):
            assert bot.main() == main and bot.branches() == branches
        for branch in bot.branches():
            assert branch == "main" or branch.startswith("change/")
        for path in (bot.home / "rendered").rglob("*"):
            assert bot.home / "rendered" in path.parents

    try:
        run()
    finally:
        bot.app.close()
