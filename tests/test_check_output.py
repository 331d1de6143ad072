"""`govbot check` says each problem once, in people's words, without follow-on noise."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.check import check_repository
from bot.resources import rego_dir, template_dir


def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(template_dir(), root)
    shutil.copytree(rego_dir(), root / "rego")
    return root


def test_a_rego_syntax_error_is_reported_once(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    with (root / "rego" / "rules" / "release.rego").open("a") as rego:
        rego.write("this is not rego\n")
    report = check_repository(root)
    assert report.tests_failed > 10 and len(report.problems) == 1, report.problems
    assert "release.rego" in report.problems[0] and "could not pass" in report.problems[0]


def test_a_broken_govbot_yaml_is_one_problem_with_its_line(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    with (root / "govbot.yaml").open("a") as config:
        config.write("  bogus: [\n")
    report = check_repository(root)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("govbot.yaml: not valid YAML: line ")
    assert "<unicode string>" not in report.problems[0]


def test_an_unknown_regex_class_and_a_long_repeat_are_refused(tmp_path: Path) -> None:
    from bot.core.errors import UsageError
    from commands import parse

    for pattern in ("[[:foo:]]", "a{1001}", "(", "a**"):
        try:
            parse(f"/route svc-user header x-a={pattern} regex -> v2")
        except UsageError as error:
            assert "position" not in str(error) and "subpattern" not in str(error), error
        else:
            raise AssertionError(f"{pattern} was accepted")
