"""Every environment variable govbot reads, declared once: name, default, accepted values,
meaning, whether it is a secret, and the group it is documented under.

`bot.settings` reads the environment only through `Environment`, which refuses a
`GOVBOT_*` name that is not declared here and fills in the declared default, so the
reference that `govbot config --docs` prints from `VARIABLES` (docs/configuration.md)
is the code's own list.

Example:
    env = Environment({"GOVBOT_GUARD": "opa"})
    env.get("GOVBOT_GUARD")    # "opa"
    env.get("GOVBOT_APPLY")    # "directory", the declared default
    # and an undeclared GOVBOT_* name raises LookupError: a bug, found by the tests
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

SECONDS = "seconds (a number ≥ 0)"
POSITIVE_SECONDS = "seconds (a number > 0)"
DURATION = "a duration above 0: 30m, 4h, 7d or seconds"
FLAG = "1 or 0 (also true/false, yes/no, on/off)"


@dataclass(frozen=True)
class Variable:
    """One environment variable. `default` is the raw text used when it is unset (empty:
    unset, or `computed` says how the default is derived); `fallback` names another
    variable read before the default (Slack's own names)."""

    name: str
    group: str
    meaning: str
    values: str = "text"
    default: str = ""
    computed: str = ""
    secret: bool = False
    fallback: str = ""


def _v(group: str, name: str, meaning: str, *, values: str = "text", default: str = "",
       computed: str = "", secret: bool = False, fallback: str = "") -> Variable:
    """A declaration, written group first so the table below reads by group."""
    return Variable(name, group, meaning, values, default, computed, secret, fallback)


_HOME, _FORGE, _GUARD, _APPLY = "State and store", "Forge", "Guard", "Apply target"
_SLACK, _DING, _EVENTS = "Slack", "DingTalk", "Events"
_SCHED, _SERVE = "Scheduler and leader", "Server and logs"
_WEB = "Dashboard"

VARIABLES: tuple[Variable, ...] = (
    _v(_HOME, "GOVBOT_HOME", "embedded state: the local forge's `policy.git` (or a hosted "
       "forge's mirror), the SQLite store and `rendered/`", values="a directory",
       default="./.govbot"),
    _v(_HOME, "GOVBOT_DATABASE_URL", "the store, as a SQLAlchemy URL, e.g. "
       "`postgresql+psycopg://govbot:…@db/govbot`; its password is masked in logs",
       values="a SQLAlchemy URL", computed="SQLite at `$GOVBOT_HOME/govbot.db`"),
    _v(_HOME, "GOVBOT_EVENTS_RETENTION_DAYS", "how long governance events stay in the audit "
       "log behind /events; the sweep deletes older ones", values="days (a number > 0)",
       default="30"),
    _v(_FORGE, "GOVBOT_FORGE", "where pull requests are reviewed",
       values="local, github, gitlab, gitea", default="local"),
    _v(_FORGE, "GOVBOT_REPO_URL", "the policy repository's remote: a bare repository path "
       "for the local forge, the clone URL for a hosted one", values="a path or a URL",
       computed="`$GOVBOT_HOME/policy.git`"),
    _v(_FORGE, "GOVBOT_FORGE_URL", "the hosted forge's API base (GitHub Enterprise, a "
       "self-hosted GitLab or Gitea)", values="a URL", computed="the public API of "
       "github.com or gitlab.com"),
    _v(_FORGE, "GOVBOT_FORGE_TOKEN", "the hosted forge's access token (push, pull "
       "requests, comments, statuses, merge)", secret=True),
    _v(_FORGE, "GOVBOT_FORGE_REPO", "the policy repository on the forge: owner/name, or a "
       "GitLab project path", values="owner/name"),
    _v(_FORGE, "GOVBOT_FORGE_WEBHOOK_SECRET", "verifies deliveries at /forge/events; unset, "
       "the route is not served and the forge is only polled", secret=True),
    _v(_FORGE, "GOVBOT_FORGE_POLL_SECONDS", "how often a hosted forge is polled for reviews "
       "and comments (on the leader): the fallback and catch-up of webhooks",
       values=SECONDS, default="60"),
    _v(_FORGE, "GOVBOT_FORGE_BACKOFF_SECONDS", "the first wait before a forge call is tried "
       "again; it doubles", values=SECONDS, default="0.5"),
    _v(_FORGE, "GOVBOT_FORGE_PACING_SECONDS", "the pause between writes to GitHub (its "
       "secondary rate limits)", values=SECONDS, default="1"),
    _v(_GUARD, "GOVBOT_GUARD", "which OPA engine decides", values="embedded, opa",
       default="embedded"),
    _v(_GUARD, "GOVBOT_OPA_URL", "the OPA server's base URL, with GOVBOT_GUARD=opa",
       values="a URL"),
    _v(_GUARD, "GOVBOT_OPA_TOKEN", "the bearer token for the OPA server, when it asks for "
       "one", secret=True),
    _v(_APPLY, "GOVBOT_APPLY", "where main is applied: files in `$GOVBOT_HOME/rendered` for "
       "Argo CD / Flux, or server-side apply to each environment's cluster, dry run first",
       values="directory, kubernetes", default="directory"),
    _v(_APPLY, "GOVBOT_KUBECONFIG", "the kubeconfig holding each environment's context "
       "(govbot.yaml `environments.<env>.cluster`); an environment without `cluster` uses "
       "the pod's service account", values="a path",
       computed="`$KUBECONFIG`, else `~/.kube/config`"),
    _v(_APPLY, "GOVBOT_APPLY_BACKOFF_SECONDS", "the first wait before an apply to a busy or "
       "unreachable cluster is tried again; it doubles", values=SECONDS, default="0.5"),
    _v(_APPLY, "GOVBOT_KUBE_EVENTS_SECONDS", "how often Kubernetes events about govbot's "
       "objects are read, with GOVBOT_APPLY=kubernetes", values=SECONDS, default="30"),
    _v(_SLACK, "GOVBOT_SLACK_SIGNING_SECRET", "verifies requests at /slack/events (HTTP "
       "mode)", secret=True, fallback="SLACK_SIGNING_SECRET"),
    _v(_SLACK, "GOVBOT_SLACK_BOT_TOKEN", "the bot token (xoxb-…) for posting; Slack is on "
       "when it is set with the signing secret or the app token", secret=True,
       fallback="SLACK_BOT_TOKEN"),
    _v(_SLACK, "GOVBOT_SLACK_APP_TOKEN", "the app-level token (xapp-…): Socket Mode, no "
       "public URL needed", secret=True, fallback="SLACK_APP_TOKEN"),
    _v(_SLACK, "GOVBOT_SLACK_API_URL", "the Web API base (GovSlack, a test server)",
       values="a URL", default="https://slack.com/api/"),
    _v(_DING, "GOVBOT_DINGTALK_CLIENT_ID", "the app's client id (AppKey): Stream mode with "
       "the client secret"),
    _v(_DING, "GOVBOT_DINGTALK_CLIENT_SECRET", "the app's client secret (AppSecret) for "
       "Stream mode and the OpenAPI", secret=True),
    _v(_DING, "GOVBOT_DINGTALK_APP_SECRET", "verifies the outgoing-robot callback at "
       "/dingtalk/events", secret=True),
    _v(_DING, "GOVBOT_DINGTALK_ROBOT_CODE", "the robot's code; callbacks naming another "
       "robot are refused, and group messages are sent as it"),
    _v(_DING, "GOVBOT_DINGTALK_CORP_ID", "the organisation's corp id; callbacks from "
       "another organisation, or none, are refused (unset: warned at start)"),
    _v(_DING, "GOVBOT_DINGTALK_ROBOT_WEBHOOK", "a custom robot's webhook, for posting when "
       "no session webhook or group API serves (holds its access token)", values="a URL",
       secret=True),
    _v(_DING, "GOVBOT_DINGTALK_ROBOT_SECRET", "the custom robot's signing secret (SEC…)",
       secret=True),
    _v(_DING, "GOVBOT_DINGTALK_API_URL", "the OpenAPI host; session webhooks may point only "
       "at it or GOVBOT_DINGTALK_SESSION_URL", values="a URL",
       default="https://api.dingtalk.com"),
    _v(_DING, "GOVBOT_DINGTALK_SESSION_URL", "the host session webhooks are accepted on",
       values="a URL", default="https://oapi.dingtalk.com"),
    _v(_DING, "GOVBOT_DINGTALK_CARD_TEMPLATE_ID", "an interactive card template for "
       "approval cards; unset, DingTalk's standard card"),
    _v(_DING, "GOVBOT_DINGTALK_CALLBACK_APPROVALS", "accept /approve and /reject through the "
       "outgoing-robot callback, whose body DingTalk does not sign (see security.md)",
       values=FLAG, default="0"),
    _v(_EVENTS, "GOVBOT_PROMETHEUS_URL", "the Prometheus with Istio's metrics, asked for "
       "governance events (and by /whatif) for every environment without its own "
       "`prometheus:` in govbot.yaml",
       values="an http(s) URL"),
    _v(_EVENTS, "GOVBOT_PROMETHEUS_INTERVAL_SECONDS", "how often Prometheus is asked",
       values=POSITIVE_SECONDS, default="30"),
    _v(_EVENTS, "GOVBOT_ALERTMANAGER_TOKEN", "the bearer token Alertmanager sends to "
       "/alerts; unset, the route is not served", secret=True),
    _v(_SCHED, "GOVBOT_LEADER", "which replica runs the scheduled jobs: `auto` is "
       "`kubernetes` in a pod, else `database` (a PostgreSQL advisory lock, a lease row on "
       "SQLite)", values="auto, database, kubernetes", default="auto"),
    _v(_SCHED, "GOVBOT_LEASE_SECONDS", "how long a dead leader's successor waits",
       values=POSITIVE_SECONDS, default="15"),
    _v(_SCHED, "GOVBOT_LEASE_NAMESPACE", "the namespace of the Kubernetes Lease",
       computed="the pod's namespace"),
    _v(_SCHED, "GOVBOT_LEASE_NAME", "the name of the Kubernetes Lease",
       default="govbot-leader"),
    _v(_SCHED, "GOVBOT_TICK_SECONDS", "how often expiries and progressive canary steps are "
       "due", values=POSITIVE_SECONDS, default="5"),
    _v(_SCHED, "GOVBOT_SWEEP_SECONDS", "how often approved changes left unmerged are "
       "merged and time boxes re-applied", values=POSITIVE_SECONDS, default="30"),
    _v(_SCHED, "GOVBOT_RECONCILE_SECONDS", "how often main is compared with the target",
       values=POSITIVE_SECONDS, default="300"),
    _v(_SCHED, "GOVBOT_REMIND_AFTER", "an open change is reminded in its channel after",
       values=DURATION, default="4h"),
    _v(_SCHED, "GOVBOT_REMIND_APPROVERS_AFTER", "then its approvers are reminded after",
       values=DURATION, default="24h"),
    _v(_SCHED, "GOVBOT_STALE_AFTER", "then it is closed as stale after", values=DURATION,
       default="7d"),
    _v(_SCHED, "GOVBOT_DIGEST_AT", "when the daily digest (changes merged, pending, "
       "rejected; the top governance events) goes to each bound channel, in GOVBOT_TIMEZONE",
       values="HH:MM, or off", default="09:00"),
    _v(_SCHED, "GOVBOT_TIMEZONE", "the time zone of the digest", values="an IANA name",
       default="UTC"),
    _v(_WEB, "GOVBOT_PUBLIC_URL", "where people reach `govbot serve` (the dashboard under "
       "`/ui/`); /dashboard links and the links in replies and pull requests start with "
       "it; unset, /dashboard says it is not configured",
       values="an http(s) URL of a host, without a path (e.g. https://govbot.example.com)"),
    _v(_WEB, "GOVBOT_DASHBOARD_SECRET", "signs /dashboard links and sessions (HMAC-SHA256); "
       "unset, a random key kept in the store, shared by every replica", secret=True),
    _v(_WEB, "GOVBOT_DASHBOARD_LINK_TTL", "how long a /dashboard link and its session "
       "stay valid", values=DURATION, default="12h"),
    _v(_WEB, "GOVBOT_DASHBOARD_TRUSTED_HEADER", "a header an authenticating proxy sets to "
       "the person's email (e.g. `X-Auth-Request-Email`), mapped by `email` in access.yaml; "
       "set together with GOVBOT_DASHBOARD_TRUSTED_PROXIES"),
    _v(_WEB, "GOVBOT_DASHBOARD_TRUSTED_PROXIES", "the proxy addresses the trusted header is "
       "believed from; from any other address it is ignored; set together with "
       "GOVBOT_DASHBOARD_TRUSTED_HEADER",
       values="CIDRs, comma-separated"),
    _v(_SERVE, "GOVBOT_HTTP_THREADS", "requests `govbot serve` handles at once",
       values="a whole number > 0", default="16"),
    _v(_SERVE, "GOVBOT_HTTP_BACKLOG", "connections the kernel queues for `govbot serve` "
       "before it takes them; a burst beyond it is reset, and Slack does not retry a slash "
       "command (the kernel caps it at net.core.somaxconn)",
       values="a whole number > 0", default="1024"),
    _v(_SERVE, "GOVBOT_MAX_REQUEST_BYTES", "larger request bodies are answered 413",
       values="a whole number > 0", default="1048576"),
    _v(_SERVE, "GOVBOT_SHUTDOWN_GRACE", "how long in-flight work may finish after SIGTERM",
       values=DURATION, default="25"),
    _v(_SERVE, "GOVBOT_LOG_FORMAT", "`json` writes one JSON object per log line, with the "
       "change's id on every line about a change; `text`, readable lines "
       "(docs/observability.md)",
       values="text, json", default="text"),
)

# where each group is explained at length, linked from the reference
GROUP_PAGES: Mapping[str, str] = {
    _HOME: "database.md", _FORGE: "forges.md", _GUARD: "architecture.md#guard-engines",
    _APPLY: "kubernetes.md", _SLACK: "getting-started.md#slack", _DING: "security.md",
    _EVENTS: "events.md", _SCHED: "scheduler.md", _SERVE: "operations-server.md",
    _WEB: "dashboard.md",
}

BY_NAME: Mapping[str, Variable] = {v.name: v for v in VARIABLES}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(v.group for v in VARIABLES))
_FALLBACKS = {v.fallback for v in VARIABLES if v.fallback}


class Environment(Mapping[str, str]):
    """The process environment as govbot may read it: a declared `GOVBOT_*` name gives
    its value, else its fallback's, else its declared default; an undeclared one is a
    bug and raises. Other names (KUBERNETES_SERVICE_HOST) pass through."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        if not name.startswith("GOVBOT_"):
            return self._environ[name]
        declared = BY_NAME.get(name)
        if declared is None:
            raise LookupError(f"reading {name}: not declared in bot/variables.py")
        return (self._environ.get(name) or self._environ.get(declared.fallback or name)
                or declared.default)

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def given(self, name: str) -> bool:
        """Whether the environment sets `name` (or its fallback) to something."""
        self[name]  # refuses an undeclared name
        declared = BY_NAME[name]
        return bool(self._environ.get(name) or
                    (declared.fallback and self._environ.get(declared.fallback)))

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._environ if n.startswith("GOVBOT_") or n in _FALLBACKS)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def closest(name: str) -> str | None:
    """The declared name a misspelt `GOVBOT_*` name was most likely meant to be, or None.
    Names are compared without the shared prefix, which would make every name look alike
    (a LOG_LEVEL must not be taken for FORGE)."""
    tails = {v.name.removeprefix("GOVBOT_"): v.name for v in VARIABLES}
    close = difflib.get_close_matches(name.removeprefix("GOVBOT_"), tails, n=1, cutoff=0.75)
    return tails[close[0]] if close else None


# Kubernetes injects these into every pod of a namespace with a Service named govbot
# (service links); they are not settings, so they are not misspelt ones either.
_SERVICE_LINK = re.compile(r"GOVBOT_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT"
                           r"(_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?)")


def misspelt(names: Iterable[str]) -> list[str]:
    """One line per `GOVBOT_*` name in `names` that govbot does not read, with the declared
    name closest to it, or a pointer to the reference when none is."""
    said = []
    for name in sorted(n for n in names if n.startswith("GOVBOT_") and n not in BY_NAME
                       and not _SERVICE_LINK.fullmatch(n)):
        guess = closest(name)
        hint = (f"; did you mean {guess}?" if guess else "; no setting has a name close to it, "
                "see docs/configuration.md for the names govbot reads")
        said.append(f"{name}: not a setting govbot reads, so it changes nothing{hint}")
    return said
