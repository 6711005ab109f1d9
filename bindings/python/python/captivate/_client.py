"""The clients' one table of operations, and the asyncio client made from it: ``connect``,
``Client`` and ``Conversation``.

Every operation is written once, here, as a method of ``Client`` or ``Conversation`` marked
``@operation``: it checks its arguments, starts the native call with ``_run`` (or ``_run_then``,
which also makes the result into what the method returns) and returns what that gives. The
asyncio client's ``_run`` returns an awaitable of the outcome; the blocking client
(``_blocking.py``) is made from the same methods, with a ``_run`` that waits for the outcome.

Every request is sent when its method is called, so calls made one after another reach the hub
in that order (gathered or not); the method returns an awaitable of the outcome. A call that
fails before anything is sent (an invalid argument, a closed client) raises at once. (``connect``,
``reconnect`` and ``close`` are coroutine functions: they start when awaited.)
"""

from __future__ import annotations

import datetime
import functools
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Coroutine,
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    cast,
)

from . import _native
from ._aio import EventStream, Feed, Listener, current
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
    StateChange,
    Transcript,
)
from ._options import ConnectOptions, milliseconds
from ._results import CrossKeyListing, FileList

if TYPE_CHECKING:
    from typing_extensions import Unpack

JSON = Union[Dict[str, Any], List[Any], str, int, float, bool, None]
"""A value JSON can carry."""

Files = Sequence[Union[File, Dict[str, Any]]]
"""Files to send: ``captivate.File`` objects, or dicts with a ``url`` (and ``type``, ``filename``)."""

F = TypeVar("F", bound=Callable[..., Any])

OPERATION = "__captivate_operation__"
"""The mark of an operation: the attribute ``operation`` sets on the function."""


def operation(fn: F) -> F:
    """Marks a method of ``Client`` or ``Conversation`` as an operation of both clients: the
    blocking client gets it too, its types made blocking (see ``_blocking.py``)."""
    setattr(fn, OPERATION, fn)
    return fn


def coroutine_operation(fn: F) -> F:
    """An operation whose asyncio form is a coroutine function: nothing starts until it is
    awaited (``asyncio.run(captivate.connect(...))`` works). The blocking client gets the
    method as written."""

    @functools.wraps(fn)
    async def started_when_awaited(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    setattr(started_when_awaited, OPERATION, fn)
    return cast(F, started_when_awaited)


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


def clients_of(clients: Any, cls: type) -> List[Any]:
    """``clients`` as a list, each an instance of ``cls`` (else ``TypeError``)."""
    if isinstance(clients, (str, bytes)) or not isinstance(clients, Sequence):
        raise TypeError(f"clients must be a list of {cls.__name__}, not {type(clients).__name__}")
    out = list(clients)
    for x in out:
        if not isinstance(x, cls):
            raise TypeError(f"clients must be a list of {cls.__name__}, not of {type(x).__name__}")
    return out


def _any(_e: Any) -> bool:
    return True


def _is(cls: type) -> Callable[[Any], bool]:
    return lambda e: isinstance(e, cls)


async def _then(call: Awaitable[Any], then: Callable[[Any], Any]) -> Any:
    return then(await call)


class ClientBase:
    """What every client has, whatever way it waits: its connection's state and its
    callbacks. The hooks at the end are what each client defines for itself."""

    __slots__ = ("_session",)

    def __init__(self, session: _native.Session) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"<captivate.{type(self).__name__} {self.state.state}>"

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

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every client-level event; returns a function that stops it. With
        asyncio, ``fn`` (a function or coroutine function) runs on the loop where it was
        registered; with the blocking client, on the client's callback thread."""
        return self._listen(None, fn, _any, "client")

    def on_state_change(self, fn: Callable[[StateChange], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every connection state change (as ``on_event`` does); returns a
        stopper."""
        return self._listen(None, fn, _is(StateChange), "state")

    def _listen(
        self, conversation_id: Optional[str], fn: Callable[[Any], Any], want: Callable[[Any], bool], where: str
    ) -> Callable[[], None]:
        """Calls ``fn`` for the events ``want`` takes (of a conversation, or client-level);
        returns a stopper."""
        raise NotImplementedError


C = TypeVar("C", bound=ClientBase)


class ConversationBase(Generic[C]):
    """What every conversation has, whatever way its client waits: its id, its client and its
    callbacks. Two handles are equal when they are of the same conversation on the same client."""

    __slots__ = ("_client", "_session", "id")

    def __init__(self, client: C, conversation_id: str) -> None:
        self._client = client
        self._session = client._session
        self.id: str = conversation_id
        """The conversation's id."""

    @property
    def client(self) -> C:
        """The client this conversation belongs to."""
        return self._client

    def __repr__(self) -> str:
        return f"<captivate.{type(self).__name__} {self.id}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConversationBase):
            return NotImplemented
        return other._client is self._client and other.id == self.id

    def __hash__(self) -> int:
        return hash((id(self._client), self.id))

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every event of this conversation; returns a function that stops it.
        With asyncio, ``fn`` (a function or coroutine function) runs on the loop where it was
        registered; with the blocking client, on the client's callback thread."""
        return self._client._listen(self.id, fn, _any, "conversation")

    def on_message(self, fn: Callable[[Message], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every bot and live-agent message (as ``on_event`` does)."""
        return self._client._listen(self.id, fn, _is(Message), "message")

    def on_action(self, fn: Callable[[ActionEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every action the flow sends (as ``on_event`` does)."""
        return self._client._listen(self.id, fn, _is(ActionEvent), "action")

    def on_update(self, fn: Callable[[ConversationUpdate], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every conversation update (agent connected, ...)."""
        return self._client._listen(self.id, fn, _is(ConversationUpdate), "update")

    def on_error(self, fn: Callable[[HubErrorEvent], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every error the hub reports about this conversation."""
        return self._client._listen(self.id, fn, _is(HubErrorEvent), "error")


class Conversation(ConversationBase["Client"]):
    """A conversation with the hub. Obtain one from ``Client.start_conversation`` or
    ``Client.conversation``."""

    __slots__ = ()

    @operation
    def events(self) -> EventStream:
        """This conversation's events (messages, actions, updates, hub errors, connection state
        changes, discontinuities, delivery reports), as an iterator: ``async for`` with asyncio,
        ``for`` with the blocking client. It ends at the client's close."""
        return self._client._stream(self.id)

    @operation
    def send_message(self, text: Optional[str] = None, *, files: Optional[Files] = None) -> Awaitable[str]:
        """Sends text, files, or both; completes with the message's ``client_msg_id`` once the
        hub has read it. ``files`` takes ``File`` objects (those ``upload_file`` gives, or
        ``File(url, type, filename)``) or dicts of the same fields; a message with files goes
        as the official client sends it (``{"text", "files"}``)."""
        return self._client._run(self._session.send_message, self.id, text, files)

    @operation
    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> Awaitable[File]:
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
        return self._client._run(self._session.upload_file, self.id, data, options)

    @operation
    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> Awaitable[FileList]:
        """Uploads several files at once (each as for ``upload_file``, named after itself);
        completes with their ``File`` objects in the same order (a ``FileList``), or raises the
        first failure (the other uploads stop). Without ``storage``, ``urls`` gives one URL per
        file."""
        files = prepare_many(sources, storage, urls, ttl_days)
        return self._client._run_then(FileList, self._session.upload_files, self.id, files)

    @operation
    def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> Awaitable[None]:
        """Sets metadata (a dict) for ``target``: None, ``"default"``, ``"bot"``, ``"live"`` or
        ``"bot_live"``."""
        return self._client._run(self._session.set_metadata, self.id, metadata, target)

    @operation
    def set_private_metadata(self, private: JSON) -> Awaitable[None]:
        """Sets private metadata (for back-ends only; stored under the key ``private``)."""
        return self._client._run(self._session.set_private_metadata, self.id, private)

    @operation
    def set_time_to_live(self, days: int) -> Awaitable[None]:
        """Sets how long the conversation's files are kept: 1, 7, 30 or 90 days."""
        return self._client._run(self._session.set_time_to_live, self.id, days)

    @operation
    def get_metadata(self) -> Awaitable[Dict[str, Any]]:
        """The conversation's metadata (private metadata under ``private``)."""
        return self._client._run(self._session.get_metadata, self.id)

    @operation
    def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> Awaitable[None]:
        """Sends an action, e.g. ``escalateToHuman``, with optional data."""
        return self._client._run(self._session.send_action, self.id, action_id, data, type)

    @operation
    def edit_message(
        self, message_id: str, text: Optional[str] = None, *, files: Optional[Files] = None
    ) -> Awaitable[None]:
        """Replaces the content of a message sent earlier (by its ``client_msg_id``)."""
        return self._client._run(self._session.edit_message, self.id, message_id, text, files)

    @operation
    def get_transcript(self) -> Awaitable[Transcript]:
        """The conversation's transcript (over REST with ``transport="http"``). Links of
        stored files about to expire (less than five minutes left) come back refreshed, and the
        refreshed files are pushed back to the hub with ``edit_message``, as the official
        client does, unless the client's ``refresh_file_links`` option is off; a link that
        cannot be refreshed is kept as it was."""
        return self._client._run(self._session.get_transcript, self.id)

    @operation
    def delete(self, *, hard: bool = False) -> Awaitable[None]:
        """Deletes the conversation (soft by default)."""
        return self._client._run(self._session.delete_conversation, self.id, bool(hard))


class Client(ClientBase):
    """A connection to the hub, shared by its conversations. Create one with
    ``await captivate.connect(...)``; ``async with`` closes it."""

    __slots__ = ("_feed_now",)

    def __init__(self, session: _native.Session) -> None:
        super().__init__(session)
        # Made with the first listener: until then the core keeps what arrives for them.
        self._feed_now: Optional[Feed] = None

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ----- the operations (the blocking client is made from these) -----

    @classmethod
    @coroutine_operation
    def connect(
        cls,
        api_key: str,
        mode: Optional[str] = None,
        url: Optional[str] = None,
        *,
        lazy: bool = False,
        **options: "Unpack[ConnectOptions]",
    ) -> Coroutine[Any, Any, Client]:
        """Connects to the hub and waits for ``socket_connected`` (``lazy=True``: returns at once
        and connects in the background). ``mode`` is ``"prod"`` (default) or ``"dev"``; ``url``
        (a ``ws://`` or ``wss://`` URL without the key) wins over it.

        ``options`` are the names of the options schema (``captivate.OPTIONS`` lists them, with
        their meaning, and ``captivate.ConnectOptions`` types them): durations in seconds
        (``request_timeout=3.0``; the schema's ``request_timeout_ms=3000`` is accepted too), the
        reconnect policy as a dict (``reconnect={"initial_delay": 0.05, "max_attempts": 3}``),
        and the official client's HTTP services (``transport="http"``, ``http_url``,
        ``files_url``, ``trusted_hosts``, ``refresh_file_links``). An unknown name or a wrong
        value raises ``InvalidArgument``; a refused key ``Rejected``; an unreachable hub
        ``ConnectError`` or ``Timeout``."""
        sync_log_level()
        return cls._run_then(cls, _native.Session.connect, options_of(api_key, mode, url, options), lazy)

    @classmethod
    @operation
    def list_across(
        cls,
        clients: Sequence[Client],
        user_id: str,
        *,
        filter: Optional[Dict[str, Any]] = None,
        search: Optional[Dict[str, Any]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        api_keys: Optional[Sequence[str]] = None,
    ) -> Awaitable[CrossKeyListing[Conversation]]:
        """Lists a user's conversations across the API keys of several clients (one client per
        key, as the official ``CaptivateChatManager``), asking through the first, and hands each
        conversation to the client of its own key, with what the hub said of it (its metadata,
        in ``summaries``). ``api_keys`` narrows the keys (default: every client's); the other
        arguments are those of ``list_conversations``. A conversation of a key no client has
        raises ``ProtocolError``."""
        found = clients_of(clients, cls)
        options = list_options(user_id, filter, search, page, limit, api_keys)

        def listing(result: Tuple[List[int], ConversationList]) -> CrossKeyListing[Any]:
            at, summaries = result
            return CrossKeyListing(
                [found[i]._conversation_of(s.conversation_id) for i, s in zip(at, summaries)], summaries
            )

        return cls._run_then(listing, _native.Session.list_across, [x._session for x in found], options)

    @operation
    def events(self) -> EventStream:
        """Client-level events: connection state changes, and hub events that name no open
        conversation (or name none while exactly one is open), as an iterator (``async for``
        with asyncio, ``for`` with the blocking client). It ends at the close."""
        return self._stream(None)

    @operation
    def raw_events(self) -> EventStream:
        """Every frame from the hub from now on, decoded, known or not, before deduplication and
        routing (the escape hatch)."""
        return self._raw_stream()

    @operation
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
    ) -> Awaitable[Conversation]:
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
        return self._run_then(self._conversation_of, self._session.start_conversation, options)

    @operation
    def conversation(self, conversation_id: str) -> Conversation:
        """A handle to an existing conversation; its events are routed to it from now on."""
        return self._conversation_of(self._session.conversation(conversation_id))

    @operation
    def list_conversations(
        self,
        user_id: str,
        *,
        filter: Optional[Dict[str, Any]] = None,
        search: Optional[Dict[str, Any]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        api_keys: Optional[Sequence[str]] = None,
    ) -> Awaitable[ConversationList]:
        """Lists a user's conversations: ``filter`` matches metadata exactly, ``search`` by
        wildcard; ``page`` starts at 1. ``api_keys`` lists the conversations of other keys too
        (``list_across`` also hands each to the client of its own key)."""
        options = list_options(user_id, filter, search, page, limit, api_keys)
        return self._run(self._session.list_conversations, options)

    @operation
    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> Awaitable[File]:
        """Uploads a file to the file-to-text service, filed under no conversation (see
        ``Conversation.upload_file``, which files it under one)."""
        data, options = prepare(source, filename, content_type, storage, url, ttl_days)
        return self._run(self._session.upload_file, None, data, options)

    @operation
    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> Awaitable[FileList]:
        """Uploads several files at once, filed under no conversation (see
        ``Conversation.upload_files``)."""
        files = prepare_many(sources, storage, urls, ttl_days)
        return self._run_then(FileList, self._session.upload_files, None, files)

    @operation
    def presigned_url(self, file_key: str, expires_in: Union[int, datetime.timedelta, None] = None) -> Awaitable[str]:
        """A new presigned link to a stored file (``File.storage.file_key``), living
        ``expires_in`` (seconds or a ``timedelta``; default two hours)."""
        return self._run(self._session.presigned_url, file_key, seconds(expires_in))

    @operation
    def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> Awaitable[None]:
        """Deletes all of a user's conversations (soft by default)."""
        return self._run(self._session.delete_user_conversations, user_id, bool(hard))

    @operation
    def send_raw(self, event_type: str, payload: JSON = None) -> Awaitable[None]:
        """The escape hatch: sends any event type with any payload; completes once written."""
        return self._run(self._session.request, event_type, payload)

    @operation
    def request_raw(
        self, event_type: str, payload: JSON, reply_event_type: str, conversation_id: Optional[str] = None
    ) -> Awaitable[Event]:
        """Sends any event and waits for the first ``reply_event_type`` event nobody else waits
        for (naming ``conversation_id``, when given)."""
        return self._run(self._session.request, event_type, payload, reply_event_type, conversation_id)

    @coroutine_operation
    def reconnect(self) -> Coroutine[Any, Any, None]:
        """Connects again after a close or a failure (or retries at once while waiting to
        reconnect) and waits until connected, at most the connect timeout. Streams and
        listeners ended by a close stay ended: make new ones. After a failure they carry on."""
        closed = self._session.state().state == "closed"
        return self._run_then(lambda _: self._feed_reset() if closed else None, self._session.reconnect)

    @coroutine_operation
    def close(self) -> Coroutine[Any, Any, None]:
        """Closes gracefully (close code 1000) and waits until closed: waiting calls fail with
        ``Closed``, every stream and listener ends, and calls made afterwards fail at once with
        ``Closed``."""
        return self._run_then(lambda _: self._after_close(), self._session.close)

    # ----- how the asyncio client waits (the blocking client has its own) -----

    @staticmethod
    def _run(start: Callable[..., int], *args: Any) -> Awaitable[Any]:
        """Starts a native call (``start(completions, *args)``) for the running loop: its
        outcome, to await."""
        loop, c = current()
        return c.call(loop, start(c.native, *args))

    @staticmethod
    def _run_then(then: Callable[[Any], Any], start: Callable[..., int], *args: Any) -> Coroutine[Any, Any, Any]:
        """As ``_run``, the outcome made into what the method gives by ``then``."""
        loop, c = current()
        return _then(c.call(loop, start(c.native, *args)), then)

    def _conversation_of(self, conversation_id: str) -> Conversation:
        return Conversation(self, conversation_id)

    @property
    def _feed(self) -> Feed:
        feed = self._feed_now
        if feed is None:
            feed = self._feed_now = Feed(self._session.feed())
        return feed

    def _stream(self, conversation_id: Optional[str]) -> EventStream:
        return EventStream(self._feed, conversation_id)

    def _raw_stream(self) -> EventStream:
        return EventStream(Feed(self._session.raw_feed()), None)

    def _listen(
        self, conversation_id: Optional[str], fn: Callable[[Any], Any], want: Callable[[Any], bool], where: str
    ) -> Callable[[], None]:
        return Listener(self._feed, conversation_id, fn, want, where).stop

    def _feed_reset(self) -> None:
        # After a close, the feed ended: the next listener makes a new one.
        self._feed_now = None

    def _after_close(self) -> None:
        feed = self._feed_now
        if feed is not None and feed.attached is not None:
            feed.dispatch()


connect = Client.connect
list_across = Client.list_across
