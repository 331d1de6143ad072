"""What govbot writes never holds YAML anchors or aliases: rendered objects whose routes
repeat a timeout, retries and a fault, and policy documents an edit puts a value twice in."""

from __future__ import annotations

import yaml
from ruamel.yaml.comments import CommentedMap

from policies import document, render
from policies.edit import apply
from policies.intents import Route, Timeout

PATH = "services/prod/demo/svc-user.yaml"


def test_rendered_routes_repeat_their_settings_without_aliases() -> None:
    text: str | None = None
    for intent in (Route("svc-user", "header", "user", "a", version="v2"),
                   Route("svc-user", "cookie", "user", "b", version="v2"),
                   Timeout("svc-user", "set", "3s", attempts=2, per_try="1s", retry_on="5xx")):
        text = apply(intent, text, "prod", "demo").after_text
    assert text is not None
    data = document.plain(text)
    data["spec"]["fault"] = {"enabled": True, "abort": {"httpStatus": 503, "percent": 1}}
    (vs,) = [o for o in render.render(data, PATH) if o["kind"] == "VirtualService"]
    assert len(vs["spec"]["http"]) == 3
    dumped = yaml.safe_dump(vs, sort_keys=False)
    assert "&id" not in dumped and "*id" not in dumped
    assert dumped.count("perTryTimeout: 1s") == 3
    assert dumped.count("httpStatus: 503") == 3


def test_a_document_never_holds_an_alias() -> None:
    doc = document.load(document.new_document("prod", "demo", "svc-user"))
    shared = CommentedMap(attempts=2, perTryTimeout="1s")
    doc["spec"]["retries"] = shared
    doc["spec"]["other"] = shared
    text = document.dump(doc)
    assert "&" not in text and "*" not in text
    assert text.count("perTryTimeout: 1s") == 2
