"""How chat text becomes a command: aliases, full-width text, the optional `/`, flags,
did-you-mean, and the text that is refused before any command sees it."""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from policies.intents import Canary, Help, Reject

CANARY_20 = Canary("svc-user", "set", 20)


@pytest.mark.parametrize(
    "text",
    [
        "/canary svc-user 20%",
        "canary svc-user 20%",
        "灰度 svc-user 20%",
        "/灰度 svc-user 20",
        "灰度　svc-user　20％",  # ideographic spaces and a full-width percent sign
        "／ｃａｎａｒｙ　ｓｖｃ－ｕｓｅｒ　２０％",  # all full-width
        "/Canary svc-user 20%",
        "CANARY svc-user 20%",
        "  /canary\tsvc-user\n20%  ",
        "/ canary svc-user 20%",
    ],
)
def test_the_same_command_in_many_spellings(text: str) -> None:
    parsed = commands.parse(text)
    assert parsed.intent == CANARY_20
    assert parsed.spec.name == "canary"


@pytest.mark.parametrize(
    "text",
    [
        "/canary --env prod svc-user 20%",
        "/canary svc-user --env prod 20%",
        "/canary svc-user 20% --env prod",
        "/canary svc-user 20% --env=prod",
        "/canary --env=prod svc-user 20%",
        "/canary svc-user 20% —env prod",  # a chat client turned "--" into a dash
    ],
)
def test_env_flag_anywhere_after_the_name(text: str) -> None:
    parsed = commands.parse(text)
    assert (parsed.intent, parsed.env, parsed.namespace) == (CANARY_20, "prod", None)


def test_both_flags() -> None:
    parsed = commands.parse("/canary --ns=shop svc-user --env dev 20%")
    assert (parsed.intent, parsed.env, parsed.namespace) == (CANARY_20, "dev", "shop")


def test_flags_are_not_words_of_a_reason() -> None:
    parsed = commands.parse("/reject 4 --env prod not now")
    assert parsed.intent == Reject(4, "not now")
    assert parsed.env == "prod"


def test_a_dash_in_a_reason_is_kept() -> None:
    assert commands.parse("/reject 4 later — after the freeze").intent == Reject(
        4, "later — after the freeze"
    )


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("canery", "canary"), ("/ratelimt", "ratelimit"), ("aprove", "approve"), ("Staus", "status")],
)
def test_did_you_mean(typed: str, suggested: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(f"{typed} svc-user 20%")
    error = caught.value
    assert typed.lstrip("/") in error.problem and f'"{suggested}"' in error.problem
    spec = commands.lookup(suggested)
    assert spec is not None and error.usage == spec.usage


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("灰", "灰度"), ("灰度发布", "灰度"), ("驳", "驳回"), ("批", "批准"), ("限流器", "限流")],
)
def test_did_you_mean_for_chinese_near_misses(typed: str, suggested: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(f"{typed} svc-user")
    assert f'"{suggested}"' in caught.value.problem


def test_unknown_command_with_nothing_close_lists_the_commands() -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse("/xyzzy plugh")
    problem = caught.value.problem
    assert '"xyzzy"' in problem and "/help" in problem
    assert all(spec.name in problem for spec in commands.REGISTRY)


@pytest.mark.parametrize("text", ["", "   ", "/", "　", "\n\t"])
def test_empty_text_points_to_help(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    assert "/help" in str(caught.value)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\u202e", "\u2066", "\ud800"])
def test_control_characters_are_refused(char: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(f"/canary svc-user{char} 20%")
    assert f"U+{ord(char):04X}" in caught.value.problem


def test_text_at_the_limit_parses_and_beyond_it_is_refused() -> None:
    reason = "x" * (2_000 - len("/reject 3 "))
    assert commands.parse(f"/reject 3 {reason}").intent == Reject(3, reason)
    with pytest.raises(UsageError) as caught:
        commands.parse(f"/reject 3 {reason}y")
    assert "2001" in caught.value.problem and "2000" in caught.value.problem


def test_text_that_grows_beyond_the_limit_when_normalised_is_refused() -> None:
    # U+FDFA is one character that NFKC spells out in eighteen.
    with pytest.raises(UsageError):
        commands.parse("/reject 3 " + "\ufdfa" * 200)


def test_lookup_by_name_alias_and_case() -> None:
    canary = commands.lookup("canary")
    assert canary is not None
    assert commands.lookup("灰度") is canary
    assert commands.lookup("CaNaRy") is canary
    assert commands.lookup("nosuch") is None


@pytest.mark.parametrize("text", ["/help canary", "/help 灰度", "帮助 /canary", "help CANARY"])
def test_help_names_the_command_by_its_name(text: str) -> None:
    assert commands.parse(text).intent == Help("canary")


def test_help_for_an_unknown_command_suggests_one() -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse("/help canery")
    assert '"canary"' in caught.value.problem
    with pytest.raises(UsageError) as caught:
        commands.parse("/help nosuch")
    assert '"nosuch"' in caught.value.problem
