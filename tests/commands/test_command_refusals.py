"""The commands of issue #3 refuse what they cannot take, naming the offending word, with
their usage line and an example; close misspellings of their sub-words get a did-you-mean.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from policies import units, webhook
from policies.checks import traffic


def refusal(text: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    return caught.value


def assert_explained(text: str, offending: str) -> UsageError:
    error = refusal(text)
    spec = commands.lookup(text.split()[0].lstrip("/"))
    assert spec is not None
    assert offending in error.problem, error.problem
    assert error.usage == spec.usage
    assert error.example in spec.examples
    assert spec.usage in str(error) and error.example in str(error)
    return error


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("/bluegreen", "service"),
        ("/bluegreen svc-user", "switch"),
        ("/bluegreen svc-user to", "version"),
        ("/route svc-user", "header"),
        ("/route svc-user header", "<k>=<v>"),
        ("/route svc-user header user=a", "->"),
        ("/route svc-user header user=a ->", "version"),
        ("/route svc-user cookie -> v2", "<k>=<v>"),
        ("/circuitbreak svc-user", "settings"),
        ("/circuitbreak svc-user 5xx=5 interval=30s", "eject="),
        ("/circuitbreak svc-user maxconn=5", "5xx= and interval= and eject="),
        ("/circuitbreak svc-user 5xx= interval=1s eject=1s", "5xx="),
        ("/whitelist svc-user", "allow"),
        ("/whitelist svc-user allow", "callers"),
        ("/whitelist svc-user allow ,", "callers"),
        ("/whitelist svc-user remove", "caller"),
        ("/fault svc-user", "abort"),
        ("/fault svc-user abort", "status code"),
        ("/fault svc-user delay", "delay"),
        ("/fault svc-user abort 503", "percent"),
        ("/fault svc-user abort 503 10% for", "duration"),
        ("/timeout svc-user", "timeout"),
        ("/timeout svc-user 3s retries", "number of retries"),
        ("/timeout svc-user 3s retries 2 per", "duration"),
        ("/timeout svc-user 3s retries 2 on", "conditions"),
        ("/scale svc-user", "min"),
        ("/scale svc-user min 2 max 10", "cpu"),
        ("/scale svc-user min 2 max", "number after max"),
        ("/rollback", "change id"),
    ],
)
def test_missing_part_is_named(text: str, missing: str) -> None:
    error = refusal(text)
    assert "missing" in error.problem and missing in error.problem, error.problem
    spec = commands.lookup(text.split()[0][1:])
    assert spec is not None and error.usage == spec.usage


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("/bluegreen svc-user switch now", "now"),
        ("/bluegreen svc-user to v2 v3", "v3"),
        ("/route svc-user clear all", "all"),
        ("/route svc-user header user=a -> v2 v3", "v3"),
        ("/route svc-user header user=a regex also -> v2", "also"),
        ("/route svc-user cookie user=a b=c -> v2", "b=c"),
        ("/circuitbreak svc-user off now", "now"),
        ("/whitelist svc-user remove svc-a svc-b", "svc-b"),
        ("/whitelist svc-user on please", "please"),
        ("/fault svc-user off now", "now"),
        ("/fault svc-user abort 503 10% for 1m more", "more"),
        ("/timeout svc-user off now", "now"),
        ("/scale svc-user off now", "now"),
        ("/rollback 12 13", "13"),
        ("/policies all", "all"),
    ],
)
def test_extra_words_are_named(text: str, extra: str) -> None:
    assert "unexpected" in assert_explained(text, extra).problem


@pytest.mark.parametrize(
    ("text", "offending", "suggested"),
    [
        ("/bluegreen svc-user swich", "swich", "switch"),
        ("/route svc-user heder user=a -> v2", "heder", "header"),
        ("/route svc-user cokie user=a -> v2", "cokie", "cookie"),
        ("/route svc-user clera", "clera", "clear"),
        ("/route svc-user header user=a prefx -> v2", "prefx", "prefix"),
        ("/circuitbreak svc-user 5xx=5 intervall=1s eject=1s", "intervall", "interval"),
        ("/circuitbreak svc-user 5xx=5 interval=1s ejekt=1s", "ejekt", "eject"),
        ("/circuitbreak svc-user of", "of", "off"),
        ("/whitelist svc-user alow svc-a", "alow", "allow"),
        ("/whitelist svc-user remov svc-a", "remov", "remove"),
        ("/fault svc-user abrt 503 1%", "abrt", "abort"),
        ("/fault svc-user delay 1s 1% fro 1m", "fro", "for"),
        ("/timeout svc-user 3s retry 2", "retry", "retries"),
        ("/timeout svc-user 3s retries 2 pre 1s", "pre", "per"),
        ("/timeout svc-user 3s retries 2 on 5xxx", "5xxx", "5xx"),
        ("/timeout svc-user 3s retries 2 on connect-failures", "failures", "connect-failure"),
        ("/scale svc-user mn 2 max 3 cpu 50%", "mn", "min"),
    ],
)
def test_misspelled_sub_word_gets_did_you_mean(text: str, offending: str, suggested: str) -> None:
    assert f'did you mean "{suggested}"' in assert_explained(text, offending).problem


@pytest.mark.parametrize(
    ("text", "offending", "about"),
    [
        ("/bluegreen Svc 切换", "Svc", "service name"),
        ("/bluegreen svc-user to V2", "V2", "version"),
        ("/bluegreen svc-user to 2", "2", "version"),
        ("/route svc-user header user=a -> v_2", "v_2", "version"),
        ("/route svc-user header us:er=a -> v2", "us:er", "header name"),
        ("/route svc-user header user= -> v2", "user=", "no value"),
        ("/route svc-user header user=沈宇 -> v2", "沈宇", "header value"),
        ("/route svc-user header user=a(b regex -> v2", "a(b", "regex"),
        ("/route svc-user header user=(?=a) regex -> v2", "(?=a)", "RE2"),
        ("/route svc-user header user=(a)\\1 regex -> v2", "\\1", "RE2"),
        ("/route svc-user cookie user=a;b -> v2", "a;b", "cookie value"),
        ("/route svc-user cookie user=a prefix -> v2", "prefix", "cookie"),
        ("/circuitbreak svc-user 5xx=0 interval=1s eject=1s", "0", "number of errors"),
        ("/circuitbreak svc-user 5xx=5 interval=0s eject=1s", "0s", "duration"),
        ("/circuitbreak svc-user 5xx=5 interval=1s eject=30", "30", "duration"),
        ("/circuitbreak svc-user 5xx=5 interval=1s eject=1s maxeject=101%", "101%", "percent"),
        ("/circuitbreak svc-user 5xx=5 interval=1s eject=1s maxconn=-1", "-1", "connections"),
        ("/circuitbreak svc-user 5xx=5 interval=1s eject=1s pending=x", "x", "pending"),
        ("/circuitbreak svc-user 5xx=5 5xx=6 interval=1s eject=1s", "5xx", "twice"),
        ("/circuitbreak svc-user 5xx 5", "5xx", "key=value"),
        ("/whitelist svc-user allow Svc-A", "Svc-A", "caller"),
        ("/whitelist svc-user allow a/b/c", "a/b/c", "caller"),
        ("/whitelist svc-user allow shop/", "shop/", "caller"),
        ("/whitelist svc-user remove ../etc", "../etc", "caller"),
        ("/fault svc-user abort 600 10%", "600", "HTTP status"),
        ("/fault svc-user abort 199 10%", "199", "HTTP status"),
        ("/fault svc-user abort 10% 503", "10%", "HTTP status"),
        ("/fault svc-user abort 503 100.5%", "100.5%", "percent"),
        ("/fault svc-user abort 503 0.00001%", "0.00001%", "four decimals"),
        ("/fault svc-user delay 2 5%", "2", "duration"),
        ("/fault svc-user delay 0ms 5%", "0ms", "duration"),
        ("/fault svc-user delay 1s 5% for 1000d", "1000d", "duration"),
        ("/fault svc-user delay 1s 5% for 9000h", "9000h", "too long"),
        ("/timeout svc-user soon", "soon", "timeout"),
        ("/timeout svc-user 0s", "0s", "duration"),
        ("/timeout svc-user 3s retries -1", "-1", "number of retries"),
        ("/timeout svc-user 3s retries 1000", "1000", "number of retries"),
        ("/timeout svc-user 3s retries 2 per 1s per 2s", "per", "twice"),
        ("/timeout svc-user 3s retries 2 on 5xx,,reset", "5xx,,reset", "empty"),
        ("/timeout svc-user 3s retries 2 on 5xx,5xx", "5xx,5xx", "twice"),
        ("/timeout svc-user 3s retries 2 on 99", "99", "retry condition"),
        ("/timeout svc-user 3s retries 2 on sometimes", "sometimes", "retry condition"),
        ("/scale svc-user min 0 max 3 cpu 50%", "0", "number of pods"),
        ("/scale svc-user min 5 max 3 cpu 50%", "max 3", "min 5"),
        ("/scale svc-user min 1 max 3 cpu 0%", "cpu 0%", "1 to 100"),
        ("/scale svc-user min 1 max 3 cpu 120%", "120%", "percent"),
        ("/scale svc-user min 1 min 2 max 3 cpu 50%", "min", "twice"),
        ("/rollback Svc_User", "Svc_User", "change id"),
        ("/rollback #0", "#0", "change id"),
        ("/rollback 12a", "12a", "change id"),
    ],
)
def test_bad_value_is_named(text: str, offending: str, about: str) -> None:
    assert about in assert_explained(text, offending).problem


def test_version_without_to_shows_the_command_meant() -> None:
    assert "to v2" in assert_explained("/bluegreen svc-user v2", "v2").problem


def test_glued_arrow_asks_for_spaces() -> None:
    assert "spaces" in assert_explained("/route svc-user header user=a->v2", "user=a->v2").problem


def test_retries_off_takes_no_options() -> None:
    error = refusal("/timeout svc-user 3s retries 0 per 1s")
    assert "retries 0" in error.problem


@pytest.mark.parametrize(
    "command",
    [
        "/bluegreen {} switch",
        "/route {} clear",
        "/circuitbreak {} off",
        "/whitelist {} on",
        "/fault {} off",
        "/timeout {} off",
        "/scale {} off",
    ],
)
@pytest.mark.parametrize("service", ["Svc_User", "12", "../etc", "a" * 64, "svc-"])
def test_bad_service(command: str, service: str) -> None:
    assert "service name" in assert_explained(command.format(service), service).problem


def test_a_lookahead_is_refused_at_parse_time_naming_what_re2_lacks() -> None:
    error = assert_explained("/route svc-user header user=(?=x) regex -> v2", "(?=x)")
    assert "RE2 has no lookahead" in error.problem
    assert error.usage and error.example


@pytest.mark.parametrize("pattern", ["[(?=x]", "(?=x)", "(a)\\1", "a++", "\\pL+", "a\\z", "[a"])
def test_the_command_the_document_check_and_the_webhook_agree_on_a_regex(pattern: str) -> None:
    """One RE2 rule: a pattern the command takes is one the document and istiod take."""
    problem = units.re2_problem(pattern)
    taken = True
    try:
        commands.parse(f"/route svc-user header user={pattern} regex -> v2")
    except UsageError:
        taken = False
    route = {"match": {"headers": {"user": {"regex": pattern}}}, "to": "v2"}
    documented = traffic.routes([route], "spec.routes") == []
    match = {"headers": {"user": {"regex": pattern}}}
    rendered = webhook.check({"kind": "VirtualService", "spec": {"http": [{"match": [match]}]}})
    assert taken is documented is (rendered == []) is (problem is None)
