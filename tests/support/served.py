"""Where a `govbot serve` process listens, read from its log: the startup line
`govbot serving on http://host:port (...)` goes to stderr with the rest of the log (text
or JSON), so the tests send stderr to a file and wait for that line there.

Example:
    process = subprocess.Popen([...,"serve", "--port", "0"], stderr=log.open("w"))
    base = served_at(log, process)        # "http://127.0.0.1:41234"
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

BANNER = "govbot serving on "


def served_at(log: Path, process: subprocess.Popen[str], timeout: float = 120) -> str:
    """The base URL from the startup line; fails with the log when the process exits or
    never says it serves (the deadline only keeps a broken start from hanging)."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text() if log.exists() else ""
        for line in text.splitlines():
            if BANNER + "http://" in line:
                return line.split(BANNER)[1].split(" ")[0]
        assert process.poll() is None, f"serve exited {process.returncode}:\n{text}"
        assert time.monotonic() < deadline, f"serve never said where it listens:\n{text}"
        time.sleep(0.05)
