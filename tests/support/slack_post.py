"""A slash command as Slack sends it to `govbot serve`: form-encoded and signed with the
signing secret, over a connection of its own."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time


def post_signed(port: int, body: str, secret: str, timeout: float = 60) -> tuple[int, str]:
    """POST `body` to /slack/events on 127.0.0.1:`port`, signed now; the status and the
    answer, or status 0 and what went wrong for a reset or refused connection (Slack
    would not retry it)."""
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(),
                                 hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/slack/events", body=body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    except OSError as error:
        return 0, f"{type(error).__name__}: {error}"
    finally:
        connection.close()
