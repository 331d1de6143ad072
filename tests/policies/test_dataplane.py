"""The govbot.yaml edit of /mesh: one line changes, every comment and layout stays."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml

from bot.core.errors import InvalidDocument
from policies.dataplane import switch

TEMPLATE = (Path(__file__).resolve().parents[2] / "repo_templates" / "default"
            / "govbot.yaml").read_text()


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
            if line.startswith(("+ ", "- "))]


def test_the_templates_commented_example_becomes_the_line_in_place() -> None:
    after = switch(TEMPLATE, "dev", "demo", "ambient")
    assert _changed(TEMPLATE, after) == ["-         # mesh: ambient", "+         mesh: ambient"]
    lines = after.splitlines()
    above = lines[lines.index("        mesh: ambient") - 1]
    assert above.startswith("        # ") and not re.match(r"\s*#\s*mesh\s*:", above)
    assert yaml.safe_load(after)["environments"]["dev"]["namespaces"]["demo"] == {
        "maxReplicas": 20, "mesh": "ambient"}
    # nothing left to uncomment into a second `mesh:`
    assert after.count("mesh: ") == after.count("mesh: ambient\n") == 1


def test_without_an_example_the_line_lands_below_the_namespaces_last_key() -> None:
    after = switch(TEMPLATE, "prod", "demo", "ambient")
    assert _changed(TEMPLATE, after) == ["+         mesh: ambient"]
    lines = after.splitlines()
    assert lines[lines.index("        mesh: ambient") - 1] == "        maxReplicas: 20"
    assert yaml.safe_load(after)["environments"]["prod"]["namespaces"]["demo"] == {
        "maxReplicas": 20, "mesh": "ambient"}


def test_comment_lines_around_an_example_keep_their_places() -> None:
    text = ("environments:\n  dev:\n    namespaces:\n      demo:\n"
            "        maxReplicas: 20  # ceiling\n        # the data plane\n"
            "        # mesh: sidecar\n        # quota: {cpu: 8}\n      shop: {}\n")
    after = switch(text, "dev", "demo", "ambient")
    assert after == text.replace("        # mesh: sidecar\n", "        mesh: ambient\n")


def test_an_example_at_another_indentation_is_not_this_namespaces() -> None:
    text = ("environments:\n  dev:\n    namespaces:\n      demo:\n"
            "        maxReplicas: 20\n    # mesh: ambient (set per namespace)\n"
            "    limits: {}\n")
    after = switch(text, "dev", "demo", "ambient")
    assert _changed(text, after) == ["+         mesh: ambient"]


def test_a_mode_already_written_is_replaced_in_place() -> None:
    text = ("environments:\n  dev:\n    namespaces:\n"
            "      demo: {mesh: ambient, maxReplicas: 5}  # switched in May\n")
    assert switch(text, "dev", "demo", "sidecar") == text.replace("ambient", "sidecar")


def test_an_end_of_line_comment_stays_on_its_line() -> None:
    text = ("environments:\n  dev:\n    namespaces:\n      demo:\n"
            "        maxReplicas: 20  # ceiling\n      # the next namespace\n"
            "      shop: {}\n")
    after = switch(text, "dev", "demo", "ambient")
    assert "        maxReplicas: 20  # ceiling\n        mesh: ambient\n" in after
    assert _changed(text, after) == ["+         mesh: ambient"]


def test_an_empty_namespace_entry_becomes_a_mapping() -> None:
    after = switch("environments:\n  dev:\n    namespaces:\n      demo:\n", "dev", "demo",
                   "ambient")
    assert yaml.safe_load(after)["environments"]["dev"]["namespaces"]["demo"] == {
        "mesh": "ambient"}


@pytest.mark.parametrize(("env", "namespace", "mode"), [
    ("qa", "demo", "ambient"), ("dev", "shop", "ambient"), ("dev", "demo", "istio")])
def test_what_cannot_be_switched_is_refused(env: str, namespace: str, mode: str) -> None:
    with pytest.raises(InvalidDocument):
        switch(TEMPLATE, env, namespace, mode)
