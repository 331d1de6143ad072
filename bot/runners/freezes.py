"""/freeze: the change freezes of an environment — the windows that hold now and the next
ones, read from main's govbot.yaml and placed on the calendar by `policies.freeze`, which
reads them as rego/rules/schedule.rego does. Read-only.

Example answer:
    prod is frozen now:
    • year-end: 2026-12-24 00:00 → 2027-01-02 08:00 Asia/Shanghai (2026-12-23 16:00 →
      2027-01-02 00:00 UTC)
    next:
    • weekend (every friday 18:00 until monday 08:00): 2027-01-01 18:00 → …
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import UsageError
from bot.core.events import Answer, Event
from bot.runners import Context
from policies import freeze

NEXT_SHOWN = 5
PASSING = "during a window only de-escalations and break-glass changes pass (docs/freeze.md)"


def run(ctx: Context, env: str | None) -> list[Event]:
    """The windows of `env` (the channel's environment unless --env named one)."""
    config = ctx.config(ctx.main())
    environments = config.environments()
    if env is None:
        raise UsageError("this channel is not bound to an environment in govbot.yaml",
                         usage="/freeze --env <env>", example="/freeze --env prod")
    if env not in environments:
        raise UsageError(f"unknown environment {env!r}; govbot.yaml defines "
                         f"{', '.join(sorted(environments))}",
                         usage="/freeze --env <env>", example="/freeze --env prod")
    windows = config.freezes(env)
    body = environments[env]
    declared = body.get("freezes") if isinstance(body, Mapping) else None
    skipped = len(declared) - len(windows) if isinstance(declared, list) else 0
    if not windows and not skipped:
        return [Answer(f"no freeze windows are declared for {env}")]
    now = ctx.clock()
    holding = freeze.current(windows, now)
    lines = [f"{env} is frozen now:" if holding else f"{env} is not frozen now."]
    lines += [f"• {_name(o.window)}: {o.label()}" for o in holding]
    coming = freeze.upcoming(windows, now)[:NEXT_SHOWN]
    lines.append("next:" if coming else "no window is to come.")
    lines += [f"• {_name(o.window)}: {o.label()}" for o in coming]
    if skipped:
        lines.append(f"{skipped} window{'s' if skipped != 1 else ''} of govbot.yaml "
                     f"{'are' if skipped != 1 else 'is'} not valid and left out; "
                     "`govbot check` names the problem")
    lines.append(PASSING)
    return [Answer("\n".join(lines))]


def _name(window: freeze.Window) -> str:
    if window.weekly:
        return f"{window.name} (every {window.start} until {window.end})"
    return window.name
