"""A document that passes `policies.document.validate` either renders or is refused with
InvalidDocument: `render` and `plan` raise no other error, so a change that cannot be
rendered is refused when it is opened instead of failing after the merge."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import InvalidDocument
from policies import document, kinds, plan, render

PATH = "services/prod/demo/svc-user.yaml"
BASE = document.plain(document.new_document("prod", "demo", "svc-user"))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 200),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.sampled_from(["", "5s", "0ms", "1.5ms", "v1", "v2", "v3", "canary",
                                     "blueGreen", "flagger", "argo-rollouts", "^a(?=b)",
                                     "[(?=x]", "2026-11-27T12:00:00Z", "x" * 70]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["enabled", "requests", "per", "match", "headers", "user",
                                     "exact", "regex", "to", "cookie", "name", "value",
                                     "abort", "delay", "httpStatus", "percent", "fixed",
                                     "expires", "min", "max", "cpuPercent", "callers",
                                     "attempts", "strategy", "canaryWeight", "active",
                                     "stable", "consecutive5xxErrors", "interval",
                                     "baseEjectionTime"]), inner, max_size=4)), max_leaves=12)


def _checked(data: dict[str, Any]) -> None:
    for call in (lambda: render.render(data, PATH), lambda: plan.plan(BASE, data, PATH)):
        with contextlib.suppress(InvalidDocument):
            call()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(list(kinds.SPEC_FIELDS)), VALUES, max_size=4))
def test_a_valid_document_renders_or_is_invalid(changes: dict[str, Any]) -> None:
    data = copy.deepcopy(BASE)
    data["spec"].update(changes)
    if document.validate(data, PATH) == []:
        _checked(data)


def test_broken_shapes_that_skip_validation_are_invalid_documents() -> None:
    for spec in ({"versions": {"stable": "v1"}, "rateLimit": {"requests": 5}},
                 {"versions": {"stable": "v1"}, "routes": [{"match": {}, "to": "v1"}]},
                 {"versions": {"stable": "v1"}, "autoscale": {"min": 1}},
                 {"versions": {"stable": "v1"}, "release": ["canary"]}):
        data = {**BASE, "spec": {**BASE["spec"], **spec}}
        _checked(data)
