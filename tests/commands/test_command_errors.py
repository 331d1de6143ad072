"""A command that does not parse is answered with what was wrong, its usage and an example.

The assertions look for the offending word and the usage line, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from commands.spec import CommandSpec
from policies.intents import Status


def refusal(text: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    return caught.value


def spec_of(command: str) -> CommandSpec:
    spec = commands.lookup(command)
    assert spec is not None, command
    return spec


def assert_explained(error: UsageError, offending: str, command: str) -> None:
    spec = spec_of(command)
    assert offending in error.problem
    assert error.usage == spec.usage
    assert error.example in spec.examples
    shown = str(error)
    assert spec.usage in shown and error.example in shown and offending in shown


@pytest.mark.parametrize("weight", ["120%", "-1%", "2.5%", "abc", "101", "%", "20%%", "٢٠%"])
def test_bad_percent(weight: str) -> None:
    error = refusal(f"/canary svc-user {weight}")
    assert_explained(error, weight, "canary")
    assert "percent" in error.problem


def test_out_of_range_percent_names_the_range() -> None:
    assert "0 to 100" in refusal("/canary svc-user 120%").problem


@pytest.mark.parametrize(
    "service", ["Svc_User", "12", "#12", "../etc", "a" * 64, "-svc", "svc-", "svc.user"]
)
@pytest.mark.parametrize("command", ["/canary {} 20%", "/ratelimit {} 500/5s", "/status {}"])
def test_bad_service(service: str, command: str) -> None:
    error = refusal(command.format(service))
    assert_explained(error, service, command.split()[0][1:])
    assert "service name" in error.problem


def test_number_as_service_says_numbers_are_change_ids() -> None:
    assert "change id" in refusal("/status 12").problem


def test_longest_service_name_is_accepted() -> None:
    name = "s" + "v" * 62
    assert commands.parse(f"/status {name}").intent == Status(name)


@pytest.mark.parametrize(
    "rate",
    [
        "0/5s",
        "500/5",
        "500",
        "500/",
        "/5s",
        "500/0s",
        "-5/5s",
        "5.5/1s",
        "500/5x",
        "99999999999/1s",
    ],
)
def test_bad_rate(rate: str) -> None:
    assert_explained(refusal(f"/ratelimit svc-user {rate}"), rate, "ratelimit")


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("/ratelimit svc-user 500/5s header user", "user"),
        ("/ratelimit svc-user 500/5s header =w_shenyu", "=w_shenyu"),
        ("/ratelimit svc-user 500/5s header user=", "user="),
        ("/ratelimit svc-user 500/5s header us:er=x", "us:er"),
        ("/ratelimit svc-user 500/5s header user=沈宇", "沈宇"),
        ("/ratelimit svc-user 500/5s user=w_shenyu", "user=w_shenyu"),
        ("/ratelimit svc-user 500/5s headers user=w_shenyu", "headers"),
        ("/ratelimit svc-user sometimes", "sometimes"),
    ],
)
def test_bad_header_or_mode(text: str, offending: str) -> None:
    assert_explained(refusal(text), offending, "ratelimit")


def test_header_word_is_required_and_suggested() -> None:
    error = refusal("/ratelimit svc-user 500/5s user=w_shenyu")
    assert "header user=w_shenyu" in error.problem


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("/canary", "service"),
        ("/canary svc-user", "weight"),
        ("/ratelimit", "service"),
        ("/ratelimit svc-user", "rate"),
        ("/ratelimit svc-user 500/5s header", "header"),
        ("/approve", "change id"),
        ("/reject", "change id"),
        ("/status", "service"),
    ],
)
def test_missing_arguments(text: str, missing: str) -> None:
    error = refusal(text)
    assert "missing" in error.problem and missing in error.problem
    assert error.usage == spec_of(text.split()[0][1:]).usage


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("/canary svc-user 20% now", "now"),
        ("/canary svc-user promote abort", "abort"),
        ("/ratelimit svc-user off please", "please"),
        ("/ratelimit svc-user 500/5s header user=a also=b", "also=b"),
        ("/approve 12 13", "13"),
        ("/changes all of them", "of them"),
        ("/status svc-user svc-order", "svc-order"),
        ("/help canary ratelimit", "ratelimit"),
    ],
)
def test_extra_arguments(text: str, extra: str) -> None:
    assert_explained(refusal(text), extra, text.split()[0][1:])


@pytest.mark.parametrize("change", ["0", "#0", "-1", "svc-user", "#", "1.5", "3000000000", "#12a"])
@pytest.mark.parametrize("command", ["approve", "reject"])
def test_bad_change_id(change: str, command: str) -> None:
    error = refusal(f"/{command} {change}")
    assert_explained(error, change, command)
    assert "change id" in error.problem


@pytest.mark.parametrize("flag", ["--force", "--env-name=prod", "--namespace", "--"])
def test_unknown_flag_is_named(flag: str) -> None:
    error = refusal(f"/canary svc-user 20% {flag} x")
    assert_explained(error, flag.partition("=")[0], "canary")
    assert "flag" in error.problem


@pytest.mark.parametrize(
    ("flags", "offending"),
    [
        ("--env Prod", "Prod"),
        ("--env=../prod", "../prod"),
        ("--ns demo_ns", "demo_ns"),
        ("--ns=9demo", "9demo"),
        ("--env", "--env"),
        ("--env=", "--env"),
        ("--env prod --env dev", "--env"),
    ],
)
def test_bad_flag_value(flags: str, offending: str) -> None:
    assert_explained(refusal(f"/canary svc-user 20% {flags}"), offending, "canary")


def test_error_on_a_huge_word_stays_short() -> None:
    error = refusal("/canary " + "X" * 1_500 + " 20%")
    assert "XXXX" in error.problem
    assert len(error.problem) < 300
