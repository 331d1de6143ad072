"""Change freeze windows (policies/freeze.py): what `govbot check` says of a bad one, and
where the good ones fall on the calendar. That the guard decides the same is held by
tests/guard/test_freeze_guard.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import check_repository
from bot.config import RepoConfig
from bot.config_checks import config_problems
from bot.scaffold import init_repository
from policies import freeze

TEMPLATE = Path(__file__).resolve().parents[2] / "repo_templates" / "default"
CONFIG = yaml.safe_load((TEMPLATE / "govbot.yaml").read_text())
ACCESS = yaml.safe_load((TEMPLATE / "access.yaml").read_text())
YEAR_END = {"name": "year-end", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00",
            "timeZone": "Asia/Shanghai"}
WEEKEND = {"name": "weekend", "every": "friday 18:00", "until": "monday 08:00",
           "timeZone": "Asia/Shanghai"}


def _problems(*windows: Any) -> list[str]:
    config = yaml.safe_load((TEMPLATE / "govbot.yaml").read_text())
    config["environments"]["prod"]["freezes"] = list(windows)
    return config_problems(config, ACCESS)


def test_declared_windows_are_clean() -> None:
    assert _problems(YEAR_END, WEEKEND) == []


@pytest.mark.parametrize(("window", "path", "words"), [
    ({**WEEKEND, "every": "fryday 18:00"}, "freezes[1].every", "'fryday' is not a weekday"),
    ({**WEEKEND, "until": "monday 8"}, "freezes[1].until", "weekday and time such as"),
    ({**WEEKEND, "until": "friday 18:00"}, "freezes[1].until", "needs an end after"),
    ({**WEEKEND, "timeZone": "Asia/Shangai"}, "freezes[1].timeZone", "not a time zone"),
    ({**WEEKEND, "timezone": "UTC"}, "freezes[1].timezone", "unknown; use name"),
    ({**WEEKEND, "name": " "}, "freezes[1].name", "does not name the window"),
    ({**WEEKEND, "name": "year-end"}, "freezes[1].name", "names an earlier window"),
    ({**WEEKEND, "from": "2026-12-24 00:00"}, "freezes[1]:", "either from and to"),
    ({"name": "weekend", "timeZone": "UTC"}, "freezes[1]:", "either from and to"),
    ({**YEAR_END, "name": "x", "to": "2026-12-23 08:00"}, "freezes[1].to", "not after from"),
    ({**YEAR_END, "name": "x", "from": "2026-02-30 00:00"}, "freezes[1].from", "not a date"),
    ({**YEAR_END, "name": "x", "from": "24.12.2026"}, "freezes[1].from", "not a date"),
    ("weekend", "freezes[1]:", "not a mapping"),
])
def test_each_problem_names_its_path(window: Any, path: str, words: str) -> None:
    problems = _problems(YEAR_END, window)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"govbot.yaml environments.prod.{path}"), problems
    assert words in problems[0], problems


def test_an_unquoted_date_is_refused() -> None:
    # YAML reads 2026-12-24 as a date, not as text
    config = yaml.safe_load("from: 2026-12-24\n")
    problems = _problems({**YEAR_END, "from": config["from"]})
    assert problems and "freezes[0].from" in problems[0] and "in quotes" in problems[0]


def test_freezes_must_be_a_list() -> None:
    assert _problems() == []
    config = yaml.safe_load((TEMPLATE / "govbot.yaml").read_text())
    config["environments"]["prod"]["freezes"] = {"name": "weekend"}
    assert any("environments.prod.freezes: not a list" in p
               for p in config_problems(config, ACCESS))


def test_govbot_check_reports_a_bad_window(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    init_repository(repo)
    config = yaml.safe_load((repo / "govbot.yaml").read_text())
    config["environments"]["prod"]["freezes"] = [YEAR_END, {**WEEKEND, "every": "funday 18:00"}]
    (repo / "govbot.yaml").write_text(yaml.safe_dump(config))
    report = check_repository(repo)
    assert not report.ok
    assert any("environments.prod.freezes[1].every" in p for p in report.problems)


def test_the_config_reads_only_the_good_windows() -> None:
    config = {**CONFIG, "environments": {**CONFIG["environments"], "prod": {
        **CONFIG["environments"]["prod"],
        "freezes": [YEAR_END, {**WEEKEND, "every": "funday 18:00"}]}}}
    windows = RepoConfig.parse(config, ACCESS).freezes("prod")
    assert [w.name for w in windows] == ["year-end"]
    assert RepoConfig.parse(CONFIG, ACCESS).freezes("dev") == ()


def test_a_fixed_window_is_current_from_its_start_until_its_end() -> None:
    windows = freeze.read([YEAR_END])
    start = datetime(2026, 12, 23, 16, 0, tzinfo=UTC)     # 2026-12-24 00:00 in Shanghai
    assert freeze.current(windows, start.replace(second=0)) != []
    assert freeze.current(windows, datetime(2026, 12, 23, 15, 59, 59, tzinfo=UTC)) == []
    end = datetime(2027, 1, 2, 0, 0, tzinfo=UTC)
    assert freeze.current(windows, end) == []
    [next_one] = freeze.upcoming(windows, datetime(2026, 12, 1, tzinfo=UTC))
    assert next_one.label() == ("2026-12-24 00:00 → 2027-01-02 08:00 Asia/Shanghai "
                                "(2026-12-23 16:00 → 2027-01-02 00:00 UTC)")
    assert freeze.upcoming(windows, start) == []


def test_a_weekly_window_wraps_the_week() -> None:
    windows = freeze.read([WEEKEND])
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)    # Sunday 20:00 in Shanghai
    [now] = freeze.current(windows, sunday)
    assert (freeze.wall_text(now.start), freeze.wall_text(now.end)) == (
        "2026-11-27 18:00", "2026-11-30 08:00")
    [coming] = freeze.upcoming(windows, sunday)
    assert freeze.wall_text(coming.start) == "2026-12-04 18:00"
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert not freeze.frozen(windows, wednesday)
    assert freeze.wall_text(freeze.upcoming(windows, wednesday)[0].start) == "2026-11-27 18:00"


def test_utc_is_shown_across_a_daylight_saving_change() -> None:
    night = {"name": "night", "every": "saturday 22:00", "until": "sunday 04:00",
             "timeZone": "Europe/Berlin"}
    # Berlin leaves summer time on Sunday 2026-10-25 at 03:00: the window is 7 hours long
    [occurrence] = freeze.upcoming(freeze.read([night]), datetime(2026, 10, 20, tzinfo=UTC))
    assert occurrence.label() == ("2026-10-24 22:00 → 2026-10-25 04:00 Europe/Berlin "
                                  "(2026-10-24 20:00 → 2026-10-25 03:00 UTC)")


def test_the_templates_commented_example_is_clean_once_uncommented() -> None:
    text = (TEMPLATE / "govbot.yaml").read_text()
    lines = text.splitlines()
    start = lines.index("    # freezes:")
    block = []
    for line in lines[start:]:
        if not line.startswith("    #"):
            break
        block.append("    " + line[len("    # "):])
    uncommented = "\n".join([*lines[:start], *block, *lines[start + len(block):]])
    config = yaml.safe_load(uncommented)
    assert [w.name for w in RepoConfig.parse(config, ACCESS).freezes("prod")] == [
        "year-end", "weekend"]
    assert config_problems(config, ACCESS) == []
