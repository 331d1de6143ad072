"""A govbot with its dashboard, spoken to over WSGI as a browser would (no server)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import build
from bot.chat import WsgiApp
from bot.core.events import Answer
from bot.settings import Settings
from bot.web.app import dashboard_app
from tests.conftest import FIXED_NOW, Govbot

PUBLIC = "https://govbot.example.com"


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: str


@dataclass
class Dashboard:
    bot: Govbot
    app: WsgiApp

    def get(self, path: str, *, cookie: str = "", method: str = "GET",
            remote: str = "127.0.0.1", headers: Mapping[str, str] | None = None) -> Page:
        parts = urlsplit(path)
        environ = {"REQUEST_METHOD": method, "PATH_INFO": parts.path,
                   "QUERY_STRING": parts.query, "REMOTE_ADDR": remote,
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
                   "HTTP_COOKIE": cookie}
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        answer: dict[str, object] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            answer["status"], answer["headers"] = status, headers

        body = b"".join(self.app(environ, start_response))
        pairs = answer["headers"]
        assert isinstance(pairs, list)
        return Page(int(str(answer["status"]).split()[0]), dict(pairs),
                    [v for k, v in pairs if k == "Set-Cookie"], body.decode())

    def link(self, user: str = "alice") -> str:
        """The path of the /dashboard link `user` is given in chat."""
        reply = self.bot.one("/dashboard", user)
        assert isinstance(reply, Answer) and reply.private, reply
        parts = urlsplit(reply.text.rsplit(" ", 1)[-1])
        assert parts.path == "/ui/login" and parts.query.startswith("token="), reply.text
        return f"{parts.path}?{parts.query}"

    def session(self, user: str = "alice") -> str:
        """The session cookie (`name=value`) a browser keeps after following the link."""
        page = self.get(self.link(user))
        assert page.status == 303, page
        return page.cookies[0].split(";", 1)[0]


def token_of(path: str) -> str:
    return parse_qs(urlsplit(path).query)["token"][0]


def dashboard_of(home: Path, env: Mapping[str, str] | None = None) -> Dashboard:
    settings = Settings.from_env({"GOVBOT_HOME": str(home), "GOVBOT_PUBLIC_URL": PUBLIC,
                                  **(env or {})})
    bot = Govbot(build(settings, clock=lambda: FIXED_NOW), home)
    return Dashboard(bot, dashboard_app(bot.app.workflow.context, settings.dashboard))


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Dashboard]:
    found = dashboard_of(tmp_path / "home")
    yield found
    found.bot.app.close()
