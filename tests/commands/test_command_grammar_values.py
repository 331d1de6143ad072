"""The grammar added for issue #3 on its own: versions, callers, fine percents, counts and
durations Istio takes, and the did-you-mean helper."""

from __future__ import annotations

import pytest

from bot.core.errors import UsageError
from commands import grammar
from commands.route import parse as parse_route
from commands.timeout import conditions


@pytest.mark.parametrize("word", ["v2", "green", "v1-2", "s" * 63])
def test_version(word: str) -> None:
    assert grammar.version(word) == word


@pytest.mark.parametrize("word", ["V2", "2", "v_2", "v2-", "s" * 64, "", "v2\n"])
def test_not_a_version(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.version(word)
    assert "version" in caught.value.problem


@pytest.mark.parametrize("word", ["svc-index", "istio-system/istio-ingressgateway", "a/b"])
def test_caller(word: str) -> None:
    assert grammar.caller(word) == word


@pytest.mark.parametrize("word", ["", "/", "a/", "/b", "a/b/c", "A/b", "a/B", "9a", "a//b"])
def test_not_a_caller(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.caller(word)
    assert "caller" in caught.value.problem


@pytest.mark.parametrize(
    ("word", "value"),
    [("10%", 10), ("10", 10), ("0%", 0), ("100%", 100), ("0.5%", 0.5), ("0.0001", 0.0001),
     ("99.9999%", 99.9999), ("10.0%", 10)],
)
def test_fine_percent(word: str, value: float) -> None:
    assert grammar.fine_percent(word) == value


@pytest.mark.parametrize(
    "word", ["100.0001%", "101", "0.00001%", "-1%", ".5%", "5.%", "1e1", "abc", "", "١٠%", "9" * 20]
)
def test_not_a_fine_percent(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.fine_percent(word)
    assert "percent" in caught.value.problem


def test_count_bounds_are_inclusive_and_named() -> None:
    assert grammar.count("1", "a number of pods") == 1
    assert grammar.count("2147483647", "a number of pods") == 2_147_483_647
    assert grammar.count("0", "a number of retries", low=0, high=5) == 0
    for word in ("0", "2147483648", "-1", "1.5", "x"):
        with pytest.raises(UsageError) as caught:
            grammar.count(word, "a number of pods")
        assert "a number of pods" in caught.value.problem and "2147483647" in caught.value.problem


@pytest.mark.parametrize("word", ["1ms", "1.5s", "1m30s", "0.001s", "2h", "87660000h"])
def test_positive_duration(word: str) -> None:
    assert grammar.positive_duration(word) == word


@pytest.mark.parametrize("word", ["0s", "0ms", "0.5ms", "1.0005s", "5", "87660001h", "-1s"])
def test_not_a_positive_duration(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        grammar.positive_duration(word)
    assert f'"{word}"' in caught.value.problem


def test_positive_duration_takes_a_shorter_limit() -> None:
    assert grammar.positive_duration("24h", longest_ms=86_400_000) == "24h"
    with pytest.raises(UsageError) as caught:
        grammar.positive_duration("24h1ms", longest_ms=86_400_000)
    assert "24h" in caught.value.problem


def test_suggestion() -> None:
    assert grammar.suggestion("swich", ("switch", "to")) == "switch"
    assert grammar.suggestion("ALOW", ("allow", "remove")) == "allow"
    assert grammar.suggestion("zzz", ("switch", "to")) is None


@pytest.mark.parametrize(
    ("word", "value"),
    [("5xx", "5xx"), ("5XX,Reset", "5xx,reset"), ("503,504,retriable-status-codes",
      "503,504,retriable-status-codes"), ("unavailable,cancelled", "unavailable,cancelled")],
)
def test_retry_conditions(word: str, value: str) -> None:
    assert conditions(word) == value


@pytest.mark.parametrize("word", ["", ",", "5xx,", "600", "5031", "１２３", "5xx;reset", "all"])
def test_not_retry_conditions(word: str) -> None:
    with pytest.raises(UsageError):
        conditions(word)


@pytest.mark.parametrize(
    "pattern", ["^w_.*$", "[(?=]x", "[]a]", "[^]a]", "a\\z", "(?i)beta", "\\\\1", "a{2,3}"]
)
def test_regex_values_re2_takes(pattern: str) -> None:
    assert parse_route(["s", "header", f"k={pattern}", "regex", "->", "v2"]).value == pattern


@pytest.mark.parametrize("pattern", ["(a", "a)", "*a", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)",
                                     "(?P<n>a)(?P=n)", "(a)\\1", "[a"])
def test_regex_values_re2_refuses(pattern: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_route(["s", "header", f"k={pattern}", "regex", "->", "v2"])
    assert "regex" in caught.value.problem or "RE2" in caught.value.problem
