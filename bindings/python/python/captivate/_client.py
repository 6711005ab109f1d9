"""The asyncio client: ``connect``, ``Client`` and ``Conversation``.

Every request is sent when its method is called, so calls made one after another reach the hub
in that order (gathered or not); the method returns an awaitable of the outcome. A call that
fails before anything is sent (an invalid argument, a closed client) raises at once.
"""

from __future__ import annotations

import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from . import _native
from ._aio import Call, EventStream, Feed, Listener, current
from ._files import Source, prepare, prepare_many, seconds
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
    Pagination,
    StateChange,
    Transcript,
)
from ._options import ConnectOptions, milliseconds

if TYPE_CHECKING:
    from typing_extensions import Unpack

JSON = Union[Dict[str, Any], List[Any], str, int, float, bool, None]
"""A value JSON can carry."""

Files = Sequence[Union[File, Dict[str, Any]]]
"""Files to send: ``captivate.File`` objects, or dicts with a ``url`` (and ``type``, ``filename``)."""


def options_of(api_key: str, mode: Optional[str], url: Optional[str], options: Mapping[str, Any]) -> Dict[str, Any]:
    """The options of ``connect`` as the schema's dict (durations in seconds become the
    schema's milliseconds)."""
    opts = milliseconds(options)
    hosts = opts.get("trusted_hosts")
    if isinstance(hosts, Sequence) and not isinstance(hosts, (str, bytes)):
        opts["trusted_hosts"] = list(hosts)
    opts["api_key"] = api_key
    if mode is not None:
        opts["mode"] = mode
    if url is not None:
        opts["url"] = url
    return opts


def list_options(
    user_id: str,
    filter: Optional[Dict[str, Any]],
    search: Optional[Dict[str, Any]],
    page: Optional[int],
    limit: Optional[int],
    api_keys: Optional[Sequence[str]],
) -> Dict[str, Any]:
    """The options of a listing as the native layer takes them."""
    if api_keys is not None and (isinstance(api_keys, str) or not isinstance(api_keys, Sequence)):
        raise TypeError(f"api_keys must be a list of str or None, not {type(api_keys).__name__}")
    return {
        "user_id": user_id,
        "filter": filter,
        "search": search,
        "page": page,
        "limit": limit,
        "api_keys": None if api_keys is None else list(api_keys),
    }


async def connect(
    api_key: str,
    mode: Optional[str] = None,
    url: Optional[str] = None,
    *,
    lazy: bool = False,
    **options: "Unpack[ConnectOptions]",
) -> "Client":
    """Connects to the hub and waits for ``socket_connected`` (``lazy=True``: returns at once and
    connects in the background). ``mode`` is ``"prod"`` (default) or ``"dev"``; ``url`` (a
    ``ws://`` or ``wss://`` URL without the key) wins over it.

    ``options`` are the names of the options schema (``captivate.OPTIONS`` lists them, with
    their meaning, and ``captivate.ConnectOptions`` types them): durations in seconds
    (``request_timeout=3.0``; the schema's ``request_timeout_ms=3000`` is accepted too), the
    reconnect policy as a dict (``reconnect={"initial_delay": 0.05, "max_attempts": 3}``), and the official client's HTTP services (``transport="http"``,
    ``http_url``, ``files_url``, ``trusted_hosts``, ``refresh_file_links``). An unknown
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
        wildcard; ``page`` starts at 1. ``api_keys`` lists the conversations of other keys too
        (``captivate.list_across`` also hands each to the client of its own key)."""
        options = list_options(user_id, filter, search, page, limit, api_keys)
        loop, c = current()
        return c.call(loop, self._session.list_conversations(c.native, options))

    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> "Awaitable[File]":
        """Uploads a file to the file-to-text service, filed under no conversation (see
        ``Conversation.upload_file``, which files it under one)."""
        data, options = prepare(source, filename, content_type, storage, url, ttl_days)
        loop, c = current()
        return c.call(loop, self._session.upload_file(c.native, None, data, options))

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> "Awaitable[List[File]]":
        """Uploads several files at once, filed under no conversation (see
        ``Conversation.upload_files``)."""
        files = prepare_many(sources, storage, urls, ttl_days)
        loop, c = current()
        return c.call(loop, self._session.upload_files(c.native, None, files))

    def presigned_url(
        self, file_key: str, expires_in: Union[int, datetime.timedelta, None] = None
    ) -> "Awaitable[str]":
        """A new presigned link to a stored file (``File.storage.file_key``), living
        ``expires_in`` (seconds or a ``timedelta``; default two hours)."""
        lifetime = seconds(expires_in)
        loop, c = current()
        return c.call(loop, self._session.presigned_url(c.native, file_key, lifetime))

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
        hub has read it. ``files`` takes ``File`` objects (those ``upload_file`` gives, or
        ``File(url, type, filename)``) or dicts of the same fields; a message with files goes
        as the official client sends it (``{"text", "files"}``)."""
        loop, c = current()
        return c.call(loop, self._session.send_message(c.native, self.id, text, files))

    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> "Awaitable[File]":
        """Uploads a file to the file-to-text service, filed under this conversation; completes
        with the ``File`` to send (``send_message(files=[file])``), whose ``text`` is the text
        the service extracted.

        ``source`` is a path (``str`` or ``os.PathLike``), bytes (``bytes``, ``bytearray``,
        ``memoryview``) or a binary file object (read from its position to its end); it is read
        when the method is called. ``filename`` defaults to the path's or file object's name,
        else ``attachment_<milliseconds>``; ``content_type`` to a guess from the name. With
        ``storage`` (the default) the service keeps the file behind a presigned link
        (``File.storage``) for ``ttl_days`` (1, 7, 30 or 90; default: the conversation's last
        ``set_time_to_live``); without it, ``url`` says where the hub can fetch the file.
        A wrong type raises ``TypeError``, an unreadable path ``OSError``, both at once."""
        data, options = prepare(source, filename, content_type, storage, url, ttl_days)
        loop, c = current()
        return c.call(loop, self._session.upload_file(c.native, self.id, data, options))

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> "Awaitable[List[File]]":
        """Uploads several files at once (each as for ``upload_file``, named after itself);
        completes with their ``File`` objects in the same order, or raises the first failure
        (the other uploads stop). Without ``storage``, ``urls`` gives one URL per file."""
        files = prepare_many(sources, storage, urls, ttl_days)
        loop, c = current()
        return c.call(loop, self._session.upload_files(c.native, self.id, files))

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
        """The conversation's transcript (over REST with ``transport="http"``). Links of
        stored files about to expire (less than five minutes left) come back refreshed, and the
        refreshed files are pushed back to the hub with ``edit_message``, as the official
        client does, unless the client's ``refresh_file_links`` option is off; a link that
        cannot be refreshed is kept as it was."""
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


C = TypeVar("C")


class CrossKeyListing(Generic[C]):
    """A user's conversations listed across several API keys (``list_across``): each
    conversation is on the client of its own key, ready to use. Iterating it iterates
    ``conversations``."""

    __slots__ = ("conversations", "pagination")

    def __init__(self, conversations: List[C], pagination: Optional[Pagination]) -> None:
        self.conversations: List[C] = conversations
        """The conversations, in the hub's order."""
        self.pagination: Optional[Pagination] = pagination
        """Paging information, when the hub sent it."""

    def __iter__(self) -> Iterator[C]:
        return iter(self.conversations)

    def __len__(self) -> int:
        return len(self.conversations)

    def __repr__(self) -> str:
        return f"<captivate.CrossKeyListing of {len(self.conversations)} conversations>"


def clients_of(clients: Any, cls: type) -> List[Any]:
    """``clients`` as a list, each an instance of ``cls`` (else ``TypeError``)."""
    if isinstance(clients, (str, bytes)) or not isinstance(clients, Sequence):
        raise TypeError(f"clients must be a list of {cls.__name__}, not {type(clients).__name__}")
    out = list(clients)
    for x in out:
        if not isinstance(x, cls):
            raise TypeError(f"clients must be a list of {cls.__name__}, not of {type(x).__name__}")
    return out


def list_across(
    clients: Sequence[Client],
    user_id: str,
    *,
    filter: Optional[Dict[str, Any]] = None,
    search: Optional[Dict[str, Any]] = None,
    page: Optional[int] = None,
    limit: Optional[int] = None,
    api_keys: Optional[Sequence[str]] = None,
) -> "Awaitable[CrossKeyListing[Conversation]]":
    """Lists a user's conversations across the API keys of several clients (one client per
    key, as the official ``CaptivateChatManager``), asking through the first, and hands each
    conversation to the client of its own key. ``api_keys`` narrows the keys (default: every
    client's); the other arguments are those of ``Client.list_conversations``. A conversation
    of a key no client has raises ``ProtocolError``."""
    found = clients_of(clients, Client)
    options = list_options(user_id, filter, search, page, limit, api_keys)
    loop, c = current()
    call = c.call(loop, _native.Session.list_across(c.native, [x._session for x in found], options))
    return _across(found, call)


async def _across(clients: List[Client], call: Call) -> CrossKeyListing[Conversation]:
    pairs: List[Tuple[int, str]]
    pairs, pagination = await call
    return CrossKeyListing([Conversation(clients[i], cid) for i, cid in pairs], pagination)
