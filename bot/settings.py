"""Settings: the only module that reads `GOVBOT_*` environment variables.

Each port gets a small frozen dataclass; `Settings.from_env()` builds them all with
defaults that serve the embedded setup (console chat, local forge, embedded OPA engine,
SQLite, rendered manifests in a directory), so `govbot shell` needs no configuration.
Every variable, its default and its meaning are declared in `bot.variables`, and read
only through its `Environment`, so docs/configuration.md cannot drift from this code.

Example:
    settings = Settings.from_env({"GOVBOT_HOME": "/tmp/gb"})
    settings.database_url   # "sqlite:////tmp/gb/govbot.db"
"""

from __future__ import annotations

import ipaddress
import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.apply import ApplySettings
from bot.chat.dingtalk import DingTalkSettings
from bot.chat.slack import SlackSettings
from bot.core.errors import ConfigError
from bot.core.redact import CREDENTIAL_PARAMETERS, redact
from bot.forge import ForgeSettings, mirror_path
from bot.sources import PrometheusSettings
from bot.variables import BY_NAME, Environment
from policies import units

GUARDS = ("embedded", "opa")
TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")
APPLY_TARGETS = ("directory", "kubernetes")
# where Kubernetes mounts the pod's namespace: GOVBOT_LEADER=auto leads by Lease there
POD_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def slack_settings(env: Mapping[str, str]) -> SlackSettings:
    """GOVBOT_SLACK_*, with Slack's own SLACK_* names as fallbacks for the secrets
    (declared in bot.variables)."""
    env = declared(env)
    return SlackSettings(
        signing_secret=env["GOVBOT_SLACK_SIGNING_SECRET"],
        bot_token=env["GOVBOT_SLACK_BOT_TOKEN"],
        app_token=env["GOVBOT_SLACK_APP_TOKEN"],
        api_url=env["GOVBOT_SLACK_API_URL"],
    )


def slack_problem(slack: SlackSettings) -> str:
    """Why the Slack settings given leave Slack off, or "" (none given, or enough)."""
    if slack.enabled or not (slack.bot_token or slack.signing_secret or slack.app_token):
        return ""
    if slack.bot_token:
        return ("GOVBOT_SLACK_BOT_TOKEN is set without GOVBOT_SLACK_SIGNING_SECRET (HTTP "
                "mode) or GOVBOT_SLACK_APP_TOKEN (Socket Mode), so Slack stays off; add one")
    return ("GOVBOT_SLACK_SIGNING_SECRET or GOVBOT_SLACK_APP_TOKEN is set without "
            "GOVBOT_SLACK_BOT_TOKEN, so Slack stays off; add the bot token (xoxb-…)")


def dingtalk_settings(env: Mapping[str, str]) -> DingTalkSettings:
    """GOVBOT_DINGTALK_*; a custom robot's webhook must be an http(s) URL."""
    env = declared(env)
    webhook = env["GOVBOT_DINGTALK_ROBOT_WEBHOOK"]
    if webhook and urlsplit(webhook).scheme not in ("https", "http"):
        raise ConfigError("GOVBOT_DINGTALK_ROBOT_WEBHOOK: not an https:// URL; use the "
                          "custom robot's webhook: https://oapi.dingtalk.com/robot/send with its "
                          "access_token")

    def pick(name: str) -> str:
        return env[f"GOVBOT_DINGTALK_{name}"]

    return DingTalkSettings(
        client_id=pick("CLIENT_ID"),
        client_secret=pick("CLIENT_SECRET"),
        app_secret=pick("APP_SECRET"),
        robot_code=pick("ROBOT_CODE"),
        robot_webhook=pick("ROBOT_WEBHOOK"),
        robot_secret=pick("ROBOT_SECRET"),
        api_url=pick("API_URL"),
        card_template_id=pick("CARD_TEMPLATE_ID"),
        corp_id=pick("CORP_ID"),
        session_url=pick("SESSION_URL"),
        callback_approvals=flag(env, "GOVBOT_DINGTALK_CALLBACK_APPROVALS"),
    )


def forge_settings(env: Mapping[str, str], home: Path) -> ForgeSettings:
    """GOVBOT_FORGE, GOVBOT_REPO_URL and GOVBOT_FORGE_*; which forges exist and what each
    needs is the forge port's to say (ForgeSettings.check, at start-up)."""
    env = declared(env)
    return ForgeSettings(
        kind=env["GOVBOT_FORGE"],
        repo_url=env["GOVBOT_REPO_URL"] or str(home / "policy.git"),
        url=env["GOVBOT_FORGE_URL"].rstrip("/"),
        token=env["GOVBOT_FORGE_TOKEN"],
        repo=env["GOVBOT_FORGE_REPO"].strip("/"),
        webhook_secret=env["GOVBOT_FORGE_WEBHOOK_SECRET"],
        poll_seconds=seconds(env, "GOVBOT_FORGE_POLL_SECONDS"),
        backoff_seconds=seconds(env, "GOVBOT_FORGE_BACKOFF_SECONDS"),
        pacing_seconds=seconds(env, "GOVBOT_FORGE_PACING_SECONDS"),
    )


def prometheus_settings(env: Mapping[str, str]) -> PrometheusSettings:
    """GOVBOT_PROMETHEUS_URL and GOVBOT_PROMETHEUS_INTERVAL_SECONDS (more than 0)."""
    env = declared(env)
    interval = seconds(env, "GOVBOT_PROMETHEUS_INTERVAL_SECONDS")
    if interval <= 0:
        raise ConfigError("GOVBOT_PROMETHEUS_INTERVAL_SECONDS=0: use a number of seconds "
                          "above 0, for example 30")
    url = env["GOVBOT_PROMETHEUS_URL"].strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"GOVBOT_PROMETHEUS_URL={redact(url)!r}: use an http:// or "
                          "https:// address, for example http://prometheus:9090")
    return PrometheusSettings(url, interval)


def schedule_settings(env: Mapping[str, str]) -> ScheduleSettings:
    """GOVBOT_LEADER, GOVBOT_LEASE_*, GOVBOT_*_SECONDS of the jobs, the reminder and stale
    delays, GOVBOT_DIGEST_AT and GOVBOT_TIMEZONE. `auto` is decided here: `kubernetes` in
    a pod (KUBERNETES_SERVICE_HOST set and the service account's namespace mounted, which
    is then the Lease's namespace unless GOVBOT_LEASE_NAMESPACE says otherwise), else
    `database`."""
    env = declared(env)
    leader = env["GOVBOT_LEADER"].strip()
    if leader not in LEADERS:
        raise ConfigError(f"GOVBOT_LEADER={leader!r} is not supported; use one of "
                          f"{', '.join(LEADERS)}")
    positive = {name: seconds(env, f"GOVBOT_{name}") for name in (
        "LEASE_SECONDS", "TICK_SECONDS", "SWEEP_SECONDS", "RECONCILE_SECONDS")}
    for name, value in positive.items():
        if value <= 0:
            raise ConfigError(f"GOVBOT_{name}=0: use a number of seconds above 0")
    in_pod = bool(env.get("KUBERNETES_SERVICE_HOST")) and POD_NAMESPACE.is_file()
    if leader == "auto":
        leader = "kubernetes" if in_pod else "database"
    namespace = env["GOVBOT_LEASE_NAMESPACE"].strip() or (
        POD_NAMESPACE.read_text(encoding="utf-8").strip() if in_pod else "")
    if leader == "kubernetes" and not namespace:
        raise ConfigError("GOVBOT_LEADER=kubernetes outside a pod: set GOVBOT_LEASE_NAMESPACE "
                          "to the namespace of the Lease, for example govbot")
    settings = ScheduleSettings(
        leader=leader,
        lease_seconds=positive["LEASE_SECONDS"],
        lease_namespace=namespace,
        lease_name=env["GOVBOT_LEASE_NAME"].strip(),
        tick_seconds=positive["TICK_SECONDS"],
        sweep_seconds=positive["SWEEP_SECONDS"],
        reconcile_seconds=positive["RECONCILE_SECONDS"],
        remind_after_seconds=duration_seconds(env, "GOVBOT_REMIND_AFTER"),
        remind_approvers_after_seconds=duration_seconds(env, "GOVBOT_REMIND_APPROVERS_AFTER"),
        stale_after_seconds=duration_seconds(env, "GOVBOT_STALE_AFTER"),
        digest_at=digest_at(env),
        timezone=timezone(env),
    )
    delays = (("GOVBOT_REMIND_AFTER", settings.remind_after_seconds),
              ("GOVBOT_REMIND_APPROVERS_AFTER", settings.remind_approvers_after_seconds),
              ("GOVBOT_STALE_AFTER", settings.stale_after_seconds))
    for (first, early), (then, late) in itertools.pairwise(delays):
        if early > late:
            raise ConfigError(f"{first} ({early:g}s) comes after {then} ({late:g}s): a "
                              "change is reminded in its channel, then to its approvers, "
                              "then closed as stale; for example 4h, 24h, 7d")
    return settings


def digest_at(env: Mapping[str, str]) -> str:
    """GOVBOT_DIGEST_AT: a time of day HH:MM (24-hour), or `off`."""
    value = declared(env)["GOVBOT_DIGEST_AT"].strip()
    if value.lower() == "off":
        return "off"
    hours, colon, minutes = value.partition(":")
    if colon and hours.isdigit() and len(minutes) == 2 and minutes.isdigit() \
            and int(hours) < 24 and int(minutes) < 60:
        return f"{int(hours):02d}:{minutes}"
    raise ConfigError(f"GOVBOT_DIGEST_AT={value!r}: use a time of day HH:MM such as 09:00 "
                      "(in GOVBOT_TIMEZONE), or off for no daily digest")


def timezone(env: Mapping[str, str]) -> str:
    """GOVBOT_TIMEZONE: an IANA time zone name."""
    value = declared(env)["GOVBOT_TIMEZONE"].strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"GOVBOT_TIMEZONE={value!r} is not a time zone: use an IANA name "
                          "such as UTC, Europe/Berlin or Asia/Shanghai") from error
    return value


def declared(env: Mapping[str, str]) -> Environment:
    """`env` read through the declarations of bot.variables (defaults filled in, an
    undeclared GOVBOT_* name refused)."""
    return env if isinstance(env, Environment) else Environment(env)


def seconds(env: Mapping[str, str], name: str) -> float:
    """A number of seconds (0 or more); a value that is not one is refused, naming the
    variable."""
    return _number(env, name, "seconds", lambda n: n >= 0)


def days(env: Mapping[str, str], name: str) -> float:
    """A number of days above 0; a value that is not one is refused, naming the variable."""
    return _number(env, name, "days", lambda n: n > 0)


def _number(env: Mapping[str, str], name: str, unit: str,
            allowed: Callable[[float], bool]) -> float:
    default = float(BY_NAME[name].default)
    value = declared(env)[name].strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number or number == float("inf") or not allowed(number):
        raise ConfigError(f"{name}={value!r}: use a number of {unit}, for example "
                          f"{default:g}")
    return number


def flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off (or unset); anything else is
    refused rather than guessed."""
    value = declared(env)[name].strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name}={declared(env)[name]!r}: use 1 or 0")


def passwords(*urls: str) -> list[str]:
    """The passwords of URLs (`scheme://user:password@host`), and their parts when they
    hold an `@`, so that a driver's error quoting part of one is masked too."""
    found = []
    for url in urls:
        _scheme, sep, rest = url.partition("://")
        authority = rest.split("/", 1)[0] if sep else ""
        userinfo = authority.rsplit("@", 1)[0] if "@" in authority else ""
        _user, colon, password = userinfo.partition(":")
        if colon and password:
            found += [password, *(piece for piece in password.split("@") if piece)]
    return found


def _query_credentials(*urls: str) -> list[str]:
    """The values of a URL's credential parameters (a DingTalk robot's `access_token`):
    a server's error may name the token alone, without the URL around it."""
    return [value for url in urls
            for name, values in parse_qs(urlsplit(url).query).items()
            if name.lower() in CREDENTIAL_PARAMETERS for value in values]


LEADERS = ("auto", "database", "kubernetes")


@dataclass(frozen=True)
class ScheduleSettings:
    """The scheduler (bot.scheduler) and its leader: which replica runs the jobs, and how
    often each job runs."""

    leader: str = "auto"              # GOVBOT_LEADER: auto | database | kubernetes
    lease_seconds: float = 15.0       # GOVBOT_LEASE_SECONDS: a dead leader's successor waits
    lease_namespace: str = ""         # GOVBOT_LEASE_NAMESPACE (Kubernetes Lease; the pod's)
    lease_name: str = "govbot-leader"  # GOVBOT_LEASE_NAME
    tick_seconds: float = 5.0         # GOVBOT_TICK_SECONDS: expiries and canary steps
    sweep_seconds: float = 30.0       # GOVBOT_SWEEP_SECONDS: approved changes left unmerged
    reconcile_seconds: float = 300.0  # GOVBOT_RECONCILE_SECONDS: main against the target
    remind_after_seconds: float = 4 * 3600.0            # GOVBOT_REMIND_AFTER, e.g. 4h
    remind_approvers_after_seconds: float = 24 * 3600.0  # GOVBOT_REMIND_APPROVERS_AFTER
    stale_after_seconds: float = 7 * 86400.0            # GOVBOT_STALE_AFTER, e.g. 7d
    digest_at: str = "09:00"          # GOVBOT_DIGEST_AT: HH:MM in GOVBOT_TIMEZONE; off: none
    timezone: str = "UTC"             # GOVBOT_TIMEZONE: an IANA name, e.g. Asia/Shanghai


LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class DashboardSettings:
    """The read-only dashboard under `/ui/` (docs/dashboard.md)."""

    public_url: str = ""                 # GOVBOT_PUBLIC_URL, without a trailing slash
    secret: str = ""                     # GOVBOT_DASHBOARD_SECRET; empty: a key in the store
    link_ttl_seconds: float = 12 * 3600  # GOVBOT_DASHBOARD_LINK_TTL
    trusted_header: str = ""             # GOVBOT_DASHBOARD_TRUSTED_HEADER
    trusted_proxies: tuple[str, ...] = ()  # GOVBOT_DASHBOARD_TRUSTED_PROXIES, as CIDRs


def dashboard_settings(env: Mapping[str, str]) -> DashboardSettings:
    env = declared(env)
    public = _public_url(env["GOVBOT_PUBLIC_URL"])
    proxies = tuple(p.strip() for p in env["GOVBOT_DASHBOARD_TRUSTED_PROXIES"].split(",")
                    if p.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"GOVBOT_DASHBOARD_TRUSTED_PROXIES: {proxy!r} is not an address "
                              "or CIDR; use e.g. 10.0.0.0/8,127.0.0.1") from None
    header = env["GOVBOT_DASHBOARD_TRUSTED_HEADER"].strip()
    if bool(header) != bool(proxies):
        # a header without proxies would be believed from nobody, proxies without a header
        # would mean nothing: either is a half-done setup, so say it at startup
        raise ConfigError("GOVBOT_DASHBOARD_TRUSTED_HEADER and GOVBOT_DASHBOARD_TRUSTED_PROXIES"
                          ": set both or neither, e.g. X-Auth-Request-Email and 10.0.0.0/8")
    return DashboardSettings(
        public_url=public, secret=env["GOVBOT_DASHBOARD_SECRET"].strip(),
        link_ttl_seconds=duration_seconds(env, "GOVBOT_DASHBOARD_LINK_TTL"),
        trusted_header=header, trusted_proxies=proxies)


def _public_url(text: str) -> str:
    """GOVBOT_PUBLIC_URL without its trailing slash; only a scheme and a host (and port):
    the dashboard's links and its cookie path are `/ui/…` from the host's root."""
    public = text.strip().rstrip("/")
    if not public:
        return ""
    parts = urlsplit(public)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"GOVBOT_PUBLIC_URL={public!r}: use an http(s) URL such as "
                          "https://govbot.example.com")
    if parts.path or parts.query or parts.fragment:
        raise ConfigError(f"GOVBOT_PUBLIC_URL={public!r}: give the host only, without a path "
                          "(the dashboard is served under /ui/ from the host's root), such as "
                          "https://govbot.example.com")
    return public


@dataclass(frozen=True)
class ServeSettings:
    """`govbot serve`'s HTTP server and process: how much it takes and how it stops."""

    threads: int = 16                     # GOVBOT_HTTP_THREADS: requests handled at once
    backlog: int = 1024                   # GOVBOT_HTTP_BACKLOG: connections queued to take
    max_request_bytes: int = 1024 * 1024  # GOVBOT_MAX_REQUEST_BYTES: larger bodies get 413
    grace_seconds: float = 25.0           # GOVBOT_SHUTDOWN_GRACE: in-flight work on SIGTERM
    log_format: str = "text"              # GOVBOT_LOG_FORMAT: text | json


def serve_settings(env: Mapping[str, str]) -> ServeSettings:
    env = declared(env)
    log_format = env["GOVBOT_LOG_FORMAT"].strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"GOVBOT_LOG_FORMAT={log_format!r} is not supported; use one of "
                          f"{', '.join(LOG_FORMATS)}")
    return ServeSettings(
        threads=_whole(env, "GOVBOT_HTTP_THREADS"),
        backlog=_whole(env, "GOVBOT_HTTP_BACKLOG"),
        max_request_bytes=_whole(env, "GOVBOT_MAX_REQUEST_BYTES"),
        grace_seconds=duration_seconds(env, "GOVBOT_SHUTDOWN_GRACE"),
        log_format=log_format)


def _whole(env: Mapping[str, str], name: str) -> int:
    """A whole number above 0 (the declared default when unset); anything else is
    refused."""
    value = declared(env)[name].strip() or BY_NAME[name].default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value!r}: use a whole number above 0, such as "
                          f"{BY_NAME[name].default}")
    return int(value)


def duration_seconds(env: Mapping[str, str], name: str) -> float:
    """A duration like `30m`, `4h` or `7d` (or a number of seconds), above 0 (the declared
    default when unset); anything else is refused, naming the variable."""
    value = declared(env)[name].strip() or BY_NAME[name].default
    text = value
    try:
        if text.endswith("d") and text[:-1].isdigit():
            return float(text[:-1]) * 86400
        number = units.duration_ms(text) / 1000 if units.is_duration(text) else float(text)
    except ValueError:
        number = 0.0
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{name}={value!r}: use a duration above 0 such as 30m, 4h or 7d")
    return number


@dataclass(frozen=True)
class Settings:
    home: Path
    repo_url: str
    forge: ForgeSettings
    guard: str
    opa_url: str
    apply: str
    database_url: str
    opa_token: str = ""
    kubeconfig: str = ""
    apply_backoff_seconds: float = 0.5
    alertmanager_token: str = ""     # GOVBOT_ALERTMANAGER_TOKEN; /alerts is served with it
    kube_events_seconds: float = 30.0
    events_retention_days: float = 30.0
    slack: SlackSettings = field(default_factory=SlackSettings)
    dingtalk: DingTalkSettings = field(default_factory=DingTalkSettings)
    prometheus: PrometheusSettings = field(default_factory=PrometheusSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)

    def secrets(self) -> tuple[str, ...]:
        """Every credential in the settings, for `bot.core.redact` (logs and messages)."""
        values = (self.opa_token, self.slack.signing_secret, self.slack.bot_token,
                  self.slack.app_token, self.dingtalk.client_secret, self.dingtalk.app_secret,
                  self.dingtalk.robot_secret, self.dingtalk.robot_webhook,
                  self.forge.token, self.forge.webhook_secret, self.alertmanager_token,
                  self.dashboard.secret,
                  *passwords(self.database_url, self.repo_url, self.prometheus.url),
                  *_query_credentials(self.dingtalk.robot_webhook))
        return tuple(v for v in values if v)

    @property
    def repo_path(self) -> Path:
        """The policy repository govbot works in: the local forge's bare repository, or
        a hosted forge's mirror under GOVBOT_HOME."""
        if self.forge.kind == "local":
            return Path(self.repo_url)
        return mirror_path(self.home)

    @property
    def rendered_dir(self) -> Path:
        return self.home / "rendered"

    @property
    def apply_target(self) -> ApplySettings:
        """GOVBOT_APPLY and what its target needs."""
        return ApplySettings(self.apply, self.rendered_dir, self.kubeconfig,
                             self.apply_backoff_seconds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = declared(os.environ if environ is None else environ)
        home = Path(env["GOVBOT_HOME"]).expanduser().absolute()
        raw_token = env["GOVBOT_ALERTMANAGER_TOKEN"]
        if raw_token and not raw_token.strip():
            raise ConfigError("GOVBOT_ALERTMANAGER_TOKEN is blank: set the token Alertmanager "
                              "sends, or unset it to turn /alerts off")
        settings = cls(
            home=home,
            repo_url=env["GOVBOT_REPO_URL"] or str(home / "policy.git"),
            forge=forge_settings(env, home),
            guard=env["GOVBOT_GUARD"],
            opa_url=env["GOVBOT_OPA_URL"],
            opa_token=env["GOVBOT_OPA_TOKEN"],
            apply=env["GOVBOT_APPLY"],
            kubeconfig=env["GOVBOT_KUBECONFIG"],
            apply_backoff_seconds=seconds(env, "GOVBOT_APPLY_BACKOFF_SECONDS"),
            # a secret mounted from a file often ends in a newline: not part of the token
            alertmanager_token=raw_token.strip(),
            kube_events_seconds=seconds(env, "GOVBOT_KUBE_EVENTS_SECONDS"),
            database_url=env["GOVBOT_DATABASE_URL"] or f"sqlite:///{home / 'govbot.db'}",
            events_retention_days=days(env, "GOVBOT_EVENTS_RETENTION_DAYS"),
            slack=slack_settings(env),
            dingtalk=dingtalk_settings(env),
            prometheus=prometheus_settings(env),
            schedule=schedule_settings(env),
            serve=serve_settings(env),
            dashboard=dashboard_settings(env),
        )
        settings.check()
        return settings

    def check(self) -> None:
        for name, value, allowed in (
            ("GOVBOT_GUARD", self.guard, GUARDS),
            ("GOVBOT_APPLY", self.apply, APPLY_TARGETS),
        ):
            if value not in allowed:
                raise ConfigError(
                    f"{name}={value!r} is not supported; use one of {', '.join(allowed)}")
        if self.forge.kind == "local":
            self.forge.check()  # the forge port says what a local forge needs, once
