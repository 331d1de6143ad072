"""`bot.core.yamlcheck.check` refuses aliases, deep nesting and too many nodes whether or
not a text is short and plain enough to skip the parser's walk."""

from __future__ import annotations

import pytest
import yaml

from bot.core.yamlcheck import MAX_DEPTH, HostileYaml, check
from bot.resources import template_files


def _indented(levels: int) -> str:
    """A block mapping `levels` deep, written with indentation alone (one `:` a level)."""
    return "".join(f"{' ' * level}k{level}:\n" for level in range(levels - 1)) + \
        f"{' ' * (levels - 1)}k: v\n"


def test_nesting_by_indentation_alone_is_bounded_like_brackets() -> None:
    check(_indented(MAX_DEPTH), "ok.yaml")
    with pytest.raises(HostileYaml, match="nested more than 64 levels deep"):
        check(_indented(MAX_DEPTH + 1), "deep.yaml")
    with pytest.raises(HostileYaml, match="nested more than 64 levels deep"):
        check("- " * (MAX_DEPTH + 1) + "x\n", "deep.yaml")


def test_a_short_alias_is_refused_and_a_star_in_a_string_is_not() -> None:
    with pytest.raises(HostileYaml, match=r"line 2: YAML aliases \(\*x\)"):
        check("a: &x 1\nb: *x\n", "a.yaml")
    check('hosts: ["*.example.com"]\n', "hosts.yaml")


def test_too_many_nodes_in_a_long_flow_list_are_refused() -> None:
    text = "[" + ",".join(["1"] * 60_000) + "]"
    with pytest.raises(HostileYaml, match="more than 50000 YAML nodes"):
        check(text, "long.yaml", max_nodes=50_000)


def test_every_template_document_passes() -> None:
    for name, text in template_files().items():
        if name.endswith((".yaml", ".yml")):
            check(text, name)
            assert yaml.safe_load(text) is not None or text.strip() == "", name
