"""What YAML makes of an unquoted window time is named with the text to write instead."""

from __future__ import annotations

import yaml

from policies import freeze


def test_an_unquoted_timestamp_is_named_with_its_quoted_form() -> None:
    window = yaml.safe_load("{name: year-end, from: 2026-12-24 08:30:00, to: 2027-01-02}")
    problems = freeze.problems([window], "environments.prod.freezes")
    assert problems == [
        "environments.prod.freezes[0].from: 2026-12-24 08:30:00 is a YAML timestamp, not the "
        'text of a date and time; write "2026-12-24 08:30" in quotes',
        "environments.prod.freezes[0].to: 2027-01-02 is a date without a time; write "
        '"2027-01-02 00:00" in quotes'], problems
    assert freeze.read([window]) == ()
