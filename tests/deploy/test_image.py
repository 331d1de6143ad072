"""The Dockerfile and .dockerignore, read as text: there is no container engine to build
with, so these hold what a build would rely on — the stages, the non-root uid the
Kubernetes manifests run as, the health check, the embedded OPA engine pinned as the
Makefile pins it, and a build context that carries no local state or secrets.
"""

from __future__ import annotations

import fnmatch
import json
import re

from tests.deploy.support import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def runtime() -> list[tuple[str, str]]:
    """The instructions of the last stage, the image that runs."""
    steps = instructions()
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def dockerfile_uid() -> int:
    users = [rest for word, rest in runtime() if word == "USER"]
    assert len(users) == 1, users
    return int(users[0].split(":")[0])


def test_the_image_runs_govbot_serve_as_a_fixed_non_root_uid() -> None:
    assert dockerfile_uid() >= 1000
    steps = dict(runtime())
    assert json.loads(steps["ENTRYPOINT"]) == ["govbot"]
    assert json.loads(steps["CMD"])[0] == "serve"
    assert "/healthz" in steps["HEALTHCHECK"]
    assert re.search(r"apt-get install .*\bgit\b", steps["RUN"])


def test_two_stages_and_only_the_environment_is_copied_across() -> None:
    steps = instructions()
    assert sum(word == "FROM" for word, _ in steps) == 2
    copies = [rest for word, rest in runtime() if word == "COPY"]
    assert copies and all(rest.startswith("--from=builder ") for rest in copies)


def test_the_opa_engine_is_pinned_as_the_makefile_pins_it() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pinned = re.search(r"^OPA_BINDINGS := (\S+)", makefile, re.MULTILINE)
    assert pinned
    install = [rest for word, rest in instructions() if word == "RUN" and pinned[1] in rest]
    assert install and "--ignore-requires-python --no-deps" in install[0]


def test_the_build_context_has_what_copy_needs_and_no_local_state() -> None:
    ignored = [line.strip() for line in
               (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]

    def excluded(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in ignored)

    for secret in (".env", ".git", ".venv", ".govbot"):
        assert excluded(secret), secret
    for word, rest in instructions():
        if word == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists() and not excluded(source), source
