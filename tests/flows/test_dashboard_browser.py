"""The dashboard in a real browser (headless Chromium through Selenium), on a real
`govbot serve`: a change opened and approved in the console chat, then its /dashboard
link followed; an expired or forged link refused; no prod namespace for someone whose
grants stop at dev. Each view's screenshot is saved under tests/artifacts/."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.types import Author
from bot.repo.git import PolicyRepo
from bot.runners.links import sign
from policies.document import new_document, service_path
from tests.support.served import served_at

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SECRET = "browser-story-secret"
ALERT_TOKEN = "browser-story-alerts"
SCRIPT = "<script>document.title='owned'</script>"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: "
                                "pip install -e '.[test]'")
if not (CHROMIUM.exists() and DRIVER.exists()):
    pytest.skip(f"THE BROWSER STORY DID NOT RUN: {CHROMIUM} or {DRIVER} is missing "
                "(apt-get install chromium chromium-driver)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(home: Path, base: str) -> dict[str, str]:
    return {**os.environ, "GOVBOT_HOME": str(home), "GOVBOT_PUBLIC_URL": base,
            "GOVBOT_DASHBOARD_SECRET": SECRET, "GOVBOT_ALERTMANAGER_TOKEN": ALERT_TOKEN}


def _shell(env: dict[str, str], lines: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bot", "shell"], cwd=REPO_ROOT, env=env,
                          input=lines, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _grants_stop_at_dev_for_the_team(home: Path) -> None:
    """As a reviewed pull request would: the team's grant covers dev only, and prod/demo
    holds a service."""
    repo = PolicyRepo(home / "policy.git")
    old = repo.head("main")
    access = repo.read(old, "access.yaml") or ""
    narrowed = access.replace("envs: [dev, prod]\n    namespaces: [demo]",
                              "envs: [dev]\n    namespaces: [demo]", 1)
    assert narrowed != access, "the default access.yaml changed; update this story"
    files: dict[str, str | None] = {
        "access.yaml": narrowed,
        service_path("prod", "demo", "svc-pay"): new_document("prod", "demo", "svc-pay")}
    repo.set_ref("main", repo.commit(old, files, Author("Platform Team", "p@example.com"),
                                     "the team requests in dev only"), old=old)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(tmp_path / "home", base)
    _shell(env, "/help\n")  # the embedded default: the policy repository is created
    _grants_stop_at_dev_for_the_team(tmp_path / "home")
    log = tmp_path / "serve.log"
    with log.open("w") as written:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)],
                                   cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=written, text=True)
    served_at(log, process)
    try:
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def browser() -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=str(DRIVER)))
    yield driver
    driver.quit()


def _shot(driver: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))  # type: ignore[attr-defined]


def _text(driver: object) -> str:
    return str(driver.find_element("tag name", "body").text)  # type: ignore[attr-defined]


def browser_row(driver: object, starting: str) -> str:
    """The text of the history table's row about a change."""
    rows = driver.find_elements("css selector", "#changes tbody tr")  # type: ignore[attr-defined]
    return next(str(r.text) for r in rows if str(r.text).startswith(starting))


def _alert(base: str) -> None:
    """One firing alert about svc-order through Alertmanager's webhook, its summary
    carrying a script tag."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alert = {"status": "firing", "startsAt": now, "fingerprint": "f1",
             "labels": {"alertname": "HighErrors", "env": "dev", "namespace": "demo",
                        "service": "svc-order", "response_code": "503",
                        "source_workload": "svc-user"},
             "annotations": {"summary": f"errors on svc-order {SCRIPT}"}}
    body = json.dumps({"version": "4", "status": "firing", "alerts": [alert]}).encode()
    request = urllib.request.Request(f"{base}/alerts", data=body, method="POST", headers={
        "Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202


def _until(driver: object, url: str, shown: str) -> str:
    """The page's text once it shows `shown` (the alert is handled after its 202)."""
    deadline = time.monotonic() + 30
    while True:
        driver.get(url)  # type: ignore[attr-defined]
        text = _text(driver)
        if shown in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_dashboard_story_in_a_browser(served: tuple[str, dict[str, str]],
                                          browser: object) -> None:
    base, env = served
    said = _shell(env, "/canary svc-order 20%\nbob: /approve 1\n/dashboard\n")
    assert "merged" in said, said
    _alert(base)
    link = re.search(r"(http://127\.0\.0\.1:\d+/ui/login\?token=\S+)", said)
    assert link is not None, said
    driver = browser
    driver.get(link.group(1))  # type: ignore[attr-defined]
    assert driver.current_url == f"{base}/ui/"  # type: ignore[attr-defined]
    index = _text(driver)
    assert "demo" in index and "prod" not in index  # alice's grants stop at dev
    _shot(driver, "namespaces")
    driver.get(f"{base}/ui/dev/demo/")  # type: ignore[attr-defined]
    assert "svc-order" in _text(driver)
    _shot(driver, "namespace")
    page = _until(driver, f"{base}/ui/dev/demo/svc-order", "errors on svc-order")
    assert "release: canary, 80% to v1, 20% to v2" in page
    assert "#1 canary svc-order 0% → 20%" in page and "merged" in page
    row = browser_row(driver, "#1 canary")
    assert "alice" in row and "bob" in row  # requester and approver
    assert f"errors on svc-order {SCRIPT}" in page  # shown as text, never run
    assert driver.title != "owned"  # type: ignore[attr-defined]
    assert "alert 1" in page  # the chart's legend
    assert "branch change/1-svc-order of the local repository" in page  # the pull request
    _shot(driver, "service")
    for view in ("changes", "events"):
        driver.get(f"{base}/ui/{view}")  # type: ignore[attr-defined]
        _shot(driver, view)
    assert _status(f"{base}/ui/prod/demo/") == 403  # urllib has no session at all
    driver.get(f"{base}/ui/prod/demo/svc-pay")  # type: ignore[attr-defined]
    assert "svc-pay" not in _text(driver) and "not one your grants cover" in _text(driver)


def test_expired_and_forged_links_are_refused_in_a_browser(
        served: tuple[str, dict[str, str]], browser: object) -> None:
    base, _env = served
    expired = sign(SECRET.encode(), "login", "alice", int(time.time()) - 60)
    forged = sign(b"another key", "login", "alice", int(time.time()) + 3600)
    for token in (expired, forged):
        url = f"{base}/ui/login?token={token}"
        assert _status(url) == 403
        browser.get(url)  # type: ignore[attr-defined]
        assert "this link is not valid" in _text(browser)
        browser.get(f"{base}/ui/")  # type: ignore[attr-defined]
        assert "no session" in _text(browser)
    _shot(browser, "refused")
