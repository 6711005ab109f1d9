"""The asyncio client: ``connect``, ``Client`` and ``Conversation``.

Every request is sent when its method is called, so calls made one after another reach the hub
in that order (gathered or not); the method returns an awaitable of the outcome. A call that
fails before anything is sent (an invalid argument, a closed client) raises at once.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Union

from . import _native
from ._aio import Call, EventStream, Feed, Listener, current
from ._logs import sync_log_level
from ._native import (
    ActionEvent,
    ConnectionState,
    ConversationList,
    ConversationUpdate,
    Event,
    File,
    HubErrorEvent,
    Message,
    StateChange,
    Transcript,
)

JSON = Union[Dict[str, Any], List[Any], str, int, float, bool, None]
"""A value JSON can carry."""

Files = Sequence[Union[File, Dict[str, Any]]]
"""Files to send: ``captivate.File`` objects, or dicts with a ``url`` (and ``type``, ``filename``)."""


def options_of(api_key: str, mode: Optional[str], url: Optional[str], options: Dict[str, Any]) -> Dict[str, Any]:
    """The options of ``connect`` as the schema's dict."""
    opts = dict(options)
    opts["api_key"] = api_key
    if mode is not None:
        opts["mode"] = mode
    if url is not None:
        opts["url"] = url
    return opts


async def connect(
    api_key: str, mode: Optional[str] = None, url: Optional[str] = None, *, lazy: bool = False, **options: Any
) -> "Client":
    """Connects to the hub and waits for ``socket_connected`` (``lazy=True``: returns at once and
    connects in the background). ``mode`` is ``"prod"`` (default) or ``"dev"``; ``url`` (a
    ``ws://`` or ``wss://`` URL without the key) wins over it.

    ``options`` are the names of the options schema (``captivate.OPTIONS`` lists them, with
    their meaning): times in milliseconds (``request_timeout_ms=3000``), and the reconnect
    policy as a dict (``reconnect={"initial_delay_ms": 50, "max_attempts": 3}``). An unknown
    name or a wrong value raises ``InvalidArgument``; a refused key ``Rejected``; an unreachable
    hub ``ConnectError`` or ``Timeout``."""
    sync_log_level()
    loop, c = current()
    session = await c.call(loop, _native.Session.connect(c.native, options_of(api_key, mode, url, options), lazy))
    return Client(session)


class Client:
    """A connection to the hub, shared by its conversations. Create one with
    ``await captivate.connect(...)``; ``async with`` closes it."""

    __slots__ = ("_session", "_feed_now")

    def __init__(self, session: _native.Session) -> None:
        self._session = session
        # Made with the first listener: until then the core keeps what arrives for them.
        self._feed_now: Optional[Feed] = None

    @property
    def _feed(self) -> Feed:
        feed = self._feed_now
        if feed is None:
            feed = self._feed_now = Feed(self._session.feed())
        return feed

    def __repr__(self) -> str:
        return f"<captivate.Client {self.state.state}>"

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def state(self) -> ConnectionState:
        """The connection's current state."""
        return self._session.state()

    @property
    def is_connected(self) -> bool:
        """True while connected."""
        return self._session.state().is_connected

    @property
    def socket_id(self) -> Optional[str]:
        """The hub's id of the current socket, while connected."""
        return self._session.socket_id()

    def events(self) -> EventStream:
        """Client-level events: connection state changes, and hub events that name no open
        conversation (or name none while exactly one is open)."""
        return EventStream(self._feed, None)

    def raw_events(self) -> EventStream:
        """Every frame from the hub from now on, decoded, known or not, before deduplication and
        routing (the escape hatch)."""
        return EventStream(Feed(self._session.raw_feed()), None)

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` (a function or coroutine function) for every client-level event, on the
        running loop. Returns a function that stops it."""
        return Listener(self._feed, None, fn, _any, "client").stop

    def on_state_change(self, fn: Callable[[StateChange], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every connection state change; returns a stopper."""
        return Listener(self._feed, None, fn, _is(StateChange), "state").stop

    def start_conversation(
        self,
        user_id: Optional[str] = None,
        *,
        user_basic_info: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        private_metadata: JSON = None,
        user_metadata: Optional[Dict[str, Any]] = None,
        user_data: Optional[Dict[str, Any]] = None,
        start: str = "bot-first",
    ) -> Awaitable["Conversation"]:
        """Starts a conversation. ``start="bot-first"`` (default) makes the flow greet the
        user; ``"user-first"`` waits for the user. Concurrent starts each get their own id."""
        options = {
            "user_id": user_id,
            "user_basic_info": user_basic_info,
            "metadata": metadata,
            "private_metadata": private_metadata,
            "user_metadata": user_metadata,
            "user_data": user_data,
            "start": start,
        }
        loop, c = current()
        return self._started(c.call(loop, self._session.start_conversation(c.native, options)))

    async def _started(self, call: Call) -> "Conversation":
        return Conversation(self, await call)

    def conversation(self, conversation_id: str) -> "Conversation":
        """A handle to an existing conversation; its events are routed to it from now on."""
        return Conversation(self, self._session.conversation(conversation_id))

    def list_conversations(
        self,
        user_id: str,
        *,
        filter: Optional[Dict[str, Any]] = None,
        search: Optional[Dict[str, Any]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        api_keys: Optional[Sequence[str]] = None,
    ) -> "Awaitable[ConversationList]":
        """Lists a user's conversations: ``filter`` matches metadata exactly, ``search`` by
        wildcard; ``page`` starts at 1."""
        options = {
            "user_id": user_id,
            "filter": filter,
            "search": search,
            "page": page,
            "limit": limit,
            "api_keys": None if api_keys is None else list(api_keys),
        }
        loop, c = current()
        return c.call(loop, self._session.list_conversations(c.native, options))

    def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> "Awaitable[None]":
        """Deletes all of a user's conversations (soft by default)."""
        loop, c = current()
        return c.call(loop, self._session.delete_user_conversations(c.native, user_id, bool(hard)))

    def send_raw(self, event_type: str, payload: JSON = None) -> "Awaitable[None]":
        """The escape hatch: sends any event type with any payload; completes once written."""
        loop, c = current()
        return c.call(loop, self._session.request(c.native, event_type, payload))

    def request_raw(
        self, event_type: str, payload: JSON, reply_event_type: str, conversation_id: Optional[str] = None
    ) -> "Awaitable[Event]":
        """Sends any event and waits for the first ``reply_event_type`` event nobody else waits
        for (naming ``conversation_id``, when given)."""
        loop, c = current()
        return c.call(loop, self._session.request(c.native, event_type, payload, reply_event_type, conversation_id))

    async def reconnect(self) -> None:
        """Connects again after a close or a failure (or retries at once while waiting to
        reconnect) and waits until connected, at most the connect timeout. Streams and
        listeners ended by a close stay ended: make new ones. After a failure they carry on."""
        closed = self._session.state().state == "closed"
        loop, c = current()
        await c.call(loop, self._session.reconnect(c.native))
        if closed:
            self._feed_now = None

    async def close(self) -> None:
        """Closes gracefully (close code 1000): waiting calls fail with ``Closed``, every stream
        and listener ends, and calls made afterwards fail at once with ``Closed``."""
        loop, c = current()
        await c.call(loop, self._session.close(c.native))
        feed = self._feed_now
        if feed is not None and feed.attached is not None:
            feed.dispatch()


def _any(_e: Any) -> bool:
    return True


def _is(cls: type) -> Callable[[Any], bool]:
    return lambda e: isinstance(e, cls)


class Conversation:
    """A conversation with the hub. Obtain one from ``Client.start_conversation`` or
    ``Client.conversation``."""

    __slots__ = ("_client", "_session", "id")

    def __init__(self, client: Client, conversation_id: str) -> None:
        self._client = client
        self._session = client._session
        self.id: str = conversation_id
        """The conversation's id."""

    @property
    def client(self) -> Client:
        """The client this conversation belongs to."""
        return self._client

    def __repr__(self) -> str:
        return f"<captivate.Conversation {self.id}>"

    def events(self) -> EventStream:
        """This conversation's events (messages, actions, updates, hub errors, connection state
        changes, discontinuities, delivery reports)."""
        return EventStream(self._client._feed, self.id)

    def send_message(self, text: Optional[str] = None, *, files: Optional[Files] = None) -> "Awaitable[str]":
        """Sends text, files, or both; completes with the message's ``client_msg_id`` once the
        hub has read it."""
        loop, c = current()
        return c.call(loop, self._session.send_message(c.native, self.id, text, files))

    def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> "Awaitable[None]":
        """Sets metadata (a dict) for ``target``: None, ``"default"``, ``"bot"``, ``"live"`` or
        ``"bot_live"``."""
        loop, c = current()
        return c.call(loop, self._session.set_metadata(c.native, self.id, metadata, target))

    def set_private_metadata(self, private: JSON) -> "Awaitable[None]":
        """Sets private metadata (for back-ends only; stored under the key ``private``)."""
        loop, c = current()
        return c.call(loop, self._session.set_private_metadata(c.native, self.id, private))

    def set_time_to_live(self, days: int) -> "Awaitable[None]":
        """Sets how long the conversation's files are kept: 1, 7, 30 or 90 days."""
        loop, c = current()
        return c.call(loop, self._session.set_time_to_live(c.native, self.id, days))

    def get_metadata(self) -> "Awaitable[Dict[str, Any]]":
        """The conversation's metadata (private metadata under ``private``)."""
        loop, c = current()
        return c.call(loop, self._session.get_metadata(c.native, self.id))

    def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> "Awaitable[None]":
        """Sends an action, e.g. ``escalateToHuman``, with optional data."""
        loop, c = current()
        return c.call(loop, self._session.send_action(c.native, self.id, action_id, data, type))

    def edit_message(
        self, message_id: str, text: Optional[str] = None, *, files: Optional[Files] = None
    ) -> "Awaitable[None]":
        """Replaces the content of a message sent earlier (by its ``client_msg_id``)."""
        loop, c = current()
        return c.call(loop, self._session.edit_message(c.native, self.id, message_id, text, files))

    def get_transcript(self) -> "Awaitable[Transcript]":
        """The conversation's transcript."""
        loop, c = current()
        return c.call(loop, self._session.get_transcript(c.native, self.id))

    def delete(self, *, hard: bool = False) -> "Awaitable[None]":
        """Deletes the conversation (soft by default)."""
        loop, c = current()
        return c.call(loop, self._session.delete_conversation(c.native, self.id, bool(hard)))

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` (a function or coroutine function) for every event of this
        conversation, on the running loop. Returns a function that stops it."""
        return Listener(self._client._feed, self.id, fn, _any, "conversation").stop

    def on_message(self, fn: Callable[[Message], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every bot and live-agent message."""
        return Listener(self._client._feed, self.id, fn, _is(Message), "message").stop

    def on_action(self, fn: Callable[[ActionEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every action the flow sends."""
        return Listener(self._client._feed, self.id, fn, _is(ActionEvent), "action").stop

    def on_update(self, fn: Callable[[ConversationUpdate], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every conversation update (agent connected, ...)."""
        return Listener(self._client._feed, self.id, fn, _is(ConversationUpdate), "update").stop

    def on_error(self, fn: Callable[[HubErrorEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every error the hub reports about this conversation."""
        return Listener(self._client._feed, self.id, fn, _is(HubErrorEvent), "error").stop
