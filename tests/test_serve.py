"""`convcalc serve`: the JSON endpoint, and the explorer page in a real headless Chromium.

The browser test drives Debian's ``chromium`` through the Chrome DevTools
protocol over ``--remote-debugging-pipe`` (JSON messages ended by NUL on file
descriptors 3 and 4), so it needs no Python package: it loads the page, moves
the input-size slider with the keyboard, reads the output size the page shows
(which the server computed) and saves a screenshot that must not be blank.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from convcalc import conv_output_size
from convcalc.draw.server import answer, make_server

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                 if p), None)


@pytest.fixture
def server() -> Iterator[str]:
    srv = make_server(0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_binds_loopback_only() -> None:
    srv = make_server(0)
    try:
        assert srv.server_address[0] == "127.0.0.1" and srv.server_address[1] > 0
    finally:
        srv.server_close()


def test_endpoint_numbers_come_from_the_library(server: str) -> None:
    status, body = get(f"{server}/api/draw?in=16&k=2&s=2&p=1&d=4&cell=3")
    reply = json.loads(body)
    assert status == 200 and reply["output"] == [7]
    assert reply["working"]["axes"][0]["steps"] == "13 // 2 + 1 = 6 + 1 = 7"
    assert reply["svg"].startswith("<svg") and 'data-output="7"' in reply["svg"]
    status, body = get(f"{server}/api/draw?in=3x3&k=3&s=2&p=1&op=transposed&output_padding=1&view=scatter")
    assert json.loads(body)["output"] == [6, 6]
    status, body = get(f"{server}/api/draw?in=5x5&k=2&op=pool&ceil=1&p=1")
    assert json.loads(body)["output"] == [3, 3]


@pytest.mark.parametrize("query, words", [
    ("in=2&k=5", "larger than the padded input"),
    ("in=5&k=3&s=0", "stride"),
    ("in=abc!&k=3", "size"),
    ("in=5&k=3&op=deconv", "op"),
    ("in=10000&k=3", "at most 64 cells"),
])
def test_bad_values_are_one_error_line(server: str, query: str, words: str) -> None:
    status, body = get(f"{server}/api/draw?{query}")
    assert status == 400
    assert words in json.loads(body)["error"]


def test_page_and_unknown_paths(server: str) -> None:
    status, body = get(server + "/")
    assert status == 200 and b'id="output-size"' in body and b"/api/draw" in body
    assert get(server + "/../etc/passwd")[0] == 404
    assert get(server + "/api/draw?" + "x=1&" * 600)[0] == 400


def test_answer_clamps_the_cell_to_the_output_and_echoes_it() -> None:
    reply = answer({"in": "5x5", "k": "3", "cell": "9,9"})
    assert reply["output"] == [3, 3] and reply["cell"] == [2, 2]


class DevTools:
    """A minimal Chrome DevTools protocol client over --remote-debugging-pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                 f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        # The protocol runs on fds 3 (to Chromium) and 4 (from it): a tiny Python shim moves our pipe ends
        # there and execs Chromium (dash's redirections only take one-digit fds).
        shim = ("import os, sys; r, w = int(sys.argv[1]), int(sys.argv[2]); os.dup2(r, 3); os.dup2(w, 4); "
                "os.execv(sys.argv[3], sys.argv[3:])")
        self.process = subprocess.Popen(
            [sys.executable, "-c", shim, str(to_chrome_r), str(from_chrome_w), executable, *flags],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {method} within {timeout} s")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def evaluate(tools: DevTools, session: str, expression: str) -> Any:
    result = tools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    return result["result"].get("value")


def wait_for(tools: DevTools, session: str, expression: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = evaluate(tools, session, expression)
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"{expression} stayed false for {timeout} s")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="no chromium here (CI installs Debian's chromium and runs this test)")
def test_explorer_page_in_headless_chromium(server: str, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    assert CHROMIUM is not None, "CI must install chromium (apt-get install chromium)"
    tools = DevTools(CHROMIUM, tmp_path / "profile")
    try:
        target = tools.call("Target.createTarget", {"url": server + "/"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        wait_for(tools, session, "document.body && document.body.dataset.state === 'ready'")
        assert evaluate(tools, session, "document.getElementById('output-size').textContent") == "3x3"
        answered = evaluate(tools, session, "document.body.dataset.answered")
        # Move the input-size slider one step to the right with the keyboard, as a person would.
        evaluate(tools, session, "document.getElementById('in').focus()")
        for kind in ("keyDown", "keyUp"):
            tools.call("Input.dispatchKeyEvent", {"type": kind, "key": "ArrowRight", "code": "ArrowRight",
                                                  "windowsVirtualKeyCode": 39, "nativeVirtualKeyCode": 39}, session)
        wait_for(tools, session, f"document.body.dataset.answered !== '{answered}' && "
                                 "document.body.dataset.state === 'ready'")
        assert evaluate(tools, session, "document.getElementById('in').value") == "6"
        shown = evaluate(tools, session, "document.getElementById('output-size').textContent")
        assert shown == "x".join(map(str, conv_output_size((6, 6), 3))) == "4x4"
        assert evaluate(tools, session, "document.querySelector('#picture svg').dataset.output") == "4x4"
        shot = tools.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        path = tmp_path / "explorer.png"
        path.write_bytes(base64.b64decode(shot))
        if os.environ.get("CONVCALC_SCREENSHOT"):  # keep it to look at: CONVCALC_SCREENSHOT=/tmp/explorer.png
            shutil.copy(path, os.environ["CONVCALC_SCREENSHOT"])
        with Image.open(path) as image:
            assert image.size[0] >= 800 and image.size[1] >= 600
            gray = image.convert("L")
            assert ImageStat.Stat(gray).stddev[0] > 15, "the screenshot is blank"
            assert len(image.convert("RGB").getcolors(1 << 20) or []) > 30
    finally:
        tools.close()
