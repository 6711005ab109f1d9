"""The delivery scenarios shared by every language (``tests/delivery/scenarios.json``) against
the Python package: how events and call outcomes reach an application.

Each scenario starts a local hub in this process (``captivate.testing.Hub``) with its script,
connects one client with its options, runs its steps in order and checks what its listeners
recorded (exactly, in order) and the error kinds of its calls. The table says what each step
does; every wait is for a condition, bounded by the table's ``wait_limit_ms``. A scenario whose
``only`` leaves Python out is not collected here. The asyncio client runs every scenario but
the ones that make a blocking call from a callback, which need the blocking client.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, TypeVar, Union, cast

import pytest

import captivate
from captivate.testing import Faults, Hub

TABLE_PATH = Path(__file__).parents[3] / "tests/delivery/scenarios.json"
TABLE: Dict[str, Any] = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
WAIT_LIMIT: float = TABLE["wait_limit_ms"] / 1000
"""How long any wait of a scenario may take, in seconds."""

SCENARIOS: Dict[str, Dict[str, Any]] = {
    s["name"]: s for s in TABLE["scenarios"] if "only" not in s or "python" in s["only"]
}
"""The scenarios that apply to Python, by name."""

USER_ID = "delivery-user"

Record = Dict[str, Any]
T = TypeVar("T")
Listen = Callable[[Callable[[captivate.Event], Any]], Callable[[], None]]
"""A listener's registration (``on_event`` of a conversation or of the client)."""


def record_of(event: captivate.Event) -> Optional[Record]:
    """What a listener records of an event (None: nothing): messages as ``{kind, text}`` (the
    text of their one text item), hub errors as ``{kind: "error", code}``, lagged events as
    ``{kind: "lagged", missed}``."""
    if isinstance(event, (captivate.BotMessage, captivate.LivechatMessage)):
        kind = "bot_message" if isinstance(event, captivate.BotMessage) else "livechat_message"
        texts = [item.text for item in event.items if isinstance(item, captivate.TextItem)]
        # Not one text item: the list is recorded, so that the check shows it.
        return {"kind": kind, "text": texts[0] if len(texts) == 1 else texts}
    if isinstance(event, captivate.HubErrorEvent):
        return {"kind": "error", "code": event.code}
    if isinstance(event, captivate.Lagged):
        return {"kind": "lagged", "missed": event.missed}
    return None


def in_seconds(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The table's options (client options, hub faults) under the package's names: durations
    are given in milliseconds there (``initial_delay_ms``) and in seconds here
    (``initial_delay``), nested dicts included."""
    out: Dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Mapping):
            value = in_seconds(value)
        if name.endswith("_ms") and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name[: -len("_ms")]] = value / 1000
        else:
            out[name] = value
    return out


def outcome_of(error: Optional[BaseException]) -> str:
    """A call's outcome as the table names it: ``ok``, or its error kind."""
    if error is None:
        return "ok"
    if isinstance(error, captivate.CaptivateError):
        return error.code
    return f"{type(error).__name__}: {error}"


def reconnected(states: List[str]) -> bool:
    """The states a client went through show a new connection after a lost one (the client's
    first listener may first get the states of its first connection, kept for it)."""
    return "disconnected" in states and "connected" in states[states.index("disconnected") :]


class Run:
    """One scenario run with the asyncio client: the hub, the names the steps give, what the
    listeners recorded, the calls' outcomes and the checks."""

    def __init__(self, spec: Dict[str, Any], hub: Hub, client: captivate.Client) -> None:
        self.spec = spec
        self.hub = hub
        self.client = client
        self.conversations: Dict[str, captivate.Conversation] = {}
        self.streams: Dict[str, captivate.EventStream] = {}
        self.pending: Dict[str, "asyncio.Future[Any]"] = {}
        self.wake = asyncio.Event()
        self.lock = threading.Lock()
        self.events: Dict[str, List[Record]] = {}
        """What each listener recorded, by its name."""
        self.calls: Dict[str, str] = {}
        """The outcome of each named call: ``ok`` or its error kind."""
        self.closed = False

    def changed(self) -> None:
        """Something was recorded: wakes the waits (callbacks run on the loop's thread: so
        does this)."""
        self.wake.set()

    def record(self, listener: str, event: captivate.Event) -> bool:
        """Records ``event`` for ``listener`` when it is of a recorded kind; True if it was."""
        entry = record_of(event)
        if entry is None:
            return False
        with self.lock:
            self.events[listener].append(entry)
        self.changed()
        return True

    def note_call(self, name: str, error: Optional[BaseException]) -> None:
        with self.lock:
            self.calls[name] = outcome_of(error)
        self.changed()

    def count(self, listener: str) -> int:
        with self.lock:
            return len(self.events[listener])

    def callback(self, listener: str, listen: Listen, remove_after: Optional[int]) -> None:
        """A callback listener: it records every event; with ``remove_after`` it removes itself,
        inside its own call, once it has recorded that many."""
        self.events[listener] = []
        stopper: List[Callable[[], None]] = []
        due = threading.Event()

        def on_event(event: captivate.Event) -> None:
            if self.record(listener, event) and remove_after is not None and self.count(listener) >= remove_after:
                if stopper:
                    stopper[0]()
                else:  # called before its registration returned (another thread): stopped then
                    due.set()

        stopper.append(listen(on_event))
        if due.is_set():
            stopper[0]()

    def step_bot(self, step: Dict[str, Any]) -> None:
        self.hub.bot_says(self.conversation_id(step["conversation"]), step["text"])

    def step_faults(self, step: Dict[str, Any]) -> None:
        self.hub.set_faults(**cast(Faults, in_seconds(step["faults"])))

    def conversation_id(self, name: str) -> str:
        return self.conversations[name].id

    def check(self) -> None:
        """The listeners' records and the calls' outcomes are those the scenario expects."""
        expect = dict(self.spec["expect"])
        calls: Dict[str, str] = expect.pop("calls", {})
        with self.lock:
            assert self.events == expect, f"recorded {self.events}, expected {expect}"
            got = {name: self.calls.get(name, "no outcome") for name in calls}
        assert got == calls, f"the calls ended {got}, expected {calls}"

    async def until(self, done: Callable[[], bool], what: str) -> None:
        """Waits until ``done()``, at most the table's wait limit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_LIMIT
        while not done():
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{what}: not within {WAIT_LIMIT} s (recorded {self.events})")
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def bounded(self, call: Awaitable[T], what: str) -> T:
        """The outcome of ``call``, which must come within the wait limit."""
        try:
            return await asyncio.wait_for(call, WAIT_LIMIT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{what}: no outcome within {WAIT_LIMIT} s") from None

    async def run(self) -> None:
        for i, step in enumerate(self.spec["steps"]):
            action = getattr(self, "step_" + step["do"], None)
            assert action is not None, f"step {i}: {step['do']!r} has no asyncio form here"
            done = action(step)
            if done is not None:
                await done

    async def step_start(self, step: Dict[str, Any]) -> None:
        conv = await self.bounded(self.client.start_conversation(USER_ID, start=step["mode"]), "start")
        self.conversations[step["conversation"]] = conv

    def step_listen(self, step: Dict[str, Any]) -> None:
        name = step["listener"]
        target: Union[captivate.Client, captivate.Conversation] = (
            self.client if step["on"] == "client" else self.conversations[step["on"]]
        )
        if step["form"] == "stream":
            self.events[name] = []
            self.streams[name] = target.events()
        else:
            self.callback(name, target.on_event, step.get("remove_after"))

    async def step_say(self, step: Dict[str, Any]) -> None:
        await self.bounded(self.conversations[step["conversation"]].send_message(step["text"]), "say")

    async def step_sync(self, step: Dict[str, Any]) -> None:
        await self.bounded(self.conversations[step["conversation"]].get_metadata(), "sync")

    async def step_call_sees(self, step: Dict[str, Any]) -> None:
        name = step["listener"]
        await self.bounded(self.conversations[step["conversation"]].get_metadata(), "call_sees")
        seen = self.count(name)
        assert seen == step["count"], f"listener {name!r} had recorded {seen} events when the call returned, not {step['count']}"

    async def step_wait_count(self, step: Dict[str, Any]) -> None:
        name, count = step["listener"], step["count"]
        await self.until(lambda: self.count(name) >= count, f"listener {name!r} recording {count} events")

    async def step_drain(self, step: Dict[str, Any]) -> None:
        name = step["listener"]
        stream = self.streams[name]
        while True:
            event = await stream.next(timeout=0)  # what is waiting, without waiting for more
            if event is None:
                break
            self.record(name, event)

    async def step_drop(self, step: Dict[str, Any]) -> None:
        states: List[str] = []

        def on_state(change: captivate.StateChange) -> None:
            states.append(change.current.state)
            self.changed()

        stop = self.client.on_state_change(on_state)
        try:
            self.hub.drop()
            await self.until(lambda: reconnected(states) and self.client.is_connected, "connected again")
        finally:
            stop()

    def step_call(self, step: Dict[str, Any]) -> None:
        method = getattr(self.conversations[step["conversation"]], step["call"])
        self.pending[step["as"]] = asyncio.ensure_future(method())

    async def step_call_fails(self, step: Dict[str, Any]) -> None:
        name = step["as"]
        error: Optional[BaseException] = None
        try:
            await self.bounded(asyncio.shield(self.pending[name]), f"call {name!r}")
        except captivate.CaptivateError as e:
            error = e
        self.note_call(name, error)
        assert self.calls[name] == step["error"], f"call {name!r} ended {self.calls[name]!r}, not {step['error']!r}"

    async def step_close(self, step: Dict[str, Any]) -> None:
        self.closed = True
        await self.bounded(self.client.close(), "close")

    async def step_delete(self, step: Dict[str, Any]) -> None:
        await self.bounded(self.conversations[step["conversation"]].delete(), "delete")

    def step_reopen(self, step: Dict[str, Any]) -> None:
        old = self.conversations[step["conversation"]]
        again = self.client.conversation(old.id)
        if "same" in step:
            assert (again is old) == step["same"], f"reopened: the same handle is {again is old}, not {step['same']}"
        self.conversations[step["as"]] = again

    async def finish(self) -> None:
        for stream in self.streams.values():
            stream.close()
        for call in self.pending.values():
            if not call.done():
                call.cancel()
        if not self.closed:
            await self.bounded(self.client.close(), "close")


def client_options(spec: Dict[str, Any]) -> captivate.ConnectOptions:
    return cast(captivate.ConnectOptions, in_seconds(spec["client"]))


async def run_async(spec: Dict[str, Any]) -> None:
    async with Hub(spec["script"]) as hub:
        client = await asyncio.wait_for(hub.connect(**client_options(spec)), WAIT_LIMIT)
        run = Run(spec, hub, client)
        try:
            await run.run()
            run.check()
        finally:
            await run.finish()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_delivery_scenario(name: str) -> None:
    asyncio.run(run_async(SCENARIOS[name]))
