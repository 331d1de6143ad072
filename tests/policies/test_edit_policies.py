"""The edits of issue #3: blue-green, routes, circuit breaker, whitelist, fault, timeout,
scale — each on a hand-written document with comments in every section."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import pytest

from bot.core.errors import InvalidDocument, UsageError, UserError
from policies import document
from policies.edit import Edit, apply
from policies.intents import (
    BlueGreen,
    Canary,
    CircuitBreak,
    Fault,
    PolicyIntent,
    RateLimit,
    Route,
    Scale,
    Timeout,
    Whitelist,
    resolve,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

# Every section, each with a comment at a line end and a comment line inside or below it.
FULL = """\
# svc-user: every governance setting, commented by hand.
apiVersion: govbot.dev/v1
kind: ServicePolicy
metadata: {name: svc-user, namespace: demo, env: prod}
spec:
  port: 8080   # http
  selector:
    app: svc-user
  serviceAccount: svc-user   # callers' principals use it
  versions:
    stable: v1
    canary: v2   # build 42
  release:
    strategy: canary   # see the runbook
    canaryWeight: 20
  routes:   # testers first
    - match:
        headers:
          user:
            exact: w_shenyu   # the tester
      to: v2
    # cookie routing for the beta group
    - match:
        cookie: {name: group, value: beta}
      to: v2
  rateLimit:
    enabled: true
    requests: 500   # per pod
    per: 5s
  circuitBreaker:
    enabled: true
    consecutive5xxErrors: 5   # tuned in March
    interval: 30s
    baseEjectionTime: 30s
    maxEjectionPercent: 50
    # pool limits are per client proxy
  allowFrom:
    enabled: true
    callers: [svc-index, istio-system/istio-ingressgateway]   # gateway too
  fault:
    enabled: true
    abort:
      httpStatus: 503   # drill
      percent: 10
    expires: "2026-11-27T12:00:00Z"
  timeout: 3s   # the SLO
  retries:
    attempts: 2
    perTryTimeout: 1s
    retryOn: 5xx,reset   # idempotent calls only
  autoscale:
    enabled: true
    min: 2   # never fewer
    max: 10
    cpuPercent: 70
# end of file
"""


def changed_lines(before: str, after: str) -> set[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return {line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")}


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


def after(edit: Edit) -> str:
    assert edit.after_text is not None
    return edit.after_text


def run(intent: PolicyIntent, text: str | None = FULL, now: datetime | None = NOW) -> Edit:
    return apply(resolve(intent, now) if now else intent, text, "prod", "demo")


def spec_of(text: str) -> dict[str, object]:
    data = document.plain(text)["spec"]
    assert isinstance(data, dict)
    return data


def test_the_hand_written_document_is_valid() -> None:
    assert document.validate(document.plain(FULL), "services/prod/demo/svc-user.yaml") == []


# -- one-line diffs and summaries -------------------------------------------------------

EDITS: list[tuple[PolicyIntent, str, set[str]]] = [
    (BlueGreen("svc-user", "switch"), "bluegreen svc-user switch v1 80% / v2 20% → v2", {
        "-    strategy: canary   # see the runbook", "+    strategy: blueGreen   # see the runbook",
        "+    active: v2"}),
    (Route("svc-user", "header", "user", "w_shenyu", "exact", "v1"),
     "route svc-user header user=w_shenyu → v1 (was → v2, route 1)",
     {"-      to: v2", "+      to: v1"}),
    (CircuitBreak("svc-user", "set", 3, "10s", "1m"),
     "circuitbreak svc-user 5xx=3 interval=10s eject=1m", {
         "-    consecutive5xxErrors: 5   # tuned in March",
         "+    consecutive5xxErrors: 3   # tuned in March",
         "-    interval: 30s", "+    interval: 10s",
         "-    baseEjectionTime: 30s", "+    baseEjectionTime: 1m",
         "-    maxEjectionPercent: 50"}),
    (Whitelist("svc-user", "allow", ("ops/svc-admin",)), "whitelist svc-user allow ops/svc-admin", {
        "-    callers: [svc-index, istio-system/istio-ingressgateway]   # gateway too",
        "+    callers: [svc-index, istio-system/istio-ingressgateway, ops/svc-admin]"
        "   # gateway too"}),
    (Whitelist("svc-user", "remove", ("svc-index",)), "whitelist svc-user remove svc-index", {
        "-    callers: [svc-index, istio-system/istio-ingressgateway]   # gateway too",
        "+    callers: [istio-system/istio-ingressgateway]   # gateway too"}),
    (Fault("svc-user", "delay", 5, delay="2s", duration="30m"),
     "fault svc-user delay 2s 5% for 30m (until 2026-11-27 10:30:00 UTC); the fault now holds "
     "abort 503 10% and delay 2s 5%, both until 2026-11-27 10:30:00 UTC (the abort ended at "
     "2026-11-27 12:00:00 UTC before)", {
         '-    expires: "2026-11-27T12:00:00Z"', '+    expires: "2026-11-27T10:30:00Z"',
         "+    delay:", "+      fixed: 2s", "+      percent: 5"}),
    # without `for` the section keeps its window
    (Fault("svc-user", "abort", 0.5, http_status=500),
     "fault svc-user abort 500 0.5% (until 2026-11-27 12:00:00 UTC)", {
         "-      httpStatus: 503   # drill", "+      httpStatus: 500   # drill",
         "-      percent: 10", "+      percent: 0.5"}),
    (Timeout("svc-user", "set", "5s", 3, retry_on="gateway-error"),
     "timeout svc-user 5s retries 3 on gateway-error", {
         "-  timeout: 3s   # the SLO", "+  timeout: 5s   # the SLO",
         "-    attempts: 2", "+    attempts: 3", "-    perTryTimeout: 1s",
         "-    retryOn: 5xx,reset   # idempotent calls only",
         "+    retryOn: gateway-error   # idempotent calls only"}),
    (Timeout("svc-user", "set", "3s"), "timeout svc-user 3s", {
        "-  retries:", "-    attempts: 2", "-    perTryTimeout: 1s",
        "-    retryOn: 5xx,reset   # idempotent calls only"}),
    (Scale("svc-user", "set", 3, 20, 60), "scale svc-user min 3 max 20 cpu 60%", {
        "-    min: 2   # never fewer", "+    min: 3   # never fewer",
        "-    max: 10", "+    max: 20",
        "-    cpuPercent: 70", "+    cpuPercent: 60"}),
    (Canary("svc-user", "set", 25), "canary svc-user 20% → 25%", {
        "-    canaryWeight: 20", "+    canaryWeight: 25"}),
]


@pytest.mark.parametrize(("intent", "summary", "lines"), EDITS,
                         ids=[f"{i.action}-{n}" for n, (i, _, _) in enumerate(EDITS)])
def test_each_edit_changes_only_its_lines(intent: PolicyIntent, summary: str,
                                          lines: set[str]) -> None:
    edit = run(intent)
    assert edit.summary == summary
    assert changed_lines(FULL, after(edit)) == lines
    kept = [c for c in comments(FULL) if c != "# idempotent calls only" or "retries" in after(edit)]
    assert comments(after(edit)) == kept
    assert after(edit).endswith("# end of file\n")


def test_route_clear_removes_the_routes_and_keeps_the_comments_around() -> None:
    edit = run(Route("svc-user", "clear"))
    assert edit.summary == "route svc-user clear (2 routes)"
    assert "routes" not in spec_of(after(edit))
    assert "  release:\n    strategy: canary   # see the runbook\n    canaryWeight: 20\n" \
           "  rateLimit:\n" in after(edit)


def test_new_routes_are_appended_in_order_and_cookie_routes_are_written() -> None:
    text = document.new_document("prod", "demo", "svc-user")
    first = after(run(Route("svc-user", "header", "X-User", "w_", "prefix", "canary"), text))
    second = run(Route("svc-user", "cookie", "user", "w_shenyu", version="v2"), first)
    assert second.summary == "route svc-user cookie user=w_shenyu → v2"
    assert spec_of(after(second))["routes"] == [
        {"match": {"headers": {"x-user": {"prefix": "w_"}}}, "to": "v2"},
        {"match": {"cookie": {"name": "user", "value": "w_shenyu"}}, "to": "v2"},
    ]
    assert "{" not in after(second)  # block style for what govbot writes
    again = run(Route("svc-user", "cookie", "user", "w_shenyu", version="v2"), after(second))
    assert again.after_text == after(second)
    assert again.summary == "route svc-user already cookie user=w_shenyu → v2"


def test_new_sections_are_written_in_block_style_on_a_new_document() -> None:
    cases: list[tuple[PolicyIntent, str, object]] = [
        (CircuitBreak("svc-user", "set", 5, "30s", "30s", 50, 100, 10), "circuitBreaker",
         {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
          "baseEjectionTime": "30s", "maxEjectionPercent": 50, "maxConnections": 100,
          "maxPendingRequests": 10}),
        (Whitelist("svc-user", "allow", ("svc-index", "demo/svc-index", "ops/x")), "allowFrom",
         {"enabled": True, "callers": ["svc-index", "ops/x"]}),
        (Fault("svc-user", "abort", 10, http_status=503), "fault",
         {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}}),
        (Timeout("svc-user", "set", "3s", 2, "1s", "5xx,reset"), "retries",
         {"attempts": 2, "perTryTimeout": "1s", "retryOn": "5xx,reset"}),
        (Scale("svc-user", "set", 2, 10), "autoscale", {"enabled": True, "min": 2, "max": 10}),
        (BlueGreen("svc-user", "to", "v1"), "release", {"strategy": "blueGreen", "active": "v1"}),
    ]
    for intent, key, expected in cases:
        edit = run(intent, None)
        assert "new document" not in edit.summary, edit.summary
        assert spec_of(after(edit))[key] == expected
        assert "{" not in after(edit) and "[" not in after(edit)


def test_circuitbreak_summary_names_every_number() -> None:
    edit = run(CircuitBreak("svc-user", "set", 5, "30s", "30s", 50, 100, 10), None)
    assert edit.summary == ("circuitbreak svc-user 5xx=5 interval=30s eject=30s maxeject=50% "
                            "maxconn=100 pending=10")


# -- off and on -------------------------------------------------------------------------

@pytest.mark.parametrize(("off", "on", "section"), [
    (RateLimit("svc-user", "off"), RateLimit("svc-user", "on"), "rateLimit"),
    (CircuitBreak("svc-user", "off"), CircuitBreak("svc-user", "on"), "circuitBreaker"),
    (Whitelist("svc-user", "off"), Whitelist("svc-user", "on"), "allowFrom"),
    (Fault("svc-user", "off"), Fault("svc-user", "on"), "fault"),
    (Scale("svc-user", "off"), Scale("svc-user", "on"), "autoscale"),
])
def test_off_then_on_gives_back_the_same_bytes(off: PolicyIntent, on: PolicyIntent,
                                               section: str) -> None:
    turned_off = run(off)
    assert turned_off.summary == f"{off.action} svc-user off"
    assert changed_lines(FULL, after(turned_off)) == {"-    enabled: true", "+    enabled: false"}
    assert spec_of(after(turned_off))[section]["enabled"] is False  # type: ignore[index]
    turned_on = run(on, after(turned_off))
    assert turned_on.summary == f"{on.action} svc-user on"
    assert turned_on.after_text == FULL
    assert run(on).summary == f"{on.action} svc-user already on"
    assert run(on).after_text == FULL


@pytest.mark.parametrize(("intent", "section"), [
    (Fault("svc-user", "off"), "fault"), (Scale("svc-user", "off"), "autoscale")])
def test_off_keeps_the_settings(intent: PolicyIntent, section: str) -> None:
    edit = run(intent)
    assert edit.summary == f"{intent.action} svc-user off"
    assert changed_lines(FULL, after(edit)) == {"-    enabled: true", "+    enabled: false"}
    before = dict(spec_of(FULL)[section])  # type: ignore[call-overload]
    assert spec_of(after(edit))[section] == {**before, "enabled": False}


def test_a_fault_turned_off_comes_back_on_with_a_new_half() -> None:
    off = after(run(Fault("svc-user", "off")))
    edit = run(Fault("svc-user", "abort", 10, http_status=503), off)
    assert spec_of(after(edit))["fault"] == {
        "enabled": True, "abort": {"httpStatus": 503, "percent": 10},
        "expires": "2026-11-27T12:00:00Z"}


def test_timeout_off_removes_timeout_and_retries() -> None:
    edit = run(Timeout("svc-user", "off"))
    assert edit.summary == "timeout svc-user off"
    data = spec_of(after(edit))
    assert "timeout" not in data and "retries" not in data
    assert "# end of file" in after(edit)


# -- release: canary and blue-green ----------------------------------------------------

def test_bluegreen_switch_flips_and_canary_returns_to_a_canary_release() -> None:
    green = after(run(BlueGreen("svc-user", "switch")))
    back = run(BlueGreen("svc-user", "switch"), green)
    assert back.summary == "bluegreen svc-user switch v2 → v1"
    assert changed_lines(green, after(back)) == {"-    active: v2", "+    active: v1"}
    assert run(BlueGreen("svc-user", "to", "v1"), after(back)).summary == \
        "bluegreen svc-user already on v1"
    canary = run(Canary("svc-user", "set", 20), green)
    assert canary.summary == "canary svc-user blue-green on v2 → canary 20%"
    assert canary.after_text == FULL


def test_bluegreen_says_where_traffic_moves_from() -> None:
    half = after(run(Canary("svc-user", "set", 50)))
    assert run(BlueGreen("svc-user", "to", "v1"), half).summary == \
        "bluegreen svc-user to v1: v1 50% / v2 50% → v1"
    none = after(run(Canary("svc-user", "set", 0)))
    assert run(BlueGreen("svc-user", "to", "v1"), none).summary == \
        "bluegreen svc-user to v1: all traffic stays on v1, now blue-green"
    assert run(BlueGreen("svc-user", "to", "v2"), none).summary == \
        "bluegreen svc-user to v2: v1 → v2"


def test_bluegreen_to_accepts_the_version_names_stable_and_canary() -> None:
    edit = run(BlueGreen("svc-user", "to", "canary"))
    assert edit.summary == "bluegreen svc-user to v2: v1 80% / v2 20% → v2"
    assert spec_of(after(edit))["release"] == {
        "strategy": "blueGreen", "canaryWeight": 20, "active": "v2"}


# -- impossible requests ----------------------------------------------------------------

NEW = document.new_document("prod", "demo", "svc-user")
ONE_VERSION = NEW.replace("    canary: v2\n", "")
BLUE_GREEN = after(apply(BlueGreen("svc-user", "switch"), None, "prod", "demo"))
ONE_CALLER = FULL.replace("[svc-index, istio-system/istio-ingressgateway]", "[svc-index]")

IMPOSSIBLE: list[tuple[PolicyIntent, str | None, list[str]]] = [
    (BlueGreen("svc-user", "to", "v9"), FULL, ["no version 'v9'", "stable v1", "canary v2"]),
    (BlueGreen("svc-user", "switch"), ONE_VERSION, ["only one version", "spec.versions"]),
    (Route("svc-user", "header", "user", "x", version="v9"), FULL, ["no version 'v9'", "v1"]),
    (Route("svc-user", "clear"), None, ["no routes to clear"]),
    (CircuitBreak("svc-user", "on"), None, ["no circuit breaker", "/circuitbreak svc-user"]),
    (CircuitBreak("svc-user", "off"), NEW, ["no circuit breaker", "5xx="]),
    (Whitelist("svc-user", "remove", ("svc-x",)), FULL,
     ["svc-x is not on", "svc-index, istio-system/istio-ingressgateway"]),
    (Whitelist("svc-user", "remove", ("svc-x",)), None, ["no whitelist"]),
    (Whitelist("svc-user", "remove", ("svc-index",)), ONE_CALLER,
     ["empty", "/whitelist svc-user off"]),
    (Whitelist("svc-user", "on"), None, ["no whitelist to turn on", "/whitelist svc-user allow"]),
    (Fault("svc-user", "off"), None, ["no fault injection", "/fault svc-user"]),
    (Scale("svc-user", "off"), None, ["no autoscaling", "/scale svc-user"]),
    (Timeout("svc-user", "off"), None, ["no timeout", "/timeout svc-user"]),
    (Canary("svc-user", "abort"), BLUE_GREEN, ["blue-green", "/bluegreen svc-user to"]),
    (Canary("svc-user", "promote"), BLUE_GREEN, ["blue-green", "/canary svc-user 0%"]),
]


@pytest.mark.parametrize(("intent", "text", "words"), IMPOSSIBLE,
                         ids=[f"{i.action}-{n}" for n, (i, _, _) in enumerate(IMPOSSIBLE)])
def test_impossible_requests_say_what_to_do(intent: PolicyIntent, text: str | None,
                                            words: list[str]) -> None:
    with pytest.raises(UserError) as raised:
        run(intent, text)
    assert not isinstance(raised.value, InvalidDocument | UsageError)
    for word in words:
        assert word in str(raised.value)


def test_a_time_boxed_fault_needs_resolving_first() -> None:
    with pytest.raises(ValueError, match="resolve"):
        run(Fault("svc-user", "abort", 10, http_status=503, duration="30m"), now=None)
    untimed = run(Fault("svc-user", "abort", 10, http_status=503), None, now=None)
    assert "expires" not in spec_of(after(untimed))["fault"]  # type: ignore[operator]


def test_an_expiry_on_another_day_shows_the_date() -> None:
    edit = run(Fault("svc-user", "delay", 5, delay="1s", duration="15h"), None)
    assert edit.summary == \
        "fault svc-user delay 1s 5% for 15h (until 2026-11-28 01:00:00 UTC)"


@pytest.mark.parametrize("intent", [
    Route("svc-user", "header", "user", "x"), CircuitBreak("svc-user", "set", 5),
    Whitelist("svc-user", "allow"), Fault("svc-user", "abort", 10), Fault("svc-user", "delay"),
    Timeout("svc-user", "set"), Scale("svc-user", "set", 2), BlueGreen("svc-user", "to"),
])
def test_incomplete_intents_are_usage_errors(intent: PolicyIntent) -> None:
    with pytest.raises(UsageError, match=f"usage: /{intent.action}"):
        run(intent)


@pytest.mark.parametrize(("intent", "field"), [
    (Route("svc-user", "header", "user", "(?=x)", "regex", "v2"), "spec.routes[2].match"),
    (CircuitBreak("svc-user", "set", 0, "30s", "30s"), "spec.circuitBreaker.consecutive5xxErrors"),
    (Whitelist("svc-user", "allow", ("Bad_Name",)), "spec.allowFrom.callers[2]"),
    (Fault("svc-user", "abort", 10, http_status=700), "spec.fault.abort.httpStatus"),
    (Fault("svc-user", "delay", 150, delay="1s"), "spec.fault.delay.percent"),
    (Timeout("svc-user", "set", "3s", 2, retry_on="sometimes"), "spec.retries.retryOn"),
    (Scale("svc-user", "set", 5, 2), "spec.autoscale.max"),
])
def test_an_invalid_result_names_its_field(intent: PolicyIntent, field: str) -> None:
    with pytest.raises(InvalidDocument) as raised:
        run(intent)
    assert any(problem.startswith(field) for problem in raised.value.problems), raised.value


# -- who owns the traffic ---------------------------------------------------------------

PORT = "  port: 8080   # http\n"
FLAGGER = FULL.replace(PORT, PORT + "  managedBy: flagger\n")
ARGO = FULL.replace(PORT, PORT + "  managedBy: argo-rollouts\n")


@pytest.mark.parametrize("intent", [
    Canary("svc-user", "set", 30), BlueGreen("svc-user", "switch"), Route("svc-user", "clear"),
    Fault("svc-user", "off"), Timeout("svc-user", "off"), CircuitBreak("svc-user", "off"),
])
def test_flagger_owns_the_traffic_of_its_services(intent: PolicyIntent) -> None:
    with pytest.raises(UserError) as raised:
        run(intent, FLAGGER)
    text = str(raised.value)
    assert "Flagger" in text and "Canary resource" in text
    assert "spec.service" in text and "spec.analysis" in text


@pytest.mark.parametrize("intent", [Canary("svc-user", "abort"), BlueGreen("svc-user", "switch")])
def test_argo_rollouts_owns_the_weights(intent: PolicyIntent) -> None:
    with pytest.raises(UserError) as raised:
        run(intent, ARGO)
    text = str(raised.value)
    assert "Argo Rollouts" in text and "setWeight" in text
    assert "promote" in text and "abort" in text


@pytest.mark.parametrize(("text", "intent"), [
    (ARGO, Route("svc-user", "clear")), (ARGO, Timeout("svc-user", "off")),
    (ARGO, Fault("svc-user", "off")), (FLAGGER, RateLimit("svc-user", "off")),
    (FLAGGER, Whitelist("svc-user", "off")), (FLAGGER, Scale("svc-user", "off")),
])
def test_what_a_controller_does_not_own_stays_govbots(text: str, intent: PolicyIntent) -> None:
    edit = run(intent, text)
    assert edit.after_text != text
    assert edit.summary.startswith(intent.action)


BLOCK_LIST = NEW + """\
  allowFrom:
    callers:
      - svc-a   # first
      - svc-b   # second
      # the gateway last
      - istio-system/gw   # gw
    # end of whitelist
"""


def test_block_lists_keep_their_comments_when_callers_come_and_go() -> None:
    removed = run(Whitelist("svc-user", "remove", ("demo/svc-b",)), BLOCK_LIST)
    assert changed_lines(BLOCK_LIST, after(removed)) == {"-      - svc-b   # second"}
    added = run(Whitelist("svc-user", "allow", ("svc-c", "svc-a")), BLOCK_LIST)
    assert added.summary == "whitelist svc-user allow svc-c, svc-a"
    assert changed_lines(BLOCK_LIST, after(added)) == {"+      - svc-c"}
    assert after(added).endswith("      - svc-c\n    # end of whitelist\n")
    again = run(Whitelist("svc-user", "allow", ("svc-a",)), BLOCK_LIST)
    assert again.after_text == BLOCK_LIST
    assert again.summary == "whitelist svc-user already allows svc-a"
