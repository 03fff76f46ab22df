"""A headless Chromium driven over the DevTools protocol on a pipe (stdlib only, no network).

`HeadlessPage(path)` opens a local HTML file in Debian's `chromium --headless` started with
`--remote-debugging-pipe` (commands on fd 3, replies on fd 4, each JSON message ended by NUL)
and evaluates JavaScript in it: the tests read what the page shows (innerText respects
collapsed <details>), whether its images decoded, and which resources it fetched. Every host
name resolves to nothing (--host-resolver-rules), so the page cannot reach the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


class HeadlessPage:
    """One page of a headless Chromium; use as a context manager."""

    def __init__(self, html: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._id = 0
        self._buffer = b""
        self._events: list[dict] = []
        self._profile = tempfile.mkdtemp(prefix="kubig-chromium-")
        exe = chromium_path()
        if exe is None:
            raise FileNotFoundError("chromium is not installed")
        to_child_r, self._to_child = os.pipe()  # child reads commands on fd 3
        self._from_child, from_child_w = os.pipe()  # child writes replies on fd 4
        os.set_inheritable(to_child_r, True)
        os.set_inheritable(from_child_w, True)
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={self._profile}",
                "--window-size=1280,2000", "about:blank"]

        def wire() -> None:  # runs in the child before exec: put the pipe ends on fds 3 and 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        try:
            self._session = self._attach()
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call("Page.navigate", url=Path(html).resolve().as_uri())
            self._wait_event("Page.loadEventFired")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol

    def _send(self, method: str, session: str | None, params: dict[str, Any]) -> int:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._id

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _call(self, method: str, session: str | None, **params: Any) -> dict:
        wanted = self._send(method, session, params)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def call(self, method: str, **params: Any) -> dict:
        """A DevTools command on the page."""
        return self._call(method, self._session, **params)

    def _attach(self) -> str:
        targets = self._call("Target.getTargets", None)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        return self._call("Target.attachToTarget", None, targetId=page["targetId"], flatten=True)["sessionId"]

    def _wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(i)
            message = self._read(deadline)
            if "method" in message:
                self._events.append(message)

    # ------------------------------------------------------------------ reading the page

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able)."""
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression!r}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def text(self, selector: str = "body") -> str:
        """What the element shows (innerText: hidden and collapsed content is left out)."""
        return self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? null")

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self._call("Browser.close", None)
                except (OSError, RuntimeError, TimeoutError, ConnectionError):
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> "HeadlessPage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
