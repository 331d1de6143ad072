"""What people read: a whole console session compared with a reviewed transcript.

Any change to what govbot says in a story — a reply, a refusal, a summary — shows up here
as a diff to review. `GOVBOT_UPDATE_GOLDEN=1` rewrites the transcript.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.chat import deliver
from bot.chat.console import ConsoleChat
from tests.conftest import Govbot
from tests.support.golden import check

GOLDEN = Path(__file__).parent / "golden"

SESSION = """\
/canary svc-user 20%
/approve 1
bob: /approve 1
/status svc-user
/canary svc-user 250%
/canary svc-user 40%
/canary svc-user 60%
bob: /reject 2 not today
/ratelimit svc-pay 500/5s
erin: /approve 3
carol: /approve 3
/fault svc-user abort 503 5% for 30m --env prod
bob: /approve 4
bob: /approve 4
carol: /approve 4
/whitelist svc-pay allow svc-user
/changes
dave: /approve 5
/policies
/rollback 3
bob: /approve 6
/route svc-user header user=(?=x) regex -> v2
/approve 99
/ratelimit svc-usr 10/1s
/canary billing 10%
/onboard billing port 9090 versions v3,v4
/show 7
/changes all
"""


def _transcript(govbot: Govbot, session: str) -> str:
    out = io.StringIO()
    chat = ConsoleChat("alice", io.StringIO(""), out, interactive=False)
    for line in session.splitlines():
        out.write(f"> {line}\n")
        user, text = line.split(": ", 1) if ": " in line.split(" ")[0] + " " else ("alice", line)
        deliver(chat.surface, None, govbot.say(text, user=user))
    return out.getvalue()


def test_the_console_story_reads_as_reviewed(govbot: Govbot) -> None:
    check(GOLDEN, "console-story.txt", _transcript(govbot, SESSION))
