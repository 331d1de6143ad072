"""Who may look: signed links, session cookies, the trusted proxy, and the headers every
answer carries. Nothing here writes, and nothing is shown without a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runners.links import sign
from bot.server import router
from bot.web.http import CSP
from policies.document import service_path
from tests.conftest import FIXED_NOW, SEEDER
from tests.web.conftest import Dashboard, dashboard_of, token_of

PAGES = ("/ui/", "/ui/dev/demo/", "/ui/dev/demo/svc-user", "/ui/changes", "/ui/events",
         "/ui/events.csv")


def _key(dashboard: Dashboard) -> bytes:
    return dashboard.bot.app.workflow.context.links.key


def test_a_link_signs_in_with_a_cookie_no_script_can_read(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    landing = dashboard.get(dashboard.link())
    assert landing.status == 303 and landing.headers["Location"] == "/ui/"
    flags = [f.strip() for f in landing.cookies[0].split(";")]
    assert {"HttpOnly", "SameSite=Lax", "Path=/ui/", "Secure"} <= set(flags)
    cookie = landing.cookies[0].split(";", 1)[0]
    page = dashboard.get("/ui/dev/demo/", cookie=cookie)
    assert page.status == 200 and "svc-user" in page.body


def test_the_cookie_is_not_secure_over_plain_http(tmp_path: Path) -> None:
    plain = dashboard_of(tmp_path / "home", {"GOVBOT_PUBLIC_URL": "http://localhost:8080"})
    try:
        landing = plain.get(plain.link())
        assert landing.status == 303 and "Secure" not in landing.cookies[0]
    finally:
        plain.bot.app.close()


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_data_without_a_session(dashboard: Dashboard, page: str) -> None:
    dashboard.bot.seed("svc-user")
    answer = dashboard.get(page)
    assert answer.status == 403
    assert "svc-user" not in answer.body and "/dashboard" in answer.body


def test_a_forged_link_is_refused(dashboard: Dashboard) -> None:
    token = token_of(dashboard.link())
    person, expires, mac = token.split(".")
    forged = f"{person}.{expires}.{'0' * len(mac)}"
    answer = dashboard.get(f"/ui/login?token={forged}")
    assert answer.status == 403 and answer.cookies == []


def test_a_link_moved_to_another_person_or_a_later_time_is_refused(
        dashboard: Dashboard) -> None:
    bob = token_of(dashboard.link("bob"))
    alice = token_of(dashboard.link("alice"))
    swapped = ".".join([alice.split(".")[0], *bob.split(".")[1:]])
    later = ".".join([bob.split(".")[0], str(int(bob.split(".")[1]) + 3600),
                      bob.split(".")[2]])
    for token in (swapped, later):
        assert dashboard.get(f"/ui/login?token={token}").status == 403


def test_an_expired_link_is_refused(dashboard: Dashboard) -> None:
    expired = sign(_key(dashboard), "login", "alice", int(FIXED_NOW.timestamp()) - 1)
    answer = dashboard.get(f"/ui/login?token={expired}")
    assert answer.status == 403 and answer.cookies == []


def test_a_session_cookie_is_no_login_link_and_a_login_link_no_cookie(
        dashboard: Dashboard) -> None:
    session = dashboard.session().split("=", 1)[1]
    assert dashboard.get(f"/ui/login?token={session}").status == 403
    login = token_of(dashboard.link())
    assert dashboard.get("/ui/", cookie=f"govbot_session={login}").status == 403


def test_a_link_of_someone_who_left_access_yaml_is_refused(dashboard: Dashboard) -> None:
    stranger = sign(_key(dashboard), "login", "mallory", int(FIXED_NOW.timestamp()) + 60)
    assert dashboard.get(f"/ui/login?token={stranger}").status == 403


@pytest.mark.parametrize("page", [*PAGES, "/ui/dashboard.css", "/ui/login?token=x",
                                  "/ui/nowhere"])
def test_every_answer_carries_the_strict_headers(dashboard: Dashboard, page: str) -> None:
    dashboard.bot.seed("svc-user")
    for cookie in ("", dashboard.session()):
        headers = dashboard.get(page, cookie=cookie).headers
        assert headers["Content-Security-Policy"] == CSP
        assert "script-src" not in CSP and "default-src 'none'" in CSP
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_nothing_is_written_through_the_dashboard(dashboard: Dashboard, method: str) -> None:
    cookie = dashboard.session()
    answer = dashboard.get("/ui/changes", cookie=cookie, method=method)
    assert answer.status == 405 and answer.headers["Allow"] == "GET, HEAD"


def test_head_answers_headers_only(dashboard: Dashboard) -> None:
    answer = dashboard.get("/ui/", cookie=dashboard.session(), method="HEAD")
    assert answer.status == 200 and answer.body == ""


PROXY = {"GOVBOT_DASHBOARD_TRUSTED_HEADER": "X-Auth-Request-Email",
         "GOVBOT_DASHBOARD_TRUSTED_PROXIES": "10.0.0.0/8"}


def test_a_trusted_proxy_names_the_person_by_email(tmp_path: Path) -> None:
    proxied = dashboard_of(tmp_path / "home", PROXY)
    try:
        header = {"X-Auth-Request-Email": "Alice@example.com"}
        page = proxied.get("/ui/", remote="10.1.2.3", headers=header)
        assert page.status == 200 and "Alice Wang" in page.body
        assert proxied.get("/ui/", remote="192.168.1.9", headers=header).status == 403
        unknown = {"X-Auth-Request-Email": "eve@example.com"}
        assert proxied.get("/ui/", remote="10.1.2.3", headers=unknown).status == 403
    finally:
        proxied.bot.app.close()


def test_without_a_grant_for_prod_no_prod_namespace_is_shown(dashboard: Dashboard) -> None:
    bot = dashboard.bot
    bot.seed("svc-user")
    bot.seed("svc-user", env="prod")
    repo = bot.app.repo
    access = repo.read("main", "access.yaml")
    assert access is not None and "envs: [dev, prod]\n    namespaces: [demo]" in access
    only_dev = access.replace("envs: [dev, prod]\n    namespaces: [demo]",
                              "envs: [dev]\n    namespaces: [demo]", 1)
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {"access.yaml": only_dev}, SEEDER, "dev only"),
                 old=old)
    alice = dashboard.session("alice")
    index = dashboard.get("/ui/", cookie=alice).body
    assert "/ui/dev/demo/" in index and "/ui/prod/" not in index
    assert dashboard.get("/ui/prod/demo/", cookie=alice).status == 404
    assert dashboard.get("/ui/prod/demo/svc-user", cookie=alice).status == 404
    bob = dashboard.session("bob")  # sre: approve grants everywhere
    assert "/ui/prod/demo/" in dashboard.get("/ui/", cookie=bob).body
    assert repo.read("main", service_path("prod", "demo", "svc-user")) is not None


def test_serve_mounts_the_dashboard_under_ui(dashboard: Dashboard) -> None:
    routes = {"/ui/": dashboard.app, "/ui": dashboard.app}
    app = router(routes)
    cookie = dashboard.session()
    statuses: list[str] = []
    for path in ("/ui", "/ui/", "/ui/dev/demo/"):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
                   "HTTP_COOKIE": cookie, "REMOTE_ADDR": "127.0.0.1"}
        b"".join(app(environ, lambda status, _headers: statuses.append(status)))
    assert statuses == ["200 OK"] * 3
