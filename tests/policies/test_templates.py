"""Policy templates, the pure part: what a template keeps of a service, its file, its
checks, and the edit that sets it on another service's document."""

from __future__ import annotations

import doctest
import json
from types import ModuleType

import pytest
import yaml

from bot.core.errors import InvalidDocument, UserError
from bot.resources import template_dir
from policies import document, edit, templates
from policies.edits import template as template_edit
from policies.intents import TemplateApply

SPEC = {
    "port": 8080,
    "selector": {"app": "svc-user"},
    "versions": {"stable": "v1", "canary": "v2"},
    "release": {"strategy": "canary", "canaryWeight": 20},
    "routes": [{"match": {"headers": {"user": {"exact": "w"}}}, "to": "v2"}],
    "rateLimit": {"enabled": True, "requests": 500, "per": "5s",
                  "expires": "2026-11-27T12:00:00Z"},
    "circuitBreaker": {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
                       "baseEjectionTime": "30s"},
    "fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
              "expires": "2026-11-27T12:00:00Z"},
    "timeout": "2s",
    "retries": {"attempts": 3, "perTryTimeout": "500ms", "retryOn": "5xx"},
}


def _text(sections: dict[str, object], name: str = "resilient") -> str:
    return templates.text(name, sections, "svc-user in dev/demo", "alice")


def test_a_template_keeps_the_governance_sections_and_no_release_state() -> None:
    sections = templates.extract(SPEC)
    assert list(sections) == ["rateLimit", "circuitBreaker", "fault", "timeout", "retries"]
    assert sections["circuitBreaker"] == SPEC["circuitBreaker"]
    assert sections["retries"] == SPEC["retries"]


def test_a_saved_fault_is_off_and_no_time_box_end_is_kept() -> None:
    sections = templates.extract(SPEC)
    assert sections["fault"] == {"enabled": False, "abort": {"httpStatus": 503, "percent": 10}}
    assert "expires" not in sections["rateLimit"]
    assert SPEC["fault"]["enabled"] is True  # type: ignore[index]  # the spec is untouched


def test_the_file_is_a_block_style_policy_template_saying_where_it_came_from() -> None:
    text = _text(templates.extract(SPEC))
    assert text.startswith("# Policy template resilient: the governance sections of "
                           "svc-user in dev/demo, saved by alice")
    data = yaml.safe_load(text)
    assert (data["apiVersion"], data["kind"]) == ("govbot.dev/v1", "PolicyTemplate")
    assert data["metadata"] == {"name": "resilient", "source": "svc-user in dev/demo"}
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert not [line for line in body if "{" in line or "[" in line]
    loaded = templates.load(text, "templates/resilient.yaml")
    assert loaded.sections == templates.extract(SPEC)
    assert loaded.summary == "rateLimit, circuitBreaker, fault, timeout, retries"


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.update(kind="ServicePolicy"), "kind:"),
    (lambda d: d.update(apiVersion="v1"), "apiVersion:"),
    (lambda d: d["metadata"].update(name="other"), "metadata.name:"),
    (lambda d: d["spec"].update(release={"canaryWeight": 20}), "spec.release:"),
    (lambda d: d["spec"].update(versions={"stable": "v1"}), "spec.versions:"),
    (lambda d: d["spec"].update(colour="blue"), "spec.colour:"),
    (lambda d: d["spec"]["circuitBreaker"].pop("interval"), "spec.circuitBreaker.interval"),
    (lambda d: d["spec"].update(timeout="soon"), "spec.timeout:"),
    (lambda d: d["spec"]["fault"].update(expires="2026-11-27T12:00:00Z"),
     "spec.fault.expires:"),
    (lambda d: d.update(spec={}), "spec:"),
    (lambda d: d.update(status="x"), "status:"),
])
def test_a_template_that_is_not_valid_names_the_field(change: object, field: str) -> None:
    data = yaml.safe_load(_text(templates.extract(SPEC)))
    change(data)  # type: ignore[operator]
    problems = templates.problems(data, "templates/resilient.yaml")
    assert any(p.startswith(field) for p in problems), problems
    with pytest.raises(InvalidDocument):
        templates.load(yaml.safe_dump(data), "templates/resilient.yaml")


def test_a_valid_template_has_no_problems() -> None:
    data = yaml.safe_load(_text(templates.extract(SPEC)))
    assert templates.problems(data, "templates/resilient.yaml") == []


@pytest.mark.parametrize("name", ["Resilient", "1st", "a_b", "x" * 54, "", "a/b"])
def test_a_template_name_is_a_short_dns_label(name: str) -> None:
    assert templates.name_problem(name) is not None


def test_names_and_paths() -> None:
    assert templates.name_problem("x" * 53) is None
    assert templates.path("resilient") == "templates/resilient.yaml"
    assert templates.name_of("templates/resilient.yaml") == "resilient"
    assert templates.name_of("templates/a/b.yaml") is None
    assert templates.name_of("services/dev/demo/svc.yaml") is None


DOCUMENT = """\
# svc-pay: payments
apiVersion: govbot.dev/v1
kind: ServicePolicy
metadata:
  name: svc-pay
  namespace: demo
  env: dev
spec:
  port: 8080   # the http port
  selector:
    app: svc-pay
  versions:
    stable: v1
    canary: v2
  timeout: 10s   # payments are slow
  circuitBreaker:
    enabled: false
    consecutive5xxErrors: 9
    interval: 1m
    baseEjectionTime: 1m
    maxConnections: 50
  autoscale:
    enabled: true
    min: 3
    max: 6
"""


def _apply(sections: dict[str, object], before: str | None = DOCUMENT) -> edit.Edit:
    intent = TemplateApply("svc-pay", "resilient", json.dumps(sections))
    return edit.apply(intent, before, "dev", "demo")


def test_applying_sets_the_sections_and_keeps_everything_else() -> None:
    done = _apply(templates.extract(SPEC))
    after = done.after_text or ""
    assert "# svc-pay: payments" in after and "port: 8080   # the http port" in after
    assert "timeout: 2s   # payments are slow" in after
    spec = document.plain(after)["spec"]
    assert spec["circuitBreaker"] == SPEC["circuitBreaker"]  # maxConnections went with it
    assert spec["retries"] == SPEC["retries"]
    assert spec["rateLimit"] == {"enabled": True, "requests": 500, "per": "5s"}
    assert spec["fault"]["enabled"] is False
    assert spec["autoscale"] == {"enabled": True, "min": 3, "max": 6}  # not in the template
    assert "release" not in spec and "routes" not in spec
    assert done.summary == ("template resilient on svc-pay: sets rateLimit, circuitBreaker, "
                            "fault, timeout, retries")


def test_applying_what_the_document_holds_changes_nothing() -> None:
    first = _apply({"timeout": "2s"}).after_text
    again = _apply({"timeout": "2s"}, first)
    assert again.after_text == first
    assert again.summary == "template resilient on svc-pay: already holds its sections"


def test_applying_to_a_new_service_creates_its_document() -> None:
    done = _apply({"timeout": "2s"}, None)
    assert document.plain(done.after_text or "")["spec"]["timeout"] == "2s"


def test_a_template_without_sections_is_refused() -> None:
    with pytest.raises(UserError, match="no sections"):
        _apply({})


def test_check_names_each_bad_file_and_skips_other_files() -> None:
    good = _text({"timeout": "2s"})
    found = templates.check({
        "templates/resilient.yaml": good,
        "templates/wrong-name.yaml": good,
        "templates/README.md": "not a template",
        "templates/nested/x.yaml": good,
    })
    assert [p.split(":")[0] for p in found] == ["templates/nested/x.yaml",
                                                "templates/wrong-name.yaml"]


def test_the_starting_templates_are_valid() -> None:
    folder = template_dir() / "templates"
    files = {f"templates/{p.name}": p.read_text() for p in folder.glob("*.yaml")}
    assert {"templates/resilient-http.yaml", "templates/protect-upstream.yaml",
            "templates/gateway-only.yaml"} <= set(files)
    assert templates.check(files) == []
    http = templates.load(files["templates/resilient-http.yaml"], "templates/resilient-http.yaml")
    assert http.sections["timeout"] == "2s"
    assert http.sections["retries"]["attempts"] == 3
    assert "5xx" in http.sections["retries"]["retryOn"]
    assert http.sections["circuitBreaker"]["consecutive5xxErrors"] == 5
    assert http.sections["circuitBreaker"]["interval"] == "30s"


@pytest.mark.parametrize("module", [templates, template_edit])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
