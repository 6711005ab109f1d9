"""captivate: a fast, reliable client for the Captivate Chat Socket API.

asyncio first::

    client = await captivate.connect("my-api-key")            # mode="prod" | "dev", or url=...
    conv = await client.start_conversation("user-1")          # bot-first: the flow greets
    await conv.send_message("Hello")
    async for event in conv.events():
        if isinstance(event, captivate.BotMessage):
            print(event.text)

Callbacks (``conv.on_message(fn)``) and a blocking client (``captivate.BlockingClient``) are
alternatives. Every error derives from ``captivate.CaptivateError``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import math
import os
import threading
import weakref
from typing import Any, Awaitable, Callable, Coroutine, Dict, Iterator, List, Optional, Sequence, TypeVar, Union

from . import _native
from ._errors import (
    CaptivateError,
    Closed,
    ConnectError,
    ConnectionLost,
    Failed,
    FrameTooLarge,
    HttpError,
    HubError,
    InvalidArgument,
    PossiblyNotDelivered,
    ProtocolError,
    QueueFull,
    Rejected,
    Timeout,
    translate,
)
from ._types import (
    JSON,
    Action,
    ActionEvent,
    BotMessage,
    ButtonOption,
    ButtonsItem,
    CardsItem,
    ConnectionState,
    ConversationList,
    ConversationSummary,
    ConversationUpdate,
    Discontinuity,
    Event,
    File,
    FilesItem,
    HubErrorEvent,
    HubEventBase,
    Item,
    Lagged,
    LivechatMessage,
    MalformedFrame,
    Message,
    Pagination,
    RawEvent,
    StateChange,
    TextItem,
    Transcript,
    TranscriptEntry,
    UnknownItem,
    event_from_json,
)

__version__: str = _native.__version__

__all__ = [
    "JSON",
    "Action",
    "ActionEvent",
    "BlockingClient",
    "BlockingConversation",
    "BlockingEventStream",
    "BotMessage",
    "ButtonOption",
    "ButtonsItem",
    "CaptivateError",
    "CardsItem",
    "Client",
    "Closed",
    "ConnectError",
    "ConnectionLost",
    "ConnectionState",
    "Conversation",
    "ConversationList",
    "ConversationSummary",
    "ConversationUpdate",
    "Discontinuity",
    "Event",
    "EventStream",
    "Failed",
    "File",
    "FilesItem",
    "FrameTooLarge",
    "HttpError",
    "HubError",
    "HubErrorEvent",
    "HubEventBase",
    "InvalidArgument",
    "Item",
    "Lagged",
    "LivechatMessage",
    "MalformedFrame",
    "Message",
    "Pagination",
    "PossiblyNotDelivered",
    "ProtocolError",
    "QueueFull",
    "RawEvent",
    "Rejected",
    "StateChange",
    "TextItem",
    "Timeout",
    "Transcript",
    "TranscriptEntry",
    "UnknownItem",
    "connect",
    "__version__",
]

T = TypeVar("T")
E = TypeVar("E", bound=Event)


def _check_json(value: Any, name: str, depth: int = 0) -> None:
    if depth > 64:
        raise TypeError(f"{name} is nested too deeply")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{name} contains {value!r}, which JSON cannot carry")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{name} has a key of type {type(k).__name__}; JSON keys are str")
            _check_json(v, name, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_json(v, name, depth + 1)
        return
    raise TypeError(
        f"{name} must be JSON-able (dict, list, str, int, float, bool or None), not {type(value).__name__}"
    )


def _dumps(value: Any, name: str) -> str:
    _check_json(value, name)
    return json.dumps(value)


def _dict(value: Any, name: str) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, not {type(value).__name__}")
    _check_json(value, name)
    return value


def _str(value: Any, name: str, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _files(files: Optional[Sequence[Union[File, Dict[str, Any]]]]) -> Optional[str]:
    if files is None:
        return None
    if isinstance(files, (str, bytes, dict)) or not isinstance(files, Sequence):
        raise TypeError("files must be a list of captivate.File or dicts with a url")
    out: List[Dict[str, Any]] = []
    for f in files:
        if isinstance(f, File):
            out.append({"url": f.url, "type": f.type, "filename": f.filename})
        elif isinstance(f, dict):
            _check_json(f, "files")
            out.append(f)
        else:
            raise TypeError(f"a file must be a captivate.File or a dict, not {type(f).__name__}")
    return json.dumps(out)


class _LoopCompletions:
    """The outcomes of the native calls started on one asyncio loop. The library's threads
    queue them and wake the loop through a pipe; the loop settles its futures on its own
    thread, so those threads never need the GIL."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.native = _native.Completions()
        os.set_blocking(self.native.fileno(), False)
        writer = self.native.writer_fileno()
        if writer is not None:
            os.set_blocking(writer, False)
        self.waiting: Dict[int, "asyncio.Future[Any]"] = {}
        loop.add_reader(self.native.fileno(), self._drain)
        weakref.finalize(loop, self.native.close)

    def _drain(self) -> None:
        try:
            while os.read(self.native.fileno(), 4096):
                pass
        except BlockingIOError:
            pass
        for token, error, value in self.native.take():
            fut = self.waiting.pop(token, None)
            if fut is None or fut.done():
                continue
            if error is None:
                fut.set_result(value)
            else:
                fut.set_exception(translate(error))


_LOOPS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopCompletions]" = weakref.WeakKeyDictionary()
_LOOPS_LOCK = threading.Lock()


def _completions() -> _LoopCompletions:
    loop = asyncio.get_running_loop()
    with _LOOPS_LOCK:
        c = _LOOPS.get(loop)
        if c is None:
            c = _LOOPS[loop] = _LoopCompletions(loop)
    return c


async def _call(start: Callable[[_native.Completions], int]) -> Any:
    """Starts a native call and awaits its outcome, turning its errors into the library's
    exceptions. Cancelling the awaiting task stops the call."""
    c = _completions()
    try:
        token = start(c.native)
    except _native.NativeError as e:
        raise translate(e.args) from None
    fut: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
    c.waiting[token] = fut
    try:
        return await fut
    except asyncio.CancelledError:
        c.waiting.pop(token, None)
        c.native.cancel(token)
        raise


def _sync_call(make: Callable[[], T]) -> T:
    try:
        return make()
    except _native.NativeError as e:
        raise translate(e.args) from None


class EventStream:
    """An async iterator of events (``async for event in stream``). It survives drops and
    reconnects, and ends after the client is closed (the ``closed`` state change is its last
    event) or gone. The first stream of a conversation also gets what arrived before it was created."""

    def __init__(self, native: _native.NativeEventStream) -> None:
        self._native = native
        # The wait for the next event outlives a caller that gives up (a timeout, a cancelled
        # task), so that the event it brings is kept for the next call instead of lost.
        self._inflight: "Optional[asyncio.Future[Any]]" = None

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> Event:
        e = await self.next()
        if e is None:
            raise StopAsyncIteration
        return e

    async def next(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event; None once the stream has ended (client closed or gone) or after
        ``timeout`` seconds. Giving up on it (a timeout, or cancelling the awaiting task, e.g.
        with ``asyncio.wait_for``) loses no event: the next call gets it."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError("timeout must be a number of seconds")
        loop = asyncio.get_running_loop()
        if self._inflight is None or self._inflight.get_loop() is not loop:
            self._inflight = loop.create_task(_call(lambda c: self._native.next(c)))
        try:
            text = await asyncio.wait_for(asyncio.shield(self._inflight), timeout)
        except asyncio.TimeoutError:
            return None
        self._inflight = None
        return None if text is None else event_from_json(json.loads(text))


def _report(loop: asyncio.AbstractEventLoop, where: str, exc: BaseException) -> None:
    loop.call_exception_handler({"message": f"captivate: a {where} callback raised", "exception": exc})


def _listen(stream: EventStream, fn: Callable[[Any], Any], want: Callable[[Event], bool], where: str) -> Callable[[], None]:
    """Calls ``fn`` for every event of ``stream`` that ``want`` accepts, on the running loop.
    An exception in ``fn`` goes to the loop's exception handler; listening continues."""
    if not callable(fn):
        raise TypeError("the callback must be callable")
    loop = asyncio.get_running_loop()

    async def pump() -> None:
        async for event in stream:
            if not want(event):
                continue
            try:
                r = fn(event)
                if inspect.isawaitable(r):
                    await r
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reported, never fatal to the listener
                _report(loop, where, exc)

    task = loop.create_task(pump())

    def stop() -> None:
        loop.call_soon_threadsafe(task.cancel)

    return stop


class Conversation:
    """A conversation with the hub. Obtain one from ``Client.start_conversation`` or
    ``Client.conversation``."""

    def __init__(self, client: "Client", native: _native.NativeConversation) -> None:
        self._client = client
        self._native = native

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self._native.id

    @property
    def client(self) -> "Client":
        """The client this conversation belongs to."""
        return self._client

    def __repr__(self) -> str:
        return f"<captivate.Conversation {self.id}>"

    def events(self) -> EventStream:
        """This conversation's events (messages, actions, updates, hub errors, connection state
        changes, discontinuities). Survives reconnects."""
        return EventStream(self._native.events())

    async def send_message(
        self, text: Optional[str] = None, *, files: Optional[Sequence[Union[File, Dict[str, Any]]]] = None
    ) -> str:
        """Sends text, files, or both; returns the message's ``client_msg_id`` once the hub has
        read it."""
        _str(text, "text", optional=True)
        f = _files(files)
        msg_id: str = await _call(lambda c: self._native.send_message(c, text, f))
        return msg_id

    async def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> None:
        """Sets metadata (a dict) for ``target``: None, ``"default"``, ``"bot"``, ``"live"`` or
        ``"bot_live"``."""
        md = _dict(metadata, "metadata")
        if md is None:
            raise TypeError("metadata must be a dict, not None")
        _str(target, "target", optional=True)
        await _call(lambda c: self._native.set_metadata(c, json.dumps(md), target))

    async def set_private_metadata(self, private: JSON) -> None:
        """Sets private metadata (for back-ends only; stored under the key ``private``)."""
        text = _dumps(private, "private")
        await _call(lambda c: self._native.set_private_metadata(c, text))

    async def set_time_to_live(self, days: int) -> None:
        """Sets how long the conversation's files are kept: 1, 7, 30 or 90 days."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, not {type(days).__name__}")
        if days not in (1, 7, 30, 90):
            raise InvalidArgument(f"time to live must be 1, 7, 30 or 90 days, not {days}")
        await _call(lambda c: self._native.set_time_to_live(c, days))

    async def get_metadata(self) -> Dict[str, Any]:
        """The conversation's metadata (private metadata under ``private``)."""
        text = await _call(lambda c: self._native.get_metadata(c))
        v = json.loads(text)
        return v if isinstance(v, dict) else {}

    async def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> None:
        """Sends an action, e.g. ``escalateToHuman``, with optional data."""
        _str(action_id, "action_id")
        _str(type, "type", optional=True)
        payload = _dumps({} if data is None else data, "data")
        await _call(lambda c: self._native.send_action(c, action_id, payload, type))

    async def edit_message(
        self, message_id: str, text: Optional[str] = None, *, files: Optional[Sequence[Union[File, Dict[str, Any]]]] = None
    ) -> None:
        """Replaces the content of a message sent earlier (by its ``client_msg_id``)."""
        _str(message_id, "message_id")
        _str(text, "text", optional=True)
        f = _files(files)
        await _call(lambda c: self._native.edit_message(c, message_id, text, f))

    async def get_transcript(self) -> Transcript:
        """The conversation's transcript."""
        text = await _call(lambda c: self._native.get_transcript(c))
        return Transcript.from_json(json.loads(text))

    async def delete(self, *, hard: bool = False) -> None:
        """Deletes the conversation (soft by default)."""
        await _call(lambda c: self._native.delete(c, bool(hard)))

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` (a function or coroutine function) for every event of this conversation,
        on the running event loop. Returns a function that stops it."""
        return _listen(self.events(), fn, lambda e: True, "conversation")

    def on_message(self, fn: Callable[[Message], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every bot and live-agent message."""
        return _listen(self.events(), fn, lambda e: isinstance(e, Message), "message")

    def on_action(self, fn: Callable[[ActionEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every action the flow sends."""
        return _listen(self.events(), fn, lambda e: isinstance(e, ActionEvent), "action")

    def on_update(self, fn: Callable[[ConversationUpdate], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every conversation update (agent connected, ...)."""
        return _listen(self.events(), fn, lambda e: isinstance(e, ConversationUpdate), "update")

    def on_error(self, fn: Callable[[HubErrorEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every error the hub reports about this conversation."""
        return _listen(self.events(), fn, lambda e: isinstance(e, HubErrorEvent), "error")


class Client:
    """A connection to the hub, shared by its conversations. Create one with
    ``await captivate.connect(...)``; use ``async with`` to close it."""

    def __init__(self, native: _native.NativeClient) -> None:
        self._native = native

    def __repr__(self) -> str:
        return f"<captivate.Client {self.state.state}>"

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def state(self) -> ConnectionState:
        """The connection's current state."""
        return ConnectionState.from_json(json.loads(self._native.state_json()))

    @property
    def is_connected(self) -> bool:
        """True while connected."""
        return self.state.state == "connected"

    @property
    def socket_id(self) -> Optional[str]:
        """The hub's id of the current socket, while connected."""
        return self._native.socket_id()

    def events(self) -> EventStream:
        """Client-level events: connection state changes, and hub events that name no open
        conversation."""
        return EventStream(self._native.events())

    def raw_events(self) -> EventStream:
        """Every frame from the hub, decoded, known or not (the escape hatch)."""
        return EventStream(self._native.raw_events())

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every client-level event on the running loop; returns a stopper."""
        return _listen(self.events(), fn, lambda e: True, "client")

    def on_state_change(self, fn: Callable[[StateChange], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every connection state change; returns a stopper."""
        return _listen(self.events(), fn, lambda e: isinstance(e, StateChange), "state")

    async def start_conversation(
        self,
        user_id: Optional[str] = None,
        *,
        user_basic_info: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        private_metadata: JSON = None,
        start: str = "bot-first",
    ) -> Conversation:
        """Starts a conversation. ``start="bot-first"`` (default) makes the flow greet the
        user; ``"user-first"`` waits for the user. Concurrent starts each get their own id."""
        _str(user_id, "user_id", optional=True)
        _str(start, "start")
        options = {
            "user_id": user_id,
            "user_basic_info": _dict(user_basic_info, "user_basic_info"),
            "metadata": _dict(metadata, "metadata"),
            "private_metadata": private_metadata,
            "start": start,
        }
        text = _dumps(options, "private_metadata")
        native = await _call(lambda c: self._native.start_conversation(c, text))
        return Conversation(self, native)

    def conversation(self, conversation_id: str) -> Conversation:
        """A handle to an existing conversation; its events are routed to it from now on."""
        _str(conversation_id, "conversation_id")
        return Conversation(self, _sync_call(lambda: self._native.conversation(conversation_id)))

    async def list_conversations(
        self,
        user_id: str,
        *,
        filter: Optional[Dict[str, Any]] = None,
        search: Optional[Dict[str, Any]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        api_keys: Optional[Sequence[str]] = None,
    ) -> ConversationList:
        """Lists a user's conversations: ``filter`` matches metadata exactly, ``search`` by
        wildcard; ``page`` starts at 1."""
        _str(user_id, "user_id")
        for name, v in (("page", page), ("limit", limit)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise TypeError(f"{name} must be an int")
        if api_keys is not None and (isinstance(api_keys, str) or not all(isinstance(k, str) for k in api_keys)):
            raise TypeError("api_keys must be a list of str")
        options = {
            "user_id": user_id,
            "filter": _dict(filter, "filter"),
            "search": _dict(search, "search"),
            "page": page,
            "limit": limit,
            "api_keys": None if api_keys is None else list(api_keys),
        }
        text = await _call(lambda c: self._native.list_conversations(c, json.dumps(options)))
        return ConversationList.from_json(json.loads(text))

    async def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> None:
        """Deletes all of a user's conversations (soft by default)."""
        _str(user_id, "user_id")
        await _call(lambda c: self._native.delete_user_conversations(c, user_id, bool(hard)))

    async def send_raw(self, event_type: str, payload: JSON = None) -> None:
        """The escape hatch: sends any event type with any payload."""
        _str(event_type, "event_type")
        text = _dumps({} if payload is None else payload, "payload")
        await _call(lambda c: self._native.send_raw(c, event_type, text))

    async def request_raw(
        self, event_type: str, payload: JSON, reply_event_type: str, conversation_id: Optional[str] = None
    ) -> Event:
        """Sends any event and waits for the first ``reply_event_type`` event nobody else waits
        for (naming ``conversation_id``, when given)."""
        _str(event_type, "event_type")
        _str(reply_event_type, "reply_event_type")
        _str(conversation_id, "conversation_id", optional=True)
        text = _dumps({} if payload is None else payload, "payload")
        reply = await _call(lambda c: self._native.send_raw(c, event_type, text, reply_event_type, conversation_id))
        return event_from_json(json.loads(reply or "{}"))

    def reconnect(self) -> None:
        """Connects again after a close or failure, or retries at once. Streams and listeners
        ended by ``close`` stay ended (make new ones); after a failure they carry on."""
        _sync_call(self._native.reconnect)

    async def close(self) -> None:
        """Closes gracefully (close code 1000); waiting calls fail with ``Closed``."""
        await _call(lambda c: self._native.close(c))


async def connect(
    api_key: str,
    mode: str = "prod",
    url: Optional[str] = None,
    *,
    connect_timeout: float = 10.0,
    request_timeout: float = 10.0,
    metadata_timeout: float = 15.0,
    ping_interval: float = 25.0,
    reconnect: bool = True,
    reconnect_initial_delay: float = 1.0,
    reconnect_max_delay: float = 30.0,
    max_reconnect_attempts: Optional[int] = None,
    queue_while_offline: bool = True,
    max_queued_events: int = 1000,
    max_queued_bytes: int = 1 << 20,
    delivery: str = "at-most-once",
    tls_roots: str = "webpki",
    ca_file: Optional[str] = None,
    max_frame_size: int = 1 << 20,
    socket_per_conversation: bool = False,
    legacy_dialect: bool = False,
    catch_up: bool = True,
    lazy: bool = False,
) -> Client:
    """Connects to the hub and waits for ``socket_connected`` (``lazy=True``: returns at once and
    connects in the background). ``mode`` is ``"prod"`` or ``"dev"``; ``url`` (a ``ws://`` or
    ``wss://`` URL without the key) overrides it. Times are in seconds. ``catch_up``: after a
    reconnect, deliver the messages missed while the connection was down (from each
    conversation's transcript, marked ``recovered``) before newer ones. Raises ``Rejected`` for
    a refused key, ``ConnectError`` or ``Timeout``."""
    _str(api_key, "api_key")
    _str(mode, "mode")
    _str(url, "url", optional=True)
    if mode not in ("prod", "dev"):
        raise InvalidArgument(f"mode must be 'prod' or 'dev', not {mode!r}")
    for name, v in (
        ("connect_timeout", connect_timeout),
        ("request_timeout", request_timeout),
        ("metadata_timeout", metadata_timeout),
        ("ping_interval", ping_interval),
        ("reconnect_initial_delay", reconnect_initial_delay),
        ("reconnect_max_delay", reconnect_max_delay),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name} must be a number of seconds")
        if not v > 0:
            raise InvalidArgument(f"{name} must be greater than zero")
    options = {
        "api_key": api_key,
        "endpoint": url or mode,
        "connect_timeout_ms": connect_timeout * 1000,
        "request_timeout_ms": request_timeout * 1000,
        "metadata_timeout_ms": metadata_timeout * 1000,
        "ping_interval_ms": ping_interval * 1000,
        "reconnect": {
            "enabled": bool(reconnect),
            "initial_delay_ms": reconnect_initial_delay * 1000,
            "max_delay_ms": reconnect_max_delay * 1000,
            "max_attempts": max_reconnect_attempts or 0,
        },
        "queue_while_offline": bool(queue_while_offline),
        "max_queued_events": max_queued_events,
        "max_queued_bytes": max_queued_bytes,
        "delivery": delivery,
        "tls_roots": tls_roots,
        "ca_file": ca_file,
        "max_frame_size": max_frame_size,
        "socket_per_conversation": bool(socket_per_conversation),
        "dialect": "legacy" if legacy_dialect else "current",
        "catch_up": bool(catch_up),
    }
    text = _dumps(options, "options")
    native = await _call(lambda c: _native.NativeClient.connect(c, text, bool(lazy)))
    return Client(native)


# ----- the blocking client -----


class _LoopThread:
    """A private event loop on a daemon thread, running the blocking client's calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="captivate-blocking", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: Optional[float] = None) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise Timeout(f"no outcome within {timeout} s") from None
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) or anything else: do not leave the call running.
            fut.cancel()
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class BlockingEventStream:
    """An iterator of events for blocking code; waiting releases the GIL."""

    def __init__(self, native: _native.NativeEventStream) -> None:
        self._native = native

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        e = self.next()
        if e is None:
            raise StopIteration
        return e

    def next(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event; None once the stream has ended (client closed or gone) or after
        ``timeout`` seconds. Waits in short slices so that Ctrl-C is honoured."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            text, ended = self._native.next_blocking(step)
            if text is not None:
                return event_from_json(json.loads(text))
            if ended or (deadline is not None and time.monotonic() >= deadline):
                return None


class BlockingConversation:
    """The blocking twin of ``Conversation``; every method waits for its outcome."""

    def __init__(self, client: "BlockingClient", conversation: Conversation) -> None:
        self._client = client
        self._conv = conversation

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self._conv.id

    def events(self) -> BlockingEventStream:
        """This conversation's events, as a blocking iterator."""
        return BlockingEventStream(self._conv._native.events())

    def send_message(
        self, text: Optional[str] = None, *, files: Optional[Sequence[Union[File, Dict[str, Any]]]] = None
    ) -> str:
        """See ``Conversation.send_message``."""
        return self._client._run(self._conv.send_message(text, files=files))

    def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> None:
        """See ``Conversation.set_metadata``."""
        self._client._run(self._conv.set_metadata(metadata, target=target))

    def set_private_metadata(self, private: JSON) -> None:
        """See ``Conversation.set_private_metadata``."""
        self._client._run(self._conv.set_private_metadata(private))

    def set_time_to_live(self, days: int) -> None:
        """See ``Conversation.set_time_to_live``."""
        self._client._run(self._conv.set_time_to_live(days))

    def get_metadata(self) -> Dict[str, Any]:
        """See ``Conversation.get_metadata``."""
        return self._client._run(self._conv.get_metadata())

    def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> None:
        """See ``Conversation.send_action``."""
        self._client._run(self._conv.send_action(action_id, data, type=type))

    def edit_message(
        self, message_id: str, text: Optional[str] = None, *, files: Optional[Sequence[Union[File, Dict[str, Any]]]] = None
    ) -> None:
        """See ``Conversation.edit_message``."""
        self._client._run(self._conv.edit_message(message_id, text, files=files))

    def get_transcript(self) -> Transcript:
        """See ``Conversation.get_transcript``."""
        return self._client._run(self._conv.get_transcript())

    def delete(self, *, hard: bool = False) -> None:
        """See ``Conversation.delete``."""
        self._client._run(self._conv.delete(hard=hard))

    def on_message(self, fn: Callable[[Message], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every message, on the blocking client's own thread."""

        async def register() -> Callable[[], None]:
            return self._conv.on_message(fn)

        return self._client._run(register())


class BlockingClient:
    """A client for scripts and REPLs: the methods of ``Client``, each waiting for its outcome
    (the GIL is released meanwhile, and Ctrl-C interrupts the wait)."""

    def __init__(self, loop: _LoopThread, client: Client) -> None:
        self._loop = loop
        self._client = client

    @classmethod
    def connect(cls, api_key: str, mode: str = "prod", url: Optional[str] = None, **options: Any) -> "BlockingClient":
        """Connects; takes the arguments of ``captivate.connect``."""
        loop = _LoopThread()
        try:
            client = loop.run(connect(api_key, mode, url, **options))
        except BaseException:
            loop.stop()
            raise
        return cls(loop, client)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro)

    def __enter__(self) -> "BlockingClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def state(self) -> ConnectionState:
        """The connection's current state."""
        return self._client.state

    @property
    def socket_id(self) -> Optional[str]:
        """The hub's id of the current socket."""
        return self._client.socket_id

    def events(self) -> BlockingEventStream:
        """Client-level events, as a blocking iterator."""
        return BlockingEventStream(self._client._native.events())

    def start_conversation(self, user_id: Optional[str] = None, **options: Any) -> BlockingConversation:
        """See ``Client.start_conversation``."""
        return BlockingConversation(self, self._run(self._client.start_conversation(user_id, **options)))

    def conversation(self, conversation_id: str) -> BlockingConversation:
        """See ``Client.conversation``."""
        return BlockingConversation(self, self._client.conversation(conversation_id))

    def list_conversations(self, user_id: str, **options: Any) -> ConversationList:
        """See ``Client.list_conversations``."""
        return self._run(self._client.list_conversations(user_id, **options))

    def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> None:
        """See ``Client.delete_user_conversations``."""
        self._run(self._client.delete_user_conversations(user_id, hard=hard))

    def send_raw(self, event_type: str, payload: JSON = None) -> None:
        """See ``Client.send_raw``."""
        self._run(self._client.send_raw(event_type, payload))

    def reconnect(self) -> None:
        """See ``Client.reconnect``."""
        self._client.reconnect()

    def close(self) -> None:
        """Closes the connection and stops the client's thread."""
        try:
            self._run(self._client.close())
        finally:
            self._loop.stop()
