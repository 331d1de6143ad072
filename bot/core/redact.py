"""Keep credentials out of what people and logs see.

`redact(text, secrets)` hides a URL's user and password (`https://user:pw@host` →
`https://***@host`), the values of query parameters that carry credentials
(`access_token=`, `token=`, `sign=`, `secret=`, `password=`, `key=`), and every exact
secret given. `RedactingFilter` applies it to every log record a handler writes, so a
library's error text that quotes a URL or a token never reaches a log line in clear
(`bot.logs.configure` puts it on every handler).

Example:
    >>> redact("cannot reach postgresql://govbot:hunter2@db:5432/govbot")
    'cannot reach postgresql://***@db:5432/govbot'
    >>> redact("POST /robot/send?access_token=abc123&timestamp=1", ())
    'POST /robot/send?access_token=***&timestamp=1'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
# `:/` as well as `://`: a URL that went through a path keeps one slash
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*:/{1,2})[^/\s]+@")
# the query parameters that carry credentials, in any case
CREDENTIAL_PARAMETERS = ("access_token", "token", "sign", "secret", "password", "passwd", "key")
_PARAMS = re.compile(rf"(?i)\b(?P<name>{'|'.join(CREDENTIAL_PARAMETERS)})"
                     r"=(?P<value>[^&\s'\"]+)")
_SHORTEST = 6  # shorter "secrets" would mask ordinary words


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _PARAMS.sub(lambda m: f"{m.group('name')}={MASK}", text)
    for secret in sorted({s for s in secrets if len(s) >= _SHORTEST}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with `redact`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message, self._secrets), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True

