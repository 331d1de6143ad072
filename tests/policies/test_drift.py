"""The drift comparison: only what main renders counts, lists count whole, the server's
fields never, and an object missing on either side is drift too."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policies import drift as drift_module
from policies.document import new_document, plain
from policies.drift import ABSENT, Difference, compare, drift, shown
from policies.render import render

PATH = "services/dev/demo/svc-user.yaml"


def _rendered() -> list[dict[str, Any]]:
    data = plain(new_document("dev", "demo", "svc-user"))
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    data["spec"]["timeout"] = "3s"
    return render(data, PATH)


def _as_live(obj: dict[str, Any]) -> dict[str, Any]:
    """What the API server answers for an applied object: its own metadata, defaults and
    status, and other managers' labels."""
    live = copy.deepcopy(obj)
    live["metadata"].update(uid="0b1c", resourceVersion="4711", generation=3,
                            creationTimestamp="2026-11-27T09:00:00Z",
                            managedFields=[{"manager": "govbot", "operation": "Apply"}])
    live["metadata"]["labels"]["team"] = "payments"
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    live["status"] = {"observedGeneration": 3}
    return live


def test_what_main_renders_live_as_applied_is_no_drift() -> None:
    rendered = _rendered()
    assert drift(rendered, [_as_live(obj) for obj in rendered]) == []


def test_an_edited_weight_is_named_by_its_path_with_both_values() -> None:
    rendered = _rendered()
    live = [_as_live(obj) for obj in rendered]
    vs = next(obj for obj in live if obj["kind"] == "VirtualService")
    vs["spec"]["http"][0]["route"][1]["weight"] = 50
    vs["spec"]["http"][0]["route"][0]["weight"] = 50
    found = drift(rendered, live)
    assert [(d.object, d.path, d.live, d.main) for d in found] == [
        ("VirtualService/svc-user", ".spec.http[0].route[0].weight", 50, 80),
        ("VirtualService/svc-user", ".spec.http[0].route[1].weight", 50, 20)]
    assert str(found[1]) == \
        "VirtualService/svc-user .spec.http[0].route[1].weight: live 50, main 20"


def test_a_list_counts_whole_an_extra_live_item_is_drift() -> None:
    main: dict[str, Any] = {"kind": "VirtualService", "metadata": {"name": "a"},
                            "spec": {"http": [{"route": [{"weight": 100}]}]}}
    live = copy.deepcopy(main)
    live["spec"]["http"].append({"route": [{"weight": 0}]})
    assert compare(main, live) == [
        Difference("VirtualService/a", ".spec.http[1]", {"route": [{"weight": 0}]}, ABSENT)]
    live["spec"]["http"] = []
    assert compare(main, live) == [
        Difference("VirtualService/a", ".spec.http[0]", ABSENT, {"route": [{"weight": 100}]})]


def test_a_field_removed_live_or_of_another_type_is_drift() -> None:
    main = {"kind": "DestinationRule", "metadata": {"name": "a"},
            "spec": {"trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 5}}}}
    live: dict[str, Any] = {"kind": "DestinationRule", "metadata": {"name": "a"}, "spec": {}}
    assert compare(main, live) == [Difference(
        "DestinationRule/a", ".spec.trafficPolicy", ABSENT,
        {"outlierDetection": {"consecutive5xxErrors": 5}})]
    live["spec"]["trafficPolicy"] = "off"
    assert compare(main, live)[0].live == "off"


def test_true_and_one_differ_but_one_and_one_point_zero_do_not() -> None:
    main = {"kind": "X", "metadata": {"name": "a"}, "spec": {"on": True, "n": 1}}
    assert compare(main, {"kind": "X", "metadata": {"name": "a"},
                          "spec": {"on": 1, "n": 1.0}}) == [
        Difference("X/a", ".spec.on", 1, True)]


def test_keys_that_are_not_names_are_quoted() -> None:
    main = {"kind": "X", "metadata": {"name": "a", "labels": {"govbot.dev/source": "s"}}}
    live = {"kind": "X", "metadata": {"name": "a", "labels": {"govbot.dev/source": "t"}}}
    assert [d.path for d in compare(main, live)] == ['.metadata.labels["govbot.dev/source"]']


def test_the_servers_fields_never_count_even_when_rendered() -> None:
    main = {"kind": "X", "metadata": {"name": "a", "uid": "mine", "generation": 1},
            "status": {"ready": True}, "spec": {"n": 1}}
    live = {"kind": "X", "metadata": {"name": "a", "uid": "theirs", "generation": 9},
            "status": {"ready": False}, "spec": {"n": 1}}
    assert compare(main, live) == []
    server = {"resourceVersion", "uid", "managedFields", "creationTimestamp", "generation"}
    assert server <= drift_module.SERVER_METADATA


def test_missing_objects_on_either_side_are_drift() -> None:
    rendered = _rendered()
    live = [_as_live(obj) for obj in rendered if obj["kind"] != "DestinationRule"]
    stray = {"kind": "EnvoyFilter", "metadata": {"name": "svc-user-ratelimit"}}
    found = drift(rendered, [*live, stray])
    assert [str(d) for d in found] == [
        "DestinationRule/svc-user: main renders it, the cluster has none",
        "EnvoyFilter/svc-user-ratelimit: in the cluster with govbot's labels, "
        "main renders none"]


def test_values_are_shown_compact_and_cut() -> None:
    assert shown(ABSENT) == "absent"
    assert shown({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'
    assert len(shown("x" * 500)) == drift_module.SHOWN


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=12)


@given(spec=_JSON, extra=st.dictionaries(st.text(min_size=1, max_size=4), _JSON, max_size=3))
def test_an_object_never_drifts_from_itself_plus_keys_main_does_not_render(
        spec: Any, extra: dict[str, Any]) -> None:
    main = {"kind": "X", "metadata": {"name": "a"}, "spec": spec}
    live = {**{f"x-{k}": v for k, v in extra.items()}, **copy.deepcopy(main)}
    assert compare(main, live) == []
