"""The capability matrix people read (README.md, docs/ambient.md) is the one govbot
holds (`policies.mesh.CAPABILITIES`)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from policies.mesh import CAPABILITIES

ROOT = Path(__file__).resolve().parents[1]


def _rows(text: str) -> list[tuple[str, ...]]:
    """The rows of the markdown table headed `| policy | sidecar | ambient |`."""
    lines = text.splitlines()
    start = lines.index("| policy | sidecar | ambient |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(html.unescape(cell.strip()) for cell in line.strip("|").split("|")))
    return rows


@pytest.mark.parametrize("page", ["README.md", "docs/ambient.md"])
def test_the_page_shows_the_matrix_govbot_holds(page: str) -> None:
    assert _rows((ROOT / page).read_text()) == list(CAPABILITIES)
