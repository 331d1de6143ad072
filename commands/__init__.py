"""The command layer: chat text in, a typed Intent out.

`REGISTRY` is the one list of commands; each command module owns its grammar, usage and
examples. The workflow calls `parse(text)` and gets a `Parsed` (the intent, its spec and
the `--env` / `--ns` flags) or a UsageError that says what was wrong, with the usage line
and an example, ready for chat.

Example:
    >>> parsed = parse("灰度 svc-user 20% --env prod")
    >>> parsed.intent.service, parsed.intent.weight, parsed.env
    ('svc-user', 20, 'prod')
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.core.errors import UsageError
from commands import (
    approve,
    bluegreen,
    canary,
    changes,
    circuitbreak,
    dashboard,
    deploy,
    drift,
    events,
    expose,
    fault,
    freeze,
    grammar,
    help,
    mesh,
    onboard,
    policies,
    ratelimit,
    reject,
    rollback,
    route,
    scale,
    show,
    status,
    store,
    sync,
    template,
    timeout,
    undeploy,
    unexpose,
    whatif,
    whitelist,
)
from commands.spec import CommandSpec
from policies.intents import Intent

REGISTRY: tuple[CommandSpec, ...] = (
    canary.SPEC,
    bluegreen.SPEC,
    route.SPEC,
    ratelimit.SPEC,
    circuitbreak.SPEC,
    whitelist.SPEC,
    fault.SPEC,
    timeout.SPEC,
    scale.SPEC,
    expose.SPEC,
    unexpose.SPEC,
    onboard.SPEC,
    sync.SPEC,
    template.SPEC,
    mesh.SPEC,
    deploy.SPEC,
    undeploy.SPEC,
    rollback.SPEC,
    approve.SPEC,
    reject.SPEC,
    changes.SPEC,
    events.SPEC,
    freeze.SPEC,
    show.SPEC,
    status.SPEC,
    drift.SPEC,
    whatif.SPEC,
    policies.SPEC,
    store.SPEC,
    dashboard.SPEC,
    help.SPEC,
)


@dataclass(frozen=True)
class Parsed:
    """A command that parsed: what it asks for, which command, and where it lands.

    `env` and `namespace` are None unless given as flags; the channel's binding fills in
    what is missing.
    """

    intent: Intent
    spec: CommandSpec
    env: str | None
    namespace: str | None


def parse(text: str) -> Parsed:
    """Parse chat text into a Parsed; UsageError (text for the person) when it does not."""
    words = grammar.words(grammar.normalise(text))
    if not words:
        raise UsageError("the command is empty; type /help to see the commands")
    name, *rest = words
    spec = lookup(name)
    if spec is None:
        raise unknown_command(name)
    try:
        args, flags = grammar.split_flags(rest)
        intent = spec.parse(args)
    except UsageError as error:
        raise UsageError(
            error.problem, error.usage or spec.usage, error.example or spec.example
        ) from None
    return Parsed(intent, spec, flags.env, flags.namespace)


def lookup(name_or_alias: str) -> CommandSpec | None:
    """The command with this name or alias (ASCII names in any case), or None."""
    key = _key(name_or_alias)
    for spec in REGISTRY:
        if key in spec.names:
            return spec
    return None


def unknown_command(name: str) -> UsageError:
    """The error for a name no command has, with the closest name when there is one."""
    everyone = [n for spec in REGISTRY for n in spec.names]
    close = difflib.get_close_matches(_key(name), everyone, n=1)
    if not close:
        names = ", ".join(spec.name for spec in REGISTRY)
        return UsageError(
            f"unknown command {grammar.show(name)}; the commands are {names} "
            "(/help shows what they do)"
        )
    spec = lookup(close[0])
    assert spec is not None, "a close match is a registered name"
    return UsageError(
        f'unknown command {grammar.show(name)}; did you mean "{close[0]}"?',
        usage=spec.usage,
        example=spec.example,
    )


def _key(name: str) -> str:
    # Only ASCII is folded: lower() would turn some non-ASCII letters into ASCII ones.
    return name.lower() if name.isascii() else name
