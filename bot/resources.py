"""Where govbot's own data lives: the Rego guardrails and the policy-repo templates.

In a wheel they are package data under `bot/data/`; in a source checkout they are the
top-level `rego/` and `repo_templates/` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DATA = Path(__file__).resolve().parent / "data"
_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _find(name: str) -> Path:
    for base in (_PACKAGE_DATA, _SOURCE_ROOT):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"govbot's {name}/ folder is missing from {_PACKAGE_DATA} and {_SOURCE_ROOT}")


def rego_dir() -> Path:
    """The guardrails shipped with govbot (copied into every new policy repository)."""
    return _find("rego")


def template_dir(name: str = "default") -> Path:
    """A policy-repository template."""
    return _find("repo_templates") / name


def template_files(name: str = "default") -> dict[str, str]:
    """Every file a new policy repository starts with: the template plus `rego/`."""
    files: dict[str, str] = {}
    for root, prefix in ((template_dir(name), ""), (rego_dir(), "rego/")):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[prefix + path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files
