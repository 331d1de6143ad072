"""`document.plain` reads with LibYAML (`policies.fastyaml`) and must give exactly the data
the round-trip loader gives, and the same errors, for every document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.errors import InvalidDocument
from policies import document, fastyaml
from policies.document import new_document, to_plain

PATH = "services/prod/demo/svc-user.yaml"
TEMPLATES = Path(__file__).resolve().parents[2] / "repo_templates"

# scalars YAML 1.1 (PyYAML) and YAML 1.2 (ruamel) read differently, or that only one of
# them reads as a number, a date or a boolean
SCALARS = ["on", "off", "yes", "no", "y", "n", "On", "NO", "true", "False", "TRUE", "~",
           "null", "Null", "", "0", "-0", "+12", "012", "0o12", "0x1f", "0b101", "1_000",
           "1:30", "190:20:30", "1.5", "1.", ".5", "-.5", "1e3", "1.0e+3", "1E3", "6.8523015e+5",
           ".inf", "-.Inf", ".NaN", "2026-11-27", "2026-11-27T10:00:00Z",
           "2026-11-27 10:00:00 +01:00", "=", "<<", "1s", "500ms", "20%", "v1", "x!y",
           "'quoted'", '"0x1f"', '"yes"', "'2026-11-27'", "12345678901234567890", "3.14159"]


def _both(text: str) -> tuple[str, str]:
    """(plain's data, the round trip's data) as JSON, or the InvalidDocument of each."""
    results = []
    for read in (lambda: document.plain(text, PATH),
                 lambda: to_plain(document.load(text, PATH))):
        try:
            results.append(json.dumps(read()))
        except InvalidDocument as error:
            results.append(f"InvalidDocument {error.problems}")
    return results[0], results[1]


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_reads_as_the_round_trip_reads_it(scalar: str) -> None:
    fast, slow = _both(f"a: {scalar}\nb: [{scalar}]\n{scalar or 'c'}: 1\n")
    assert fast == slow


@pytest.mark.parametrize("text", [
    "a: |\n  one\n  two\n\nb: >-\n  folded\n  text\n",
    "a: |+\n  kept\n\n\n",
    "a: 'it''s'\nb: \"tab\\there\\u00e9\"\n",
    "# head\n---\nkind: x\n",
    "a:\r\n  b: 1\r\n",
    "a: {b: 1, c: [1, 2, {d: e}]}\n",
    "a: plain\n  continued\n  lines\n",
    "a: !!int \"3\"\n",
    "a: !custom x\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: &x 1\nb: 2\n",
    "a: 1\na: 2\n",
    "a: 1\nb:\n  c: 1\n  c: 2\n",
    "? [a]\n: b\n",
    "1: a\n1.5: b\ntrue: c\n~: d\n",
    "a: [1\n",
    "- a\n- b\n",
    "just text\n",
    "",
    "a: b: c\n",
    "a:\n\t- tab\n",
])
def test_a_document_reads_as_the_round_trip_reads_it(text: str) -> None:
    fast, slow = _both(text)
    assert fast == slow


def test_every_template_document_reads_alike() -> None:
    texts = [p.read_text("utf-8") for p in sorted(TEMPLATES.rglob("services/**/*.yaml"))]
    assert texts
    for text in [*texts, new_document("dev", "demo", "svc-a")]:
        assert _both(text)[0] == _both(text)[1]


def test_a_duplicate_key_is_reported_as_the_round_trip_reports_it() -> None:
    with pytest.raises(InvalidDocument) as raised:
        document.plain("# head\n---\nkind: x\nkind: y\n", PATH)
    assert raised.value.problems == (
        'not valid YAML: line 4 column 1: found duplicate key "kind" with value "y" '
        '(original value: "x")',)


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "a: 0x1f\n", "a: 2026-11-27\n",
                                  "a: !!str 1\n", "a: [1\n", "<<: {a: 1}\n"])
def test_the_fast_reader_declines_what_it_cannot_promise(text: str) -> None:
    with pytest.raises(fastyaml.Unsure):
        fastyaml.load(text)


def test_the_fast_reader_reads_a_plain_document() -> None:
    data = fastyaml.load(new_document("dev", "demo", "svc-a") + "  ratio: 0.5\n  on: yes\n")
    assert data["spec"]["port"] == 8080 and data["spec"]["ratio"] == 0.5
    assert data["spec"]["on"] == "yes"
