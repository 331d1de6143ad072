"""The `govbot` command line: `shell`, `init`, `check`.

    govbot shell [--user NAME]   the console chat on the embedded default
    govbot serve [--host --port] the HTTP server (waitress) for Slack, DingTalk, webhooks,
                                 the dashboard (/ui/), /metrics, /healthz, /readyz; the
                                 scheduled jobs on the leader replica; a graceful stop on
                                 SIGTERM
    govbot sync [--full]         apply main to the apply target now
    govbot init DIR              a new policy repository from the default template
    govbot check DIR             validate a policy repository and run its Rego tests
    govbot slack-manifest        print the Slack app manifest
    govbot config --docs|--check print the settings reference, or check a configuration
    govbot commands              print the command reference
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.core.errors import ConfigError, UserError
from bot.core.redact import redact
from bot.settings import Settings
from bot.variables import misspelt

if TYPE_CHECKING:
    from bot.app import App
    from bot.chat import ServedChat, WsgiApp
    from bot.core.events import Event, GovernanceEvent
    from bot.httpd import HttpServer
    from bot.scheduler import Elected, Job
    from bot.server import Background

    Tell = Callable[[Sequence[Event]], None]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govbot")
def main() -> None:
    """govbot: service governance for Kubernetes and Istio from chat, through reviewed
    pull requests against a policy repository."""


def _start(level: int = logging.WARNING) -> App:
    """The app, or a one-line reason why it cannot start (never a traceback); logging set
    up first (GOVBOT_LOG_FORMAT at `level`, every secret of the settings redacted)."""
    from bot import logs
    from bot.app import build

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(redact(str(error))) from error
    logs.configure(settings.serve.log_format, settings.secrets(), level=level)
    for line in misspelt(os.environ):  # a misspelt setting changes nothing: say so once
        logging.getLogger("govbot").warning("reading settings: %s", line)
    try:
        app = build(settings)
    except ConfigError as error:
        raise click.ClickException(redact(str(error), settings.secrets())) from error
    try:
        app.check_main()
    except ConfigError as error:
        raise click.ClickException(redact(
            f"{error}\nfix main of the policy repository ({settings.repo_url}), then start "
            "again", settings.secrets())) from error
    return app


@main.command()
@click.option("--user", help="who types when a line does not start with 'name:' "
              "(default: console.defaultUser of govbot.yaml)")
def shell(user: str | None) -> None:
    """The console chat on the embedded default: local policy repository, SQLite,
    embedded OPA engine, manifests rendered to $GOVBOT_HOME/rendered.

    One command per line; a line 'bob: /approve 1' runs as bob. While it runs, the
    scheduled jobs (expiries, canary steps, sweep, reconcile, reminders, digest) run here
    too when no other govbot on the same database leads, and print what they did.
    Settings come from GOVBOT_* variables (GOVBOT_HOME defaults to ./.govbot)."""
    from bot.chat import deliver
    from bot.chat.console import ConsoleChat
    from bot.scheduler import workflow_jobs

    app = _start(logging.WARNING)
    chat = ConsoleChat(user or app.default_console_user())
    deliver(chat.surface, None, app.workflow.sync())

    def tell(events: Sequence[Event]) -> None:
        deliver(chat.surface, None, events)
        sys.stdout.flush()

    elected = _elect(app, workflow_jobs(app.workflow, app.settings.schedule, tell))
    elected.start()
    if sys.stdin.isatty():
        click.echo(f"govbot shell: policy repository {redact(str(app.settings.repo_path))}; "
                   "type /help, 'name: <command>' to speak as someone else, Ctrl-D to leave")
    try:
        sys.exit(chat.run(app.workflow.handle))
    finally:
        elected.stop()
        app.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8080, show_default=True, help="port to listen on (0: any free)")
def serve(host: str, port: int) -> None:
    """The HTTP server, on waitress: Slack at /slack/events, DingTalk at /dingtalk/events,
    forge webhooks at /forge/events (with GOVBOT_FORGE_WEBHOOK_SECRET), Alertmanager at
    /alerts (with GOVBOT_ALERTMANAGER_TOKEN), the read-only dashboard under /ui/ (reached
    through a /dashboard link; GOVBOT_PUBLIC_URL), /metrics, /healthz (alive) and /readyz
    (the store, main of the policy repository and the guard answer; 503 naming what
    failed otherwise); Slack Socket Mode and DingTalk Stream when their tokens are set.
    GOVBOT_HTTP_THREADS requests run at once, and GOVBOT_HTTP_BACKLOG connections wait
    in the kernel's queue; a body above GOVBOT_MAX_REQUEST_BYTES is refused with 413
    (forge webhooks: up to 25 MB).

    The scheduled jobs run on one replica only, the leader (GOVBOT_LEADER: a PostgreSQL
    advisory lock, a lease row on SQLite, or a Kubernetes Lease): expiries and canary
    steps every GOVBOT_TICK_SECONDS, the sweep, reconcile, reminders, the daily digest at
    GOVBOT_DIGEST_AT, Prometheus asked for governance events every
    GOVBOT_PROMETHEUS_INTERVAL_SECONDS, a hosted forge polled every
    GOVBOT_FORGE_POLL_SECONDS, Kubernetes events about govbot's objects every
    GOVBOT_KUBE_EVENTS_SECONDS with GOVBOT_APPLY=kubernetes.

    SIGTERM or Ctrl-C stops it gracefully: no new connections, the requests and commands
    already taken finish, Socket Mode and Stream close, leadership is given back; exit 0
    within GOVBOT_SHUTDOWN_GRACE, else exit 1 naming what was still running. Settings
    come from GOVBOT_* variables (and SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
    SLACK_APP_TOKEN)."""
    from bot.app import served_chats
    from bot.server import Background, make_server

    _few_malloc_arenas()
    app = _start(logging.INFO)
    try:
        chats = served_chats(app)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    background = Background()
    routes = _routes(app, chats, background)
    limits = app.settings.serve
    try:
        server = make_server(host, port, routes, threads=limits.threads,
                             max_request_bytes=limits.max_request_bytes,
                             backlog=limits.backlog)
    except (OSError, ValueError) as error:
        app.close()
        raise click.ClickException(_unlistenable(host, port, error)) from error
    for reply in app.workflow.sync():
        logging.getLogger("govbot").info("%s", reply.text)
    elected = _elect(app, _serve_jobs(app, chats))
    for chat in chats:
        chat.start()
    elected.start()
    forge = app.workflow.context.forge
    # on stderr with the rest of the log (JSON when GOVBOT_LOG_FORMAT=json): stdout
    # stays free, and a log collector reads one stream in one format
    logging.getLogger("govbot").info(
        "govbot serving on http://%s:%d (%s; /healthz)%s", host, server.server_port,
        ", ".join(sorted(routes)),
        f"; {forge.name} polled every {app.settings.forge.poll_seconds:g}s"
        if forge.kind != "local" else "")
    threading.Thread(target=server.serve_forever, name="govbot-http", daemon=True).start()
    from bot.shutdown import wait_for_signal

    wait_for_signal()
    still = _stop(server, background, elected, chats, limits.grace_seconds)
    app.close()
    if still:
        logging.getLogger("govbot").error(
            "shutdown grace of %gs passed; still running: %s", limits.grace_seconds,
            "; ".join(still))
        logging.shutdown()
        os._exit(1)  # worker threads still busy would hold a normal exit
    logging.getLogger("govbot").info("stopped: every request and command taken finished")


def _unlistenable(host: str, port: int, error: OSError | ValueError) -> str:
    """Why `serve` cannot listen on host:port, in one line: the address taken, or not an
    address at all."""
    if isinstance(error, ValueError):
        return (f"cannot listen on {host}:{port}: --host {host!r} is not an IP address or "
                f"a host name that resolves (example: --host 0.0.0.0)")
    reason = error.strerror or str(error)
    return (f"cannot listen on {host}:{port}: {reason.lower()}; choose another --port "
            "(0: any free port) or stop what holds it")


def _routes(app: App, chats: Sequence[ServedChat], background: Background
            ) -> dict[str, WsgiApp]:
    """Every route of `serve`: the chats', the forge's and Alertmanager's webhooks when
    configured, /metrics and /readyz."""
    from bot import readiness, server
    from bot.metrics import metrics_app
    from bot.server import forge_events
    from bot.web.app import dashboard_app

    routes = {path: handler for chat in chats for path, handler in chat.routes().items()}
    context = app.workflow.context
    if context.forge.webhooks:
        routes["/forge/events"] = forge_events(
            context.forge, lambda hook: _tell(chats, app.workflow.forge_event(hook)),
            background.runner("forge event"))
    if app.settings.alertmanager_token:
        routes["/alerts"] = _alerts(app, chats, background.runner("alert delivery"))
    routes["/metrics"] = metrics_app
    routes["/ui/"] = routes["/ui"] = dashboard_app(context, app.settings.dashboard)
    settings = app.settings
    routes["/readyz"] = server.readiness(readiness.checks(
        app.store.ping, lambda: app.repo.head("main"), settings.guard, settings.opa_url,
        settings.opa_token))
    return routes


def _stop(server: HttpServer, background: Background, elected: Elected,
          chats: Sequence[ServedChat], grace_seconds: float) -> list[str]:
    """The graceful stop, in order, within the grace period: what is still running."""
    from bot.shutdown import Shutdown, Step

    def stop_jobs(_left: float) -> list[str]:
        elected.stop()  # a running job finishes first; the watchdog bounds it
        return []

    def stop_chats(left: float) -> list[str]:
        deadline = time.monotonic() + left
        return [f"{type(chat).__name__}: accepted commands or replies unfinished"
                for chat in chats if not chat.stop(max(0.0, deadline - time.monotonic()))]

    def stop_http(left: float) -> list[str]:
        server.stop_accepting()
        return server.idle(left)

    return Shutdown(grace_seconds).run([
        Step("http requests", stop_http),
        Step("webhook work", background.wait),
        Step("scheduled jobs and leadership", stop_jobs),
        Step("chat connections and commands", stop_chats)])


def _elect(app: App, jobs: Sequence[Job]) -> Elected:
    """What runs `jobs` on this process while it leads (GOVBOT_LEADER), following
    otherwise, once started; a leader that cannot be set up stops govbot here."""
    from bot.app import build_leader
    from bot.scheduler import Elected

    try:
        leader = build_leader(app)
    except ConfigError as error:
        app.close()
        raise click.ClickException(redact(str(error), app.settings.secrets())) from error
    return Elected(leader, jobs, app.settings.schedule.lease_seconds,
                   app.settings.database_url)


def _serve_jobs(app: App, chats: Sequence[ServedChat]) -> list[Job]:
    """What `serve`'s leader runs: the loop's scheduled work, then Prometheus, the forge
    (hosted forges) and Kubernetes events (GOVBOT_APPLY=kubernetes)."""
    from bot.scheduler import Every, Job, workflow_jobs

    tell = functools.partial(_tell, chats)
    jobs = workflow_jobs(app.workflow, app.settings.schedule, tell)
    jobs.append(Job("prometheus", Every(app.prometheus.interval_seconds),
                    functools.partial(_watch, app, tell)))
    if app.workflow.context.forge.kind != "local":
        jobs.append(Job("forge-poll", Every(app.settings.forge.poll_seconds, at_start=True),
                        lambda: tell(app.workflow.poll())))
    if app.settings.apply == "kubernetes":
        jobs.append(Job("kube-events", Every(app.settings.kube_events_seconds),
                        _kube_events(app, tell)))
    return jobs


def _tell(chats: Sequence[ServedChat], events: Sequence[Event]) -> None:
    """Events no chat command asked for: logged, and told where each change's card is."""
    for event in events:
        logging.getLogger("govbot").info("%s", event.text)
    for chat in chats:
        try:
            chat.announce(events)
        except Exception:
            logging.getLogger("govbot").exception("announcing %d events", len(events))


def _alerts(app: App, chats: Sequence[ServedChat],
            run: Callable[[Callable[[], object]], None]) -> WsgiApp:
    """`/alerts`: Alertmanager's webhook (bearer GOVBOT_ALERTMANAGER_TOKEN) into the
    funnel, each alert placed in the environment of main's govbot.yaml that holds its
    namespace when its labels name none."""
    from bot.server import alert_events
    from bot.sources import alertmanager

    def handle(events: Sequence[GovernanceEvent]) -> None:
        context = app.workflow.context
        try:
            environments = context.config(context.main()).environments()
        except Exception:  # the alerts still count; they go where unplaced ones go
            logging.getLogger("govbot").exception("reading govbot.yaml for %d alerts",
                                                  len(events))
            environments = {}
        placed = alertmanager.placed(
            events, lambda namespace: alertmanager.environment_of(environments, namespace))
        try:
            _tell(chats, app.workflow.ingest(placed))
        except Exception:
            logging.getLogger("govbot").exception("ingesting %d alerts", len(events))

    return alert_events(app.settings.alertmanager_token, alertmanager.parse, handle, run)


def funnel(app: App, chats: Sequence[ServedChat]
           ) -> Callable[[Sequence[GovernanceEvent]], None]:
    """Where a governance-event source hands its events in `govbot serve`: the one
    funnel (stored, grouped, routed), then each chat posts or updates its messages."""
    return lambda events: _tell(chats, app.workflow.ingest(events))


def _kube_events(app: App, tell: Tell) -> Callable[[], None]:
    """What the clusters say about govbot's objects, into the funnel (a job run every
    GOVBOT_KUBE_EVENTS_SECONDS)."""
    from bot.apply import build_events

    context = app.workflow.context
    source = build_events(app.settings.apply_target,
                          lambda: context.config(context.main()).environments())

    def poll() -> None:
        if source is None:
            return
        try:
            tell(app.workflow.ingest(source.poll()))
        except Exception:
            logging.getLogger("govbot").exception("reading Kubernetes events")

    return poll


def _watch(app: App, tell: Tell) -> None:
    """Ask each environment's Prometheus (GOVBOT_PROMETHEUS_URL or govbot.yaml's
    `environments.<env>.prometheus`) and hand the governance events to the funnel (a job
    run every GOVBOT_PROMETHEUS_INTERVAL_SECONDS). With no Prometheus anywhere a poll asks
    nothing."""
    found = app.prometheus.poll()
    if not found:
        return
    try:
        tell(app.workflow.ingest(found))
    except Exception:
        logging.getLogger("govbot").exception("ingesting %d governance events", len(found))


@main.command()
@click.option("--full", is_flag=True, help="render every service of main again, and delete "
              "what the target holds for services main no longer has")
def sync(full: bool) -> None:
    """Apply main to the apply target now: what changed since the last apply, or all of it
    with --full (e.g. after someone edited or deleted rendered files)."""
    app = _start()
    try:
        replies = app.workflow.sync(full)
    finally:
        app.close()
    for reply in replies:
        click.echo(reply.text, err=not reply.ok)
    applied = sum(1 for r in replies if r.ok and r.text.startswith("applied: "))
    failed = sum(1 for r in replies if not r.ok)
    if failed:
        click.echo(f"{applied} services applied; {failed} not applied (see above)", err=True)
    else:
        click.echo(f"{applied} services applied" if applied else "nothing to apply")
    sys.exit(0 if not failed else 1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a policy repository in DIRECTORY from the default template."""
    from bot.scaffold import init_repository

    try:
        files = init_repository(directory)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created a policy repository in {directory} ({len(files)} files); "
               "push it to your forge and point GOVBOT_REPO_URL at it")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=".")
@click.option("--base", metavar="REF", help="also judge every document changed since REF "
              "(e.g. origin/main) with REF's guardrails, as a pull request's CI does")
def check(directory: Path, base: str | None) -> None:
    """Validate every document of a policy repository and run its Rego tests; with
    --base, also judge what the checkout changes since REF, as govbot would."""
    from bot.check import check_repository
    from bot.check_changes import check_changes

    try:
        report = check_repository(directory)
        judged = check_changes(directory, base) if base else []
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    for problem in [*report.problems, *judged]:
        click.echo(problem, err=True)
    changed = f", {len(judged)} denied since {base}" if base else ""
    click.echo(f"{report.documents} documents, {report.tests_passed} rego tests passed, "
               f"{report.tests_failed} failed, {len(report.problems)} problems{changed}")
    sys.exit(0 if report.ok and not judged else 1)


@main.command("config")
@click.option("--docs", "docs_", is_flag=True, help="print the reference of every GOVBOT_* "
              "setting as Markdown (docs/configuration.md)")
@click.option("--check", "check_", is_flag=True, help="validate the settings of this "
              "environment and DIRECTORY's govbot.yaml and access.yaml; exit 1 on any problem")
@click.argument("directory", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def config(docs_: bool, check_: bool, directory: Path | None) -> None:
    """The configuration: its reference (--docs), or a check of it (--check [DIRECTORY]).
    Without DIRECTORY, --check reads govbot.yaml from the current directory when it has
    one, else from main of the repository govbot works in (the local forge's, or a hosted
    forge's mirror as last fetched). Secret values are never printed."""
    import os

    from bot import configuration

    if docs_ == check_:
        raise click.UsageError("use one of --docs or --check, for example govbot config "
                               "--check ./policies")
    if docs_:
        if directory is not None:
            raise click.UsageError("--docs takes no DIRECTORY")
        click.echo(configuration.reference(), nl=False)
        return
    found = configuration.problems(os.environ, directory)
    for problem in found:
        click.echo(problem, err=True)
    click.echo(f"configuration: {len(found)} problem{'s' if len(found) != 1 else ''}"
               if found else "configuration: ok")
    sys.exit(1 if found else 0)


@main.command("commands")
def commands_reference() -> None:
    """Print the command reference as Markdown (docs/commands.md), from the command
    registry: usage, aliases, summary and examples of every command."""
    from bot.command_reference import reference

    click.echo(reference(), nl=False)


@main.command("slack-manifest")
@click.option("--url", "base_url", default="https://govbot.example.com", show_default=True,
              help="the public base URL of govbot serve (HTTP mode); /slack/events is added")
@click.option("--socket-mode", is_flag=True, help="Socket Mode: no public URL needed")
@click.option("--name", default="govbot", show_default=True, help="the app's name in Slack")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML")
def slack_manifest(base_url: str, socket_mode: bool, name: str, as_json: bool) -> None:
    """Print a Slack app manifest: every registered command as a slash command (except
    those Slack reserves, such as /status, which /govbot status … reaches), the /govbot
    umbrella command, the bot scopes, interactivity for the approval buttons and the
    mention event."""
    import json

    import yaml

    from bot.chat.slack.manifest import manifest
    from commands import REGISTRY

    document = manifest(REGISTRY, base_url=base_url, socket_mode=socket_mode, name=name)
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)



@main.group()
def db() -> None:
    """The store's schema at GOVBOT_DATABASE_URL (SQLite in $GOVBOT_HOME by default): its
    revision, and its migrations. govbot shell and serve upgrade it at start too."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the pending migrations and say from which revision to which. A database
    from before migrations is stamped at the baseline first; one at a revision newer than
    this govbot knows is refused. Replicas may run it at once: one migrates, the others
    wait for it."""
    from bot.store import schema
    from bot.store.sql import open_engine

    settings = _database_settings()
    try:
        engine = open_engine(settings.database_url)
        try:
            where, done = schema.shown(engine), schema.upgrade(engine)
        finally:
            engine.dispose()
    except Exception as error:  # a wrong URL, a missing driver, a database down or newer
        raise _database_failure(error, settings) from error
    if done.stamped:
        click.echo(f"{where}: tables from before migrations stamped at "
                   f"{schema.BASELINE}, upgraded to {done.after}")
    elif done.changed:
        click.echo(f"{where}: upgraded from {done.before or 'an empty database'} "
                   f"to {done.after}")
    else:
        click.echo(f"{where}: at {done.after}, the newest; nothing to do")


@db.command("current")
def db_current() -> None:
    """Print the database's revision and whether it is the newest this govbot knows;
    exit 1 when it is not (govbot db upgrade brings it there, or a newer govbot is
    needed). Changes nothing."""
    from bot.store import schema
    from bot.store.sql import absent_sqlite_file, open_engine

    settings = _database_settings()
    try:
        absent = absent_sqlite_file(settings.database_url)
        if absent is not None:
            click.echo(f"{absent}: no database file yet; the newest is {schema.head()} "
                       "(govbot db upgrade, shell or serve creates it)")
            sys.exit(1)
        engine = open_engine(settings.database_url)
        try:
            where, found = schema.shown(engine), schema.current(engine)
        finally:
            engine.dispose()
    except Exception as error:  # a wrong URL, a missing driver, a database that is down
        raise _database_failure(error, settings) from error
    if found.at_head:
        click.echo(f"{where}: at {found.current}, the newest")
        return
    if not found.known:
        state = (f"at {found.current}, newer than this govbot knows ({found.head}): "
                 "upgrade govbot")
    elif found.predates:
        state = (f"no revision: tables from before migrations; the newest is {found.head} "
                 "(govbot db upgrade stamps them and upgrades)")
    elif found.current is None:
        state = f"empty; the newest is {found.head} (govbot db upgrade creates it)"
    else:
        state = f"at {found.current}; the newest is {found.head} (run govbot db upgrade)"
    click.echo(f"{where}: {state}")
    sys.exit(1)


def _few_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas before serve starts its threads, unless
    MALLOC_ARENA_MAX says otherwise: by default each thread may get an arena of its own,
    and a server of many short-lived request threads keeps their fragments (about 20 MB
    after a thousand commands). Nothing where the C library is not glibc."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        return


def _database_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(redact(str(error))) from error


def _database_failure(error: Exception, settings: Settings) -> click.ClickException:
    """One line for what went wrong with the store, without its password; no traceback."""
    what = str(error) if isinstance(error, ConfigError) else f"{type(error).__name__}: {error}"
    return click.ClickException(redact(f"the store at GOVBOT_DATABASE_URL: {what}",
                                       settings.secrets()))
