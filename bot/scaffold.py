"""`govbot init DIR`: a new policy repository with a working tree, ready to push to a forge.

The files come from the template (`repo_templates/default/`) plus govbot's `rego/`; the
first commit is authored by govbot so that nothing depends on the user's git identity.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot import resources
from bot.core.errors import UserError


def init_repository(target: Path, template: str = "default") -> list[str]:
    """Write the template into `target` (absent or empty) and commit it on `main`."""
    if target.exists() and any(target.iterdir()):
        raise UserError(f"{target} is not empty; govbot init needs a new or empty folder")
    files = resources.template_files(template)
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "govbot", "GIT_AUTHOR_EMAIL": "govbot@localhost",
           "GIT_COMMITTER_NAME": "govbot", "GIT_COMMITTER_EMAIL": "govbot@localhost",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["commit", "-q", "-m", "initial policy repository"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True, capture_output=True)
    return sorted(files)
