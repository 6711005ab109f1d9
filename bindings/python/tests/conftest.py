"""Fixtures: a local hub started for each test on a free port, and its control endpoints."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

# `pytester`: runs pytest on projects of a test's own (the package's plugin, loaded as users load it).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]

HUB_KEY = "py-hub-key-7Hq2xW"
"""The hub's API key: distinctive, so that a test can look for it in logs."""

HUB_KEY_2 = "py-hub-key-2-Vb9sLe"
"""A second key the hub accepts (listings across keys)."""


def sim_binary() -> str:
    """The local hub's binary (built by `make build-sim`)."""
    explicit = os.environ.get("CAPTIVATE_SIM")
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "captivate-sim")


def in_thread(work: Callable[[], None], limit: float = 30) -> None:
    """Runs ``work`` on a thread; fails if it is still running after ``limit`` seconds (a hang)
    or raised."""
    errors: List[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), "the blocking client hung"
    if errors:
        raise errors[0]


@dataclass
class Hub:
    """A running local hub."""

    url: str
    key: str
    key2: str
    http: str
    process: "subprocess.Popen[str]"

    def control(self, path: str, body: Optional[Dict[str, Any]] = None, method: str = "POST") -> Any:
        """Calls one of the hub's /control endpoints."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.http + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read().decode() or "null")

    def faults(self, **faults: Any) -> None:
        """Replaces the hub's faults (no argument: none)."""
        self.control("/control/faults", faults)

    def received(self) -> List[Dict[str, Any]]:
        """Every frame the hub has read (HTTP sends with ``"via": "http"``)."""
        frames: List[Dict[str, Any]] = self.control("/control/received", method="GET")
        return frames

    def fetch(self, url: str) -> Tuple[int, bytes]:
        """GETs a URL (a presigned link): its status and body."""
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def push(self, frame: Dict[str, Any]) -> None:
        """Sends a frame to every client."""
        self.control("/control/push", frame)

    def push_text(self, text: str) -> None:
        """Sends raw text (e.g. malformed JSON) to every client."""
        req = urllib.request.Request(self.http + "/control/push_text", data=text.encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()


class NoReaderLoop(asyncio.SelectorEventLoop):
    """An event loop that cannot watch file descriptors, as Windows' proactor loop (the default
    there): ``add_reader`` raises ``NotImplementedError``."""

    def add_reader(self, fd: Any, callback: Any, *args: Any) -> None:  # type: ignore[override]
        raise NotImplementedError("this loop does not watch file descriptors")


class NoReaderPolicy(asyncio.DefaultEventLoopPolicy):
    """Makes every new event loop a :class:`NoReaderLoop`."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return NoReaderLoop()


def pytest_configure(config: pytest.Config) -> None:
    """``CAPTIVATE_TEST_LOOP=no-reader`` runs the whole suite on loops without ``add_reader``."""
    if os.environ.get("CAPTIVATE_TEST_LOOP") == "no-reader":
        asyncio.set_event_loop_policy(NoReaderPolicy())


@pytest.fixture(scope="session")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PEM file with the certificate a TLS hub makes for itself (a real one, for the TLS
    options)."""
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    proc = subprocess.Popen(
        [sim_binary(), "--port", "0", "--tls", "--cert-out", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith("wss://"), "the TLS hub did not start"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return str(path)


@pytest.fixture
def hub() -> Iterator[Hub]:
    proc = subprocess.Popen(
        [sim_binary(), "--port", "0", "--agent-delay-ms", "20", "--api-key", HUB_KEY, "--extra-api-key", HUB_KEY_2],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("ws://"), f"the hub did not start: {line!r}"
    base, key = line.split("?apiKey=")
    hostport = base.split("://", 1)[1].split("/", 1)[0]
    try:
        yield Hub(url=base, key=key, key2=HUB_KEY_2, http=f"http://{hostport}", process=proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
