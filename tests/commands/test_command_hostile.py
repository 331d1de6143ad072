"""Hostile text: whatever arrives, `parse` answers with a Parsed or a UsageError, and a
Parsed never carries a service, env or namespace that is not a DNS-1123 label."""

from __future__ import annotations

import re

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import commands
from bot.core.errors import UsageError

# Written out here rather than taken from policies.units, so the check is independent.
LABEL = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")

# Every code point, surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())

HOSTILE = [
    "../",
    "../../etc/passwd",
    "..",
    ";rm -rf /",
    "$(reboot)",
    "`id`",
    "|",
    "&&",
    "> /tmp/x",
    "'",
    '"',
    "\\",
    "%",
    "%%",
    "#",
    "#-1",
    "=",
    "--",
    "--env",
    "--env=",
    "--ns",
    "—env",
    "header",
    "header=x",
    "off",
    "on",
    "promote",
    "abort",
    "{{.}}",
    "${HOME}",
    "\x00",
    "\u202e",
    "\ufdfa",
    "ｓｖｃ",
    "svc\n",
    "١٢",
    "<!channel>",
]
VALID = ["svc-user", "20%", "0", "100", "500/5s", "1/1ms", "user=w_shenyu", "#12", "12", "prod"]
EXAMPLES = [example for spec in commands.REGISTRY for example in spec.examples]

token = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(VALID),
    st.from_regex(r"[a-z][-a-z0-9]{0,70}", fullmatch=True),
    st.text(alphabet=ANY_CHAR, max_size=12),
)
separator = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "　", "=", "/", ""])


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    """A documented example with some words replaced, inserted or dropped: text that gets
    past the command name, so the hostile words reach the commands' own parsers."""
    words = draw(st.sampled_from(EXAMPLES)).split()
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(words)))
        match draw(st.sampled_from(["replace", "insert", "drop"])):
            case "replace" if at < len(words):
                words[at] = draw(token)
            case "drop" if at < len(words):
                del words[at]
            case _:
                words.insert(at, draw(token))
    text = words[0] if words else ""
    for word in words[1:]:
        text += draw(separator) + word
    return text


def check(text: str) -> None:
    try:
        parsed = commands.parse(text)
    except UsageError as error:
        reply = str(error)
        assert reply and "Traceback" not in reply
        assert error.problem.strip()
        return
    assert isinstance(parsed, commands.Parsed)
    assert parsed.spec in commands.REGISTRY
    service = getattr(parsed.intent, "service", None)
    for name in (service, parsed.env, parsed.namespace):
        assert name is None or LABEL.fullmatch(name), name


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ANY_CHAR))
def test_arbitrary_text_is_parsed_or_refused(text: str) -> None:
    check(text)


@settings(max_examples=1_000, deadline=None)
@given(command_lines())
def test_hostile_arguments_are_parsed_or_refused(text: str) -> None:
    check(text)


def parses_with_a_service(text: str) -> bool:
    try:
        return getattr(commands.parse(text).intent, "service", None) is not None
    except UsageError:
        return False


def test_the_hostile_strategy_also_reaches_commands_that_parse() -> None:
    # Without successes the label property above would hold vacuously.
    found = find(command_lines(), parses_with_a_service, settings=settings(deadline=None))
    check(found)


@pytest.mark.parametrize(
    "text",
    [
        "/canary " + "a" * 100_000,
        "/canary svc-user " + "9" * 100_000 + "%",
        "灰度 " + "../" * 40_000,
        "x" * 100_000,
        " " * 100_000,
        "/reject 3 " + "$(rm -rf /);" * 10_000,
        "/canary svc-user 20% " + "\x00" * 100_000,
    ],
    ids=lambda text: f"{text[:12]!r}… ({len(text)} chars)",
)
def test_100_kb_lines_are_refused(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    assert len(str(caught.value)) < 500


@pytest.mark.parametrize(
    "text",
    [
        "/canary ../etc 20%",
        "/status ..",
        "/ratelimit svc-user;rm -rf / 500/5s",
        "/canary $(whoami) 20%",
        "/canary svc-user 20% --env ../prod",
        "/canary svc-user 20% --ns=a/b",
        "/status svc\u200buser",
    ],
)
def test_path_and_shell_text_never_reaches_a_name(text: str) -> None:
    with pytest.raises(UsageError):
        commands.parse(text)
