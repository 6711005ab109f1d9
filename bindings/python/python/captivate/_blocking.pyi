"""The blocking client, for scripts and REPLs: the methods of ``Client`` and ``Conversation``,
each waiting on the caller's thread for its outcome with the GIL released (Ctrl-C interrupts
the wait and stops the call). There is no event loop and no thread behind it: a call after
``close`` fails at once with ``Closed``, and every stream ends at the close. Callbacks run on a
thread of the client's own.

The classes are made from the asyncio client's operations (``_twin.py``), so that each
operation is written once; ``_blocking.pyi`` gives their types."""

# Written by `python -m captivate._stubgen` from the operations of Client and Conversation
# (_client.py): do not edit. The package's tests fail when it is stale.

import datetime
from typing import Any, Dict, Optional, Sequence, Union
from typing_extensions import Unpack

from ._client import ConversationBase, Files, JSON
from ._files import Source
from ._native import ConversationList, Event, File, Transcript
from ._options import ConnectOptions
from ._results import CrossKeyListing, FileList
from ._threads import BlockingEventStream as BlockingEventStream, BlockingSurface


class BlockingConversation(ConversationBase["BlockingClient"]):
    """A conversation of a ``BlockingClient``: the methods of ``Conversation``, each waiting for
    its outcome; its events are a blocking iterator, its callbacks run on the client's
    callback thread."""

    def events(self) -> BlockingEventStream:
        """This conversation's events (messages, actions, updates, hub errors, connection state
        changes, discontinuities, delivery reports), as an iterator: ``async for`` with asyncio,
        ``for`` with the blocking client. It ends at the client's close."""

    def send_message(self, text: Optional[str] = None, *, files: Optional[Files] = None) -> str:
        """Sends text, files, or both; completes with the message's ``client_msg_id`` once the
        hub has read it. ``files`` takes ``File`` objects (those ``upload_file`` gives, or
        ``File(url, type, filename)``) or dicts of the same fields; a message with files goes
        as the official client sends it (``{"text", "files"}``)."""

    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> File:
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

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> FileList:
        """Uploads several files at once (each as for ``upload_file``, named after itself);
        completes with their ``File`` objects in the same order (a ``FileList``), or raises the
        first failure (the other uploads stop). Without ``storage``, ``urls`` gives one URL per
        file."""

    def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> None:
        """Sets metadata (a dict) for ``target``: None, ``"default"``, ``"bot"``, ``"live"`` or
        ``"bot_live"``."""

    def set_private_metadata(self, private: JSON) -> None:
        """Sets private metadata (for back-ends only; stored under the key ``private``)."""

    def set_time_to_live(self, days: int) -> None:
        """Sets how long the conversation's files are kept: 1, 7, 30 or 90 days."""

    def get_metadata(self) -> Dict[str, Any]:
        """The conversation's metadata (private metadata under ``private``)."""

    def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> None:
        """Sends an action, e.g. ``escalateToHuman``, with optional data."""

    def edit_message(
        self,
        message_id: str,
        text: Optional[str] = None,
        *,
        files: Optional[Files] = None,
    ) -> None:
        """Replaces the content of a message sent earlier (by its ``client_msg_id``)."""

    def get_transcript(self) -> Transcript:
        """The conversation's transcript (over REST with ``transport="http"``). Links of
        stored files about to expire (less than five minutes left) come back refreshed, and the
        refreshed files are pushed back to the hub with ``edit_message``, as the official
        client does, unless the client's ``refresh_file_links`` option is off; a link that
        cannot be refreshed is kept as it was."""

    def delete(self, *, hard: bool = False) -> None:
        """Deletes the conversation (soft by default)."""


class BlockingClient(BlockingSurface):
    """A client for scripts and REPLs: the methods of ``Client``, each waiting for its outcome.
    Create one with ``BlockingClient.connect(...)``; ``with`` closes it."""

    @classmethod
    def connect(
        cls,
        api_key: str,
        mode: Optional[str] = None,
        url: Optional[str] = None,
        *,
        lazy: bool = False,
        **options: Unpack[ConnectOptions],
    ) -> BlockingClient:
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

    @classmethod
    def list_across(
        cls,
        clients: Sequence[BlockingClient],
        user_id: str,
        *,
        filter: Optional[Dict[str, Any]] = None,
        search: Optional[Dict[str, Any]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        api_keys: Optional[Sequence[str]] = None,
    ) -> CrossKeyListing[BlockingConversation]:
        """Lists a user's conversations across the API keys of several clients (one client per
        key, as the official ``CaptivateChatManager``), asking through the first, and hands each
        conversation to the client of its own key, with what the hub said of it (its metadata,
        in ``summaries``). ``api_keys`` narrows the keys (default: every client's); the other
        arguments are those of ``list_conversations``. A conversation of a key no client has
        raises ``ProtocolError``."""

    def events(self) -> BlockingEventStream:
        """Client-level events: connection state changes, and hub events that name no open
        conversation (or name none while exactly one is open), as an iterator (``async for``
        with asyncio, ``for`` with the blocking client). It ends at the close."""

    def raw_events(self) -> BlockingEventStream:
        """Every frame from the hub from now on, decoded, known or not, before deduplication and
        routing (the escape hatch)."""

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
    ) -> BlockingConversation:
        """Starts a conversation. ``start="bot-first"`` (default) makes the flow greet the
        user; ``"user-first"`` waits for the user. Concurrent starts each get their own id."""

    def conversation(self, conversation_id: str) -> BlockingConversation:
        """A handle to an existing conversation; its events are routed to it from now on."""

    def list_conversations(
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
        wildcard; ``page`` starts at 1. ``api_keys`` lists the conversations of other keys too
        (``list_across`` also hands each to the client of its own key)."""

    def upload_file(
        self,
        source: Source,
        *,
        filename: Optional[str] = None,
        content_type: Optional[str] = None,
        storage: bool = True,
        url: Optional[str] = None,
        ttl_days: Optional[int] = None,
    ) -> File:
        """Uploads a file to the file-to-text service, filed under no conversation (see
        ``Conversation.upload_file``, which files it under one)."""

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> FileList:
        """Uploads several files at once, filed under no conversation (see
        ``Conversation.upload_files``)."""

    def presigned_url(self, file_key: str, expires_in: Union[int, datetime.timedelta, None] = None) -> str:
        """A new presigned link to a stored file (``File.storage.file_key``), living
        ``expires_in`` (seconds or a ``timedelta``; default two hours)."""

    def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> None:
        """Deletes all of a user's conversations (soft by default)."""

    def send_raw(self, event_type: str, payload: JSON = None) -> None:
        """The escape hatch: sends any event type with any payload; completes once written."""

    def request_raw(
        self,
        event_type: str,
        payload: JSON,
        reply_event_type: str,
        conversation_id: Optional[str] = None,
    ) -> Event:
        """Sends any event and waits for the first ``reply_event_type`` event nobody else waits
        for (naming ``conversation_id``, when given)."""

    def reconnect(self) -> None:
        """Connects again after a close or a failure (or retries at once while waiting to
        reconnect) and waits until connected, at most the connect timeout. Streams and
        listeners ended by a close stay ended: make new ones. After a failure they carry on."""

    def close(self) -> None:
        """Closes gracefully (close code 1000) and waits until closed: waiting calls fail with
        ``Closed``, every stream and listener ends, and calls made afterwards fail at once with
        ``Closed``."""


def list_across_blocking(
    clients: Sequence[BlockingClient],
    user_id: str,
    *,
    filter: Optional[Dict[str, Any]] = None,
    search: Optional[Dict[str, Any]] = None,
    page: Optional[int] = None,
    limit: Optional[int] = None,
    api_keys: Optional[Sequence[str]] = None,
) -> CrossKeyListing[BlockingConversation]:
    """Lists a user's conversations across the API keys of several clients (one client per
    key, as the official ``CaptivateChatManager``), asking through the first, and hands each
    conversation to the client of its own key, with what the hub said of it (its metadata,
    in ``summaries``). ``api_keys`` narrows the keys (default: every client's); the other
    arguments are those of ``list_conversations``. A conversation of a key no client has
    raises ``ProtocolError``."""
