"""The benchmark's scenarios from Python on asyncio: with the library (``py-lib``: ``import
captivate``) or by hand on ``websockets`` (``py-raw``), as a user of each would write them.
Same command line and output as every client program of the benchmark (see
bench/src/scenario.rs)::

    python bench.py py-lib|py-raw connect|roundtrip|pipelined URL HUB_PID N M

prints one JSON line of figures, or a message on stderr and exits 1.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import sys
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Tuple

API_KEY = "bench-key"
PREFIX = "You said: "


# ----- measuring -----


def rss_kib() -> int:
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Phase:
    """Wall time, this process's CPU time and the hub's CPU time over a stretch of work."""

    def __init__(self, hub_pid: int) -> None:
        self.hub_path = f"/proc/{hub_pid}/schedstat"
        self.hub = self._hub()
        self.cpu = time.process_time_ns()
        self.wall = time.perf_counter_ns()

    def _hub(self) -> int:
        try:
            with open(self.hub_path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def finish(self) -> Tuple[int, int, float]:
        """(wall ns, CPU ns, hub load)."""
        wall = time.perf_counter_ns() - self.wall
        cpu = time.process_time_ns() - self.cpu
        hub = self._hub() - self.hub
        return wall, cpu, hub / max(wall, 1)


def percentile_us(samples: List[int], q: float) -> float:
    samples.sort()
    rank = min(len(samples), max(1, math.ceil(q * len(samples))))
    return samples[rank - 1] / 1e3


# ----- the two clients -----


class Lib:
    """The library, as its README shows it."""

    def __init__(self) -> None:
        import captivate

        self.captivate = captivate

    async def connect(self, url: str) -> Any:
        # A pipelined burst may put up to 20,000 echoes in the stream before it is read: it
        # keeps that many (past `max_backlog` the oldest would go, and the run would fail).
        return await self.captivate.connect(API_KEY, url=url, max_backlog=100_000)

    async def conversation(self, client: Any) -> Any:
        conv = await client.start_conversation("bench-user", start="user-first")
        return conv, conv.events()

    async def echo(self, stream: Any, want: str) -> None:
        while True:
            event = await stream.next()
            if event is None:
                raise RuntimeError("the event stream ended")
            if isinstance(event, self.captivate.BotMessage):
                if event.text == want:
                    return
                if event.text and event.text.startswith(PREFIX):
                    raise RuntimeError(f"expected {want!r}, got {event.text!r}")

    async def round_trip(self, conv: Any, text: str) -> None:
        c, stream = conv
        await c.send_message(text)
        await self.echo(stream, PREFIX + text)

    async def batch(self, conv: Any, tag: str, n: int) -> None:
        c, stream = conv
        sends = [asyncio.ensure_future(c.send_message(f"{tag}{i}")) for i in range(n)]
        for i in range(n):
            await self.echo(stream, f"{PREFIX}{tag}{i}")
        await asyncio.gather(*sends)


class Raw:
    """By hand on websockets: JSON frames as dicts, a UUID per message."""

    def __init__(self) -> None:
        from websockets.asyncio.client import connect

        self.ws_connect = connect

    async def connect(self, url: str) -> Any:
        ws = await self.ws_connect(f"{url}?apiKey={API_KEY}")
        while True:
            event = json.loads(await ws.recv())["event"]
            if event["event_type"] == "socket_connected":
                if not event["event_payload"].get("socket_id"):
                    raise RuntimeError("socket_connected without a socket_id")
                return ws

    async def conversation(self, ws: Any) -> Any:
        start = {"action": "sendMessage", "event": {"event_type": "conversation_start", "event_payload": {"userId": "bench-user"}}}
        await ws.send(json.dumps(start))
        while True:
            event = json.loads(await ws.recv())["event"]
            if event["event_type"] == "conversation_start_success":
                return ws, event["event_payload"]["conversation_id"]

    @staticmethod
    def message(conversation_id: str, text: str) -> str:
        return json.dumps(
            {
                "action": "sendMessage",
                "event": {
                    "event_type": "user_message",
                    "event_payload": {
                        "type": "message_create",
                        "client_msg_id": str(uuid.uuid4()),
                        "conversation_id": conversation_id,
                        "content": {"type": "text", "text": text},
                    },
                },
            }
        )

    @staticmethod
    async def echo(ws: Any, want: str) -> None:
        while True:
            event = json.loads(await ws.recv())["event"]
            if event["event_type"] == "bot_message":
                text = event["event_payload"]["content"][0].get("text")
                if text == want:
                    return
                if text and text.startswith(PREFIX):
                    raise RuntimeError(f"expected {want!r}, got {text!r}")

    async def round_trip(self, conv: Any, text: str) -> None:
        ws, cid = conv
        await ws.send(self.message(cid, text))
        await self.echo(ws, PREFIX + text)

    async def batch(self, conv: Any, tag: str, n: int) -> None:
        ws, cid = conv

        async def write() -> None:
            for i in range(n):
                await ws.send(self.message(cid, f"{tag}{i}"))

        writer = asyncio.ensure_future(write())
        for i in range(n):
            await self.echo(ws, f"{PREFIX}{tag}{i}")
        await writer


# ----- scenarios -----


async def connect(c: Any, url: str, hub_pid: int, n: int, _m: int) -> Dict[str, float]:
    kept = [await c.connect(url)]
    before = rss_kib()
    samples = []
    phase = Phase(hub_pid)
    for _ in range(n):
        t = time.perf_counter_ns()
        kept.append(await c.connect(url))
        samples.append(time.perf_counter_ns() - t)
    wall, cpu, load = phase.finish()
    await asyncio.sleep(0.3)
    after = rss_kib()
    return {
        "connect_p50_us": percentile_us(samples, 0.5),
        "connect_cpu_us": cpu / n / 1e3,
        "rss_per_client_kib": (after - before) / n,
        "hub_load": load,
    }


async def round_trips(c: Any, url: str, hub_pid: int, n: int, warmup: int) -> Dict[str, float]:
    conv = await c.conversation(await c.connect(url))
    samples = []
    phase = None
    for i in range(warmup + n):
        if i == warmup:
            phase = Phase(hub_pid)
        t = time.perf_counter_ns()
        await c.round_trip(conv, f"r{i}")
        if i >= warmup:
            samples.append(time.perf_counter_ns() - t)
    assert phase is not None
    wall, cpu, load = phase.finish()
    return {
        "rt_p50_us": percentile_us(samples, 0.5),
        "rt_p99_us": percentile_us(samples, 0.99),
        "rt_cpu_us": cpu / n / 1e3,
        "hub_load": load,
    }


async def pipelined(c: Any, url: str, hub_pid: int, n: int, batches: int) -> Dict[str, float]:
    conv = await c.conversation(await c.connect(url))
    await c.batch(conv, "w", min(n, 1000))
    phase = Phase(hub_pid)
    for _ in range(max(batches, 1)):
        await c.batch(conv, "p", n)
    wall, cpu, load = phase.finish()
    total = n * max(batches, 1)
    return {"msgs_per_s": total / (wall / 1e9), "cpu_per_msg_us": cpu / total / 1e3, "hub_load": load}


SCENARIOS: Dict[str, Callable[..., Awaitable[Dict[str, float]]]] = {
    "connect": connect,
    "roundtrip": round_trips,
    "pipelined": pipelined,
}


def main() -> None:
    if len(sys.argv) != 7 or sys.argv[1] not in ("py-lib", "py-raw") or sys.argv[2] not in SCENARIOS:
        print("usage: bench.py py-lib|py-raw connect|roundtrip|pipelined URL HUB_PID N M", file=sys.stderr)
        sys.exit(2)
    which, scenario, url, hub_pid, n, m = sys.argv[1:]
    client = Lib() if which == "py-lib" else Raw()

    async def run() -> None:
        figures = await SCENARIOS[scenario](client, url, int(hub_pid), int(n), int(m))
        print(json.dumps(figures), flush=True)
        # Leave at once: a scenario may leave a thousand connections open.
        os._exit(0)

    try:
        asyncio.run(run())
    except Exception as e:  # reported to the driver, which fails the run
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
