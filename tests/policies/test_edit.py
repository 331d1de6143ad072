"""Applying intents to documents: only the changed lines move, impossible requests say why."""

from __future__ import annotations

import difflib

import pytest

from bot.core.errors import InvalidDocument, UsageError, UserError
from policies import document
from policies.edit import Edit, apply
from policies.intents import Canary, RateLimit

PATH = "services/prod/demo/svc-user.yaml"

# Written by a person: comments at the top, at line ends and between keys, keys in an
# order govbot would not choose, a flow-style map, a quoted string and a blank line.
HAND_WRITTEN = """\
# svc-user: owned by the payments team.
# Ask in #payments before moving the canary.
kind: ServicePolicy   # kind first, on purpose
apiVersion: govbot.dev/v1
metadata:
  env: prod
  name: svc-user
  namespace: demo

spec:
  # versions come first here
  versions:
    canary: v2      # the new build
    # stable is what most users get
    stable: v1
  selector: {app: svc-user}
  release:
    canaryWeight: 10   # keep it small
    strategy: "canary"
    # release notes live in the wiki
  port: 8080   # http
# end of file
"""


def released(weight: int = 0) -> str:
    """A new document with a canary release at `weight`."""
    return document.new_document("prod", "demo", "svc-user") + (
        f"  release:\n    strategy: canary\n    canaryWeight: {weight}\n")


def changed_lines(before: str, after: str) -> set[str]:
    """The lines a unified diff removes or adds, each with its - or + sign."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return {line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")}


def after(edit: Edit) -> str:
    assert edit.after_text is not None
    return edit.after_text


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


def top_keys(text: str) -> list[str]:
    return [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]


def test_canary_weight_changes_one_line() -> None:
    edit = apply(Canary("svc-user", "set", 20), HAND_WRITTEN, "prod", "demo")
    assert edit.summary == "canary svc-user 10% → 20%"
    assert changed_lines(HAND_WRITTEN, after(edit)) == {
        "-    canaryWeight: 10   # keep it small",
        "+    canaryWeight: 20   # keep it small",
    }
    assert comments(after(edit)) == comments(HAND_WRITTEN)
    assert top_keys(after(edit)) == ["kind", "apiVersion", "metadata", "spec"]


def test_new_rate_limit_only_adds_its_lines_at_the_end_of_spec() -> None:
    intent = RateLimit("svc-user", "set", 500, "5s", ("user", "w_shenyu"))
    edit = apply(intent, HAND_WRITTEN, "prod", "demo")
    assert edit.summary == "ratelimit svc-user 500/5s header user=w_shenyu"
    assert changed_lines(HAND_WRITTEN, after(edit)) == {
        "+  rateLimit:",
        "+    enabled: true",
        "+    requests: 500",
        "+    per: 5s",
        "+    match:",
        "+      headers:",
        "+        user:",
        "+          exact: w_shenyu",
    }
    lines = after(edit).splitlines()
    assert lines.index("  port: 8080   # http") < lines.index("  rateLimit:")
    assert lines[-1] == "# end of file"
    assert comments(after(edit)) == comments(HAND_WRITTEN)


def test_canary_then_rate_limit_diff_has_exactly_the_two_changes() -> None:
    first = after(apply(Canary("svc-user", "set", 25), HAND_WRITTEN, "prod", "demo"))
    second = after(apply(RateLimit("svc-user", "set", 100, "1m"), first, "prod", "demo"))
    assert changed_lines(HAND_WRITTEN, second) == {
        "-    canaryWeight: 10   # keep it small",
        "+    canaryWeight: 25   # keep it small",
        "+  rateLimit:",
        "+    enabled: true",
        "+    requests: 100",
        "+    per: 1m",
    }
    assert '    strategy: "canary"' in second and "  selector: {app: svc-user}" in second


def test_promote_makes_the_canary_stable_and_keeps_the_comment_between_keys() -> None:
    edit = apply(Canary("svc-user", "promote"), HAND_WRITTEN, "prod", "demo")
    assert edit.summary == "canary svc-user promote v2 (was v1)"
    assert changed_lines(HAND_WRITTEN, after(edit)) == {
        "-    canary: v2      # the new build",
        "-    stable: v1",
        "+    stable: v2",
        "-    canaryWeight: 10   # keep it small",
        "+    canaryWeight: 0   # keep it small",
    }
    assert "    # stable is what most users get" in after(edit)
    assert document.plain(after(edit))["spec"]["versions"] == {"stable": "v2"}


def test_promote_of_a_last_canary_keeps_the_comments_below_it() -> None:
    text = released(50).replace(
        "    canary: v2\n", "    canary: v2   # build 42\n    # versions end here\n")
    edit = apply(Canary("svc-user", "promote"), text, "prod", "demo")
    assert changed_lines(text, after(edit)) == {
        "-    stable: v1",
        "+    stable: v2",
        "-    canary: v2   # build 42",
        "-    canaryWeight: 50",
        "+    canaryWeight: 0",
    }


def test_abort_sets_the_weight_to_zero() -> None:
    edit = apply(Canary("svc-user", "abort"), HAND_WRITTEN, "prod", "demo")
    assert edit.summary == "canary svc-user abort 10% → 0%"
    assert document.plain(after(edit))["spec"]["release"]["canaryWeight"] == 0
    assert document.plain(after(edit))["spec"]["versions"] == {"canary": "v2", "stable": "v1"}


def test_a_command_on_a_service_without_a_document_creates_it() -> None:
    edit = apply(Canary("svc-order", "set", 20), None, "prod", "demo")
    assert edit.summary == "canary svc-order 0% → 20%"
    data = document.plain(after(edit))
    assert data["metadata"] == {"name": "svc-order", "namespace": "demo", "env": "prod"}
    assert data["spec"]["release"] == {"strategy": "canary", "canaryWeight": 20}
    assert data["spec"]["selector"] == {"app": "svc-order"}
    expected = document.new_document("prod", "demo", "svc-order")
    assert changed_lines(expected, after(edit)) == {
        "+  release:", "+    strategy: canary", "+    canaryWeight: 20"}

    limited = apply(RateLimit("svc-order", "set", 10, "1s"), None, "dev", "shop")
    assert limited.summary == "ratelimit svc-order 10/1s"
    assert "release" not in document.plain(after(limited))["spec"]
    assert document.plain(after(limited))["spec"]["rateLimit"] == {
        "enabled": True, "requests": 10, "per": "1s"}


def test_release_is_created_when_absent() -> None:
    text = HAND_WRITTEN.replace(
        "  release:\n    canaryWeight: 10   # keep it small\n    strategy: \"canary\"\n", "")
    edit = apply(Canary("svc-user", "set", 5), text, "prod", "demo")
    assert edit.summary == "canary svc-user 0% → 5%"
    assert changed_lines(text, after(edit)) == {
        "+  release:", "+    strategy: canary", "+    canaryWeight: 5"}


def test_rate_limit_off_and_on_keep_the_numbers() -> None:
    limited = after(apply(RateLimit("svc-user", "set", 500, "5s", ("user", "w_shenyu")),
                          HAND_WRITTEN, "prod", "demo"))
    off = apply(RateLimit("svc-user", "off"), limited, "prod", "demo")
    assert off.summary == "ratelimit svc-user off"
    assert changed_lines(limited, after(off)) == {"-    enabled: true", "+    enabled: false"}
    on = apply(RateLimit("svc-user", "on"), after(off), "prod", "demo")
    assert on.summary == "ratelimit svc-user on"
    assert on.after_text == limited


def test_setting_a_rate_limit_keeps_its_comments_and_drops_an_old_header() -> None:
    text = HAND_WRITTEN.replace("# end of file\n", (
        "  rateLimit:\n"
        "    per: 5s   # a short window\n"
        "    requests: 500\n"
        "    enabled: false\n"
        "    match:\n"
        "      headers:\n"
        "        user:\n"
        "          exact: bob\n"
        "    # limits end here\n"
        "# end of file\n"))
    edit = apply(RateLimit("svc-user", "set", 200, "10s"), text, "prod", "demo")
    assert edit.summary == "ratelimit svc-user 200/10s"
    assert changed_lines(text, after(edit)) == {
        "-    per: 5s   # a short window",
        "+    per: 10s   # a short window",
        "-    requests: 500",
        "+    requests: 200",
        "-    enabled: false",
        "+    enabled: true",
        "-    match:",
        "-      headers:",
        "-        user:",
        "-          exact: bob",
    }
    assert after(edit).endswith("    # limits end here\n# end of file\n")


def test_header_names_are_written_lowercase() -> None:
    edit = apply(RateLimit("svc-user", "set", 5, "1s", ("X-User", "Bob")), None, "prod", "demo")
    assert edit.summary == "ratelimit svc-user 5/1s header x-user=Bob"
    headers = document.plain(after(edit))["spec"]["rateLimit"]["match"]["headers"]
    assert headers == {"x-user": {"exact": "Bob"}}


@pytest.mark.parametrize("intent", [
    Canary("svc-user", "set", 10),
    RateLimit("svc-user", "on"),
])
def test_nothing_to_change_returns_the_text_unchanged(intent: Canary | RateLimit) -> None:
    text = HAND_WRITTEN.replace("# end of file\n", "  rateLimit:\n    requests: 1\n    per: 1s\n")
    edit = apply(intent, text, "prod", "demo")
    assert edit.after_text == text
    assert "already" in edit.summary


def test_the_same_rate_limit_again_changes_nothing() -> None:
    intent = RateLimit("svc-user", "set", 500, "5s", ("user", "w_shenyu"))
    once = after(apply(intent, HAND_WRITTEN, "prod", "demo"))
    again = apply(intent, once, "prod", "demo")
    assert again.after_text == once
    assert again.summary == "ratelimit svc-user already 500/5s header user=w_shenyu"


NO_CANARY = document.new_document("prod", "demo", "svc-user").replace("    canary: v2\n", "")


@pytest.mark.parametrize(("intent", "text", "words"), [
    (Canary("svc-user", "promote"), None, ["nothing to promote", "0%", "/canary svc-user"]),
    (Canary("svc-user", "promote"), NO_CANARY, ["nothing to promote", "no canary version"]),
    (Canary("svc-user", "abort"), None, ["nothing to abort", "0%"]),
    (Canary("svc-user", "set", 20), NO_CANARY, ["no canary version", "spec.versions", PATH]),
    (RateLimit("svc-user", "on"), None, ["no rate limit", "/ratelimit svc-user"]),
    (RateLimit("svc-user", "off"), HAND_WRITTEN, ["no rate limit", "/ratelimit svc-user"]),
])
def test_impossible_requests_say_what_is_wrong_and_what_to_do(
    intent: Canary | RateLimit, text: str | None, words: list[str]
) -> None:
    with pytest.raises(UserError) as raised:
        apply(intent, text, "prod", "demo")
    assert not isinstance(raised.value, InvalidDocument)
    for word in words:
        assert word in str(raised.value)


def test_incomplete_intents_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="usage: /canary"):
        apply(Canary("svc-user", "set"), None, "prod", "demo")
    with pytest.raises(UsageError, match="usage: /ratelimit"):
        apply(RateLimit("svc-user", "set", requests=5), None, "prod", "demo")


@pytest.mark.parametrize(("intent", "field"), [
    (Canary("svc-user", "set", 120), "spec.release.canaryWeight: 120"),
    (RateLimit("svc-user", "set", 0, "5s"), "spec.rateLimit.requests: 0"),
    (RateLimit("svc-user", "set", 5, "10ms"), "spec.rateLimit.per: 10ms"),
    (RateLimit("svc-user", "set", 5, "5s", ("user", "a\tb")), "spec.rateLimit.match.headers"),
])
def test_an_invalid_result_raises_invalid_document(intent: Canary | RateLimit, field: str) -> None:
    with pytest.raises(InvalidDocument) as raised:
        apply(intent, HAND_WRITTEN, "prod", "demo")
    assert raised.value.path == PATH
    assert any(problem.startswith(field) for problem in raised.value.problems)


def test_a_document_that_disagrees_with_its_path_is_not_edited() -> None:
    with pytest.raises(InvalidDocument, match=r"metadata\.env"):
        apply(Canary("svc-user", "set", 20), HAND_WRITTEN, "dev", "demo")


def test_a_broken_document_is_reported_not_crashed_on() -> None:
    with pytest.raises(InvalidDocument, match="not valid YAML"):
        apply(Canary("svc-user", "set", 20), "spec: [\n", "prod", "demo")
    with pytest.raises(InvalidDocument, match="spec: required"):
        apply(Canary("svc-user", "set", 20), "spec: 5\n", "prod", "demo")


def test_layout_of_the_document_is_kept() -> None:
    text = (document.new_document("prod", "demo", "svc-user")
            .replace("\n  ", "\n    ").replace("\n      ", "\n        "))
    text = "---\n" + text.replace("\n", "\r\n")
    edit = apply(RateLimit("svc-user", "set", 5, "1s"), text, "prod", "demo")
    assert changed_lines(text.replace("\r\n", "\n"), after(edit).replace("\r\n", "\n")) == {
        "+    rateLimit:", "+        enabled: true", "+        requests: 5", "+        per: 1s"}
    assert after(edit).startswith("---\r\n") and "\n" not in after(edit).replace("\r\n", "")


def test_a_comment_keeps_its_gap_unless_it_is_aligned_with_its_neighbours() -> None:
    text = released().replace(
        "    stable: v1\n    canary: v2\n", "    stable: v1       # runs everywhere\n"
        "    canary: v2       # under test\n").replace(
        "    canaryWeight: 0\n", "    canaryWeight: 50   # half\n")
    edit = apply(Canary("svc-user", "promote"), text, "prod", "demo")
    assert changed_lines(text, after(edit)) == {
        "-    stable: v1       # runs everywhere",
        "-    canary: v2       # under test",
        "+    stable: v2       # runs everywhere",
        "-    canaryWeight: 50   # half",
        "+    canaryWeight: 0   # half",
    }
    aligned = text.replace("    strategy: canary\n", "    strategy: canary   # one of a kind\n")
    edit = apply(Canary("svc-user", "set", 100), aligned, "prod", "demo")
    assert changed_lines(aligned, after(edit)) == {
        "-    canaryWeight: 50   # half", "+    canaryWeight: 100  # half"}
