"""A small Chrome DevTools Protocol client over a pipe, for the browser tests.

Strategy: Chromium started with ``--remote-debugging-pipe`` reads commands on
its file descriptor 3 and writes replies and events on 4, each message JSON
ended by a NUL byte; so no port is opened and no websocket library is needed.
A reader thread queues what comes back; ``call`` sends one command and waits
for its reply (bounded), keeping the events in ``events`` for the test to read.
Commands for the page go to the session that ``open_page`` attaches (flat mode).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-component-update", "--disable-sync", "--remote-debugging-pipe")


def find_chromium() -> str | None:
    """The Chromium binary (Debian's ``chromium`` first), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium and its pipe; ``events`` holds every event received."""

    def __init__(self, binary: str, profile: Path, timeout: float = 30.0) -> None:
        self.timeout = timeout
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def pipes() -> None:  # in the child: its fds 3 and 4 are the protocol's
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium.log"  # a file, not a pipe nobody would drain
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                preexec_fn=pipes, pass_fds=(3, 4),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(to_child)
        os.close(from_child)
        self.events: list[dict[str, Any]] = []
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next = 0
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        buffer = b""
        with os.fdopen(self._read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies.put(message)
                    else:
                        self.events.append(message)
        self._replies.put(None)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send ``method`` and return its result; RuntimeError on a protocol error."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._replies.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply is None:
                log = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"chromium closed the pipe during {method}: {log}")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The first event ``method`` of ``session`` (waiting for it, bounded)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            time.sleep(0.05)
        raise TimeoutError(f"no {method} within {self.timeout} s")

    def open_page(self, url: str, width: int = 1280, height: int = 900) -> str:
        """A new tab with network, console and log events on, showing ``url`` once its
        load event has fired; its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session: str = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able)."""
        result = self.call("Runtime.evaluate", session, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        """A PNG of the whole page (not only the viewport) at ``path``."""
        size = self.call("Page.getLayoutMetrics", session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call("Page.captureScreenshot", session, format="png", clip=clip,
                         captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, queue.Empty):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            os.close(self._write)


@contextlib.contextmanager
def browser(binary: str, profile: Path) -> Iterator[Browser]:
    """A ``Browser`` closed on exit."""
    b = Browser(binary, profile)
    try:
        yield b
    finally:
        b.close()
