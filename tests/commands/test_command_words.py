"""Arbitrary words after each command of issue #3: `parse` answers with a Parsed or a
UsageError, and a Parsed never carries a service, caller or version that is not a
DNS-1123 label (a caller may be `<ns>/<svc>`, both labels)."""

from __future__ import annotations

import re

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import commands
from bot.core.errors import UsageError

# Written out here rather than taken from the code under test, so the check is independent.
LABEL = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
NAMES = [
    "bluegreen", "route", "circuitbreak", "whitelist", "fault", "timeout", "scale",
    "rollback", "policies", "canary", "蓝绿", "路由", "熔断", "白名单", "故障注入", "超时",
    "伸缩", "回滚", "策略", "灰度",
]  # fmt: skip
GRAMMAR_WORDS = [
    "svc-user", "switch", "to", "v2", "header", "cookie", "clear", "->", "→", "-＞",
    "prefix", "regex", "exact", "user=w_shenyu", "user=^a.*$", "q=a=b", "5xx=5",
    "interval=1s", "eject=30s", "maxeject=50%", "maxconn=100", "pending=10", "allow",
    "remove", "off", "on", "svc-a,svc-b", "ns/svc", "a/b/c", "abort", "delay", "503",
    "10%", "0.5%", "2s", "for", "30m", "retries", "per", "1s", "5xx,reset", "min", "max",
    "cpu", "2", "70%", "#12", "12", "--env", "prod",
]  # fmt: skip
HOSTILE = [
    "../", "..", ";rm -rf /", "$(reboot)", "`id`", "|", "'", '"', "\\", "%", "#", "=",
    "--", ",", "、", "/", "\x00", "\u202e", "ｓｖｃ", "svc\n", "١٢", "(?=x)", "a/../b",
    "svc-a,../x", "\\1", "9" * 40,
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())
word = st.one_of(
    st.sampled_from(GRAMMAR_WORDS),
    st.sampled_from(HOSTILE),
    st.from_regex(r"[a-z][-a-z0-9/,]{0,70}", fullmatch=True),
    st.text(alphabet=ANY_CHAR, max_size=12),
)


def names_in(intent: object) -> list[str]:
    """Every service, caller and version name the intent carries."""
    found = [getattr(intent, field, None) for field in ("service", "version")]
    for caller in getattr(intent, "callers", ()):
        found.extend(caller.split("/"))
        assert caller.count("/") <= 1, caller
    return [name for name in found if name is not None]


def check(text: str) -> None:
    try:
        parsed = commands.parse(text)
    except UsageError as error:
        assert error.problem.strip() and "Traceback" not in str(error)
        return
    assert isinstance(parsed, commands.Parsed)
    for name in names_in(parsed.intent):
        assert LABEL.fullmatch(name), name


@settings(max_examples=1_500, deadline=None)
@given(st.sampled_from(NAMES), st.lists(word, max_size=9), st.sampled_from([" ", "\t", "　"]))
def test_any_words_after_a_command_are_parsed_or_refused(
    name: str, words: list[str], space: str
) -> None:
    check(space.join([name, *words]))


def parses(name: str, words: list[str]) -> bool:
    try:
        commands.parse(" ".join([name, *words]))
    except UsageError:
        return False
    return True


@pytest.mark.parametrize("name", NAMES[:10])
def test_the_word_strategy_reaches_a_parse_of_each_command(name: str) -> None:
    # Without successes the label property above would hold vacuously.
    found = find(
        st.lists(word, max_size=9), lambda words: parses(name, words),
        settings=settings(deadline=None, max_examples=20_000),
    )
    check(" ".join([name, *found]))


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("蓝", "蓝绿"), ("白名", "白名单"), ("故障", "故障注入"), ("bluegren", "bluegreen"),
     ("circuitbrake", "circuitbreak"), ("whitlist", "whitelist"), ("rolback", "rollback")],
)
def test_did_you_mean_for_new_command_names(typed: str, suggested: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(f"{typed} svc-user")
    assert f'"{suggested}"' in caught.value.problem
