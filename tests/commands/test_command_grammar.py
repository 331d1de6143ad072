"""The shared grammar on its own: what each function accepts and what it refuses."""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from commands import grammar


@pytest.mark.parametrize(
    ("word", "value"), [("0", 0), ("20%", 20), ("20", 20), ("100%", 100), ("007%", 7)]
)
def test_percent(word: str, value: int) -> None:
    assert grammar.percent(word) == value


@pytest.mark.parametrize(
    "word", ["120%", "-1%", "2.5%", "abc", "", "%", "20 %", "+20%", "²%", "1e2"]
)
def test_not_a_percent(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.percent(word)
    assert "0 to 100" in caught.value.problem


@pytest.mark.parametrize("word", ["5s", "1m30s", "250ms", "1.5s", "2h"])
def test_duration(word: str) -> None:
    assert grammar.duration(word) == word


@pytest.mark.parametrize("word", ["5", "s", "5x", "-5s", "5 s", "٥s", ""])
def test_not_a_duration(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.duration(word)
    assert f'"{word}"' in caught.value.problem


@pytest.mark.parametrize(
    ("word", "value"),
    [("500/5s", (500, "5s")), ("1/250ms", (1, "250ms")), ("4294967295/1h", (4_294_967_295, "1h")),
     ("1/50ms", (1, "50ms")), ("1/24h", (1, "24h"))],
)
def test_rate(word: str, value: tuple[int, str]) -> None:
    assert grammar.rate(word) == value


@pytest.mark.parametrize(
    "word",
    ["0/5s", "500/5", "500", "4294967296/1s", "500/0s", "500/0ms", "a/5s", "500/5s/1", "500/49ms",
     "500/24h1ms"],
)
def test_not_a_rate(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.rate(word)
    assert f'"{word}"' in caught.value.problem


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("user=w_shenyu", ("user", "w_shenyu")),
        ("X-Env=a=b", ("X-Env", "a=b")),
        ("k.v=1", ("k.v", "1")),
    ],
)
def test_key_value(word: str, value: tuple[str, str]) -> None:
    assert grammar.key_value(word) == value


@pytest.mark.parametrize(
    "word", ["user", "=x", "user=", ":path=/", "a b=c", "user=沈宇", "-x=1", "k=\x7f"]
)
def test_not_a_key_value(word: str) -> None:
    with pytest.raises(UsageError):
        grammar.key_value(word)


@pytest.mark.parametrize(
    ("word", "value"), [("12", 12), ("#12", 12), ("#1", 1), ("2147483647", 2_147_483_647)]
)
def test_change_id(word: str, value: int) -> None:
    assert grammar.change_id(word) == value


@pytest.mark.parametrize("word", ["0", "#0", "-1", "##1", "1#", "2147483648", "9" * 5_000, "x"])
def test_not_a_change_id(word: str) -> None:
    with pytest.raises(UsageError):
        grammar.change_id(word)


@pytest.mark.parametrize("word", ["svc-user", "a", "a1", "s" * 63])
def test_service(word: str) -> None:
    assert grammar.service(word) == word


@pytest.mark.parametrize(
    "word", ["Svc_User", "12", "../etc", "s" * 64, "svc\n", "svc-", "-svc", "ｓｖｃ", ""]
)
def test_not_a_service(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.service(word)
    assert "service name" in caught.value.problem


def test_service_error_says_what_a_name_is() -> None:
    with pytest.raises(UsageError) as caught:
        grammar.service("Svc_User")
    problem = caught.value.problem
    assert '"Svc_User"' in problem and "lowercase" in problem and "63" in problem


def test_words_split_on_any_whitespace_without_shell_quoting() -> None:
    assert grammar.words("a  'b c'\t\"d\"\ne　f") == ["a", "'b", "c'", '"d"', "e", "f"]


def test_split_flags_keeps_the_other_words_in_order() -> None:
    rest, flags = grammar.split_flags(["a", "--ns", "demo", "b", "--env=prod", "c"])
    assert rest == ["a", "b", "c"]
    assert flags == grammar.Flags(env="prod", namespace="demo")


def test_split_flags_without_flags() -> None:
    assert grammar.split_flags(["a", "-1%"]) == (["a", "-1%"], grammar.Flags())


def test_normalise() -> None:
    assert grammar.normalise("  ／灰度　svc-user　２０％ ") == "灰度 svc-user 20%"
    assert grammar.normalise("canary x") == "canary x"


def test_keyword_suggests_the_closest_choice() -> None:
    assert grammar.keyword("PROMOTE", ("promote", "abort"), "a step") == "promote"
    with pytest.raises(UsageError) as caught:
        grammar.keyword("abrot", ("promote", "abort"), "a step")
    assert '"abort"' in caught.value.problem


@pytest.mark.parametrize(("text", "named"), [
    ("/status svc-user --ns Demo!", "is not a namespace name"),
    ("/status svc-user --env PROD", "is not an environment name"),
])
def test_a_bad_flag_value_is_named_with_its_article(text: str, named: str) -> None:
    with pytest.raises(UsageError) as raised:
        commands.parse(text)
    assert named in str(raised.value)
