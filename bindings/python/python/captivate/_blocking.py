"""The blocking client, for scripts and REPLs: the methods of ``Client``, each waiting on the
caller's thread for its outcome with the GIL released (Ctrl-C interrupts the wait and stops
the call). There is no event loop and no thread behind it: a call after ``close`` fails at once
with ``Closed``, and every stream ends at the close."""

from __future__ import annotations

import datetime
import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _native
from ._client import JSON, CrossKeyListing, Files, clients_of, list_options, options_of
from ._files import Source, prepare, prepare_many, seconds
from ._logs import sync_log_level
from ._native import ConnectionState, ConversationList, Event, File, Message, StateChange, Transcript
from ._options import ConnectOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

_CALLS = _native.Completions(False)


def _wait(token: int) -> Any:
    return _CALLS.wait(token)


class BlockingEventStream:
    """An iterator of events for blocking code; waiting releases the GIL, and Ctrl-C
    interrupts it. It ends at the client's close, like ``EventStream``."""

    def __init__(self, feed: _native.Feed, conversation_id: Optional[str]) -> None:
        self._feed = feed
        self._key = feed.listen(conversation_id)

    def __iter__(self) -> "BlockingEventStream":
        return self

    def __next__(self) -> Event:
        e = self._feed.next_blocking(self._key)
        if e is None:
            raise StopIteration
        return e

    def next(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event; None once the stream has ended or after ``timeout`` seconds."""
        return self._feed.next_blocking(self._key, timeout)

    def close(self) -> None:
        """Stops listening."""
        self._feed.unlisten(self._key)

    def __del__(self) -> None:
        try:
            self._feed.unlisten(self._key)
        except Exception:  # at interpreter exit the native module may be gone
            pass


class _Dispatcher:
    """Runs a blocking client's callbacks on a thread of its own. The thread waits for the
    feed's doorbell in plain Python (never inside native code), and ends once it has no
    callbacks left (after the client's close, every listener ends)."""

    def __init__(self, feed: _native.Feed) -> None:
        self.feed = feed
        self.bell = _native.Completions()
        os.set_blocking(self.bell.writer_fileno(), False)
        feed.attach(self.bell)
        self.callbacks: Dict[int, Tuple[Callable[[Any], Any], Callable[[Any], bool]]] = {}
        self.lock = threading.Lock()
        self.thread: Optional[threading.Thread] = None

    def listen(
        self, conversation_id: Optional[str], fn: Callable[[Any], Any], want: Callable[[Any], bool]
    ) -> Callable[[], None]:
        if not callable(fn):
            raise TypeError("the callback must be callable")
        with self.lock:
            key = self.feed.listen(conversation_id, True)
            self.callbacks[key] = (fn, want)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="captivate-callbacks", daemon=True)
                self.thread.start()

        def stop() -> None:
            with self.lock:
                self.callbacks.pop(key, None)
            self.feed.unlisten(key)

        return stop

    def _run(self) -> None:
        fd = self.bell.fileno()
        while True:
            with self.lock:
                if not self.callbacks:
                    self.thread = None
                    return
            os.read(fd, 4096)
            self.bell.take()
            for key in self.feed.pump_woken():
                self._deliver(key)

    def _deliver(self, key: int) -> None:
        while True:
            with self.lock:
                entry = self.callbacks.get(key)
            if entry is None:
                return
            fn, want = entry
            e = self.feed.next(key)
            if e is None:
                if self.feed.ended(key):
                    with self.lock:
                        self.callbacks.pop(key, None)
                    self.feed.unlisten(key)
                return
            if want(e):
                try:
                    fn(e)
                except Exception:
                    logging.getLogger("captivate").exception("a callback of the blocking client raised")


class BlockingConversation:
    """The blocking twin of ``Conversation``."""

    def __init__(self, client: "BlockingClient", conversation_id: str) -> None:
        self._client = client
        self._session = client._session
        self.id: str = conversation_id
        """The conversation's id."""

    @property
    def client(self) -> "BlockingClient":
        """The client this conversation belongs to."""
        return self._client

    def __repr__(self) -> str:
        return f"<captivate.BlockingConversation {self.id}>"

    def events(self) -> BlockingEventStream:
        """This conversation's events, as a blocking iterator."""
        return BlockingEventStream(self._client._feed, self.id)

    def send_message(self, text: Optional[str] = None, *, files: Optional[Files] = None) -> str:
        """See ``Conversation.send_message``."""
        msg_id: str = _wait(self._session.send_message(_CALLS, self.id, text, files))
        return msg_id

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
        """See ``Conversation.upload_file``."""
        data, options = prepare(source, filename, content_type, storage, url, ttl_days)
        file: File = _wait(self._session.upload_file(_CALLS, self.id, data, options))
        return file

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> List[File]:
        """See ``Conversation.upload_files`` (the uploads run at once)."""
        files: List[File] = _wait(self._session.upload_files(_CALLS, self.id, prepare_many(sources, storage, urls, ttl_days)))
        return files

    def set_metadata(self, metadata: Dict[str, Any], *, target: Optional[str] = None) -> None:
        """See ``Conversation.set_metadata``."""
        _wait(self._session.set_metadata(_CALLS, self.id, metadata, target))

    def set_private_metadata(self, private: JSON) -> None:
        """See ``Conversation.set_private_metadata``."""
        _wait(self._session.set_private_metadata(_CALLS, self.id, private))

    def set_time_to_live(self, days: int) -> None:
        """See ``Conversation.set_time_to_live``."""
        _wait(self._session.set_time_to_live(_CALLS, self.id, days))

    def get_metadata(self) -> Dict[str, Any]:
        """See ``Conversation.get_metadata``."""
        metadata: Dict[str, Any] = _wait(self._session.get_metadata(_CALLS, self.id))
        return metadata

    def send_action(self, action_id: str, data: JSON = None, *, type: Optional[str] = None) -> None:
        """See ``Conversation.send_action``."""
        _wait(self._session.send_action(_CALLS, self.id, action_id, data, type))

    def edit_message(self, message_id: str, text: Optional[str] = None, *, files: Optional[Files] = None) -> None:
        """See ``Conversation.edit_message``."""
        _wait(self._session.edit_message(_CALLS, self.id, message_id, text, files))

    def get_transcript(self) -> Transcript:
        """See ``Conversation.get_transcript``."""
        transcript: Transcript = _wait(self._session.get_transcript(_CALLS, self.id))
        return transcript

    def delete(self, *, hard: bool = False) -> None:
        """See ``Conversation.delete``."""
        _wait(self._session.delete_conversation(_CALLS, self.id, bool(hard)))

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every event of this conversation, on the client's callback thread.
        Returns a function that stops it."""
        return self._client._callbacks().listen(self.id, fn, _any)

    def on_message(self, fn: Callable[[Message], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every bot and live-agent message, on the client's callback thread."""
        return self._client._callbacks().listen(self.id, fn, lambda e: isinstance(e, Message))


def _any(_e: Any) -> bool:
    return True


class BlockingClient:
    """A client for scripts and REPLs: the methods of ``Client``, each waiting for its outcome."""

    def __init__(self, session: _native.Session) -> None:
        self._session = session
        self._feed = session.feed()
        self._dispatcher: Optional[_Dispatcher] = None

    @classmethod
    def connect(
        cls,
        api_key: str,
        mode: Optional[str] = None,
        url: Optional[str] = None,
        *,
        lazy: bool = False,
        **options: "Unpack[ConnectOptions]",
    ) -> "BlockingClient":
        """Connects; takes the arguments of ``captivate.connect``."""
        sync_log_level()
        session: _native.Session = _wait(_native.Session.connect(_CALLS, options_of(api_key, mode, url, options), lazy))
        return cls(session)

    def __repr__(self) -> str:
        return f"<captivate.BlockingClient {self.state.state}>"

    def __enter__(self) -> "BlockingClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _callbacks(self) -> _Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = _Dispatcher(self._feed)
        return self._dispatcher

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
        """The hub's id of the current socket."""
        return self._session.socket_id()

    def events(self) -> BlockingEventStream:
        """Client-level events, as a blocking iterator."""
        return BlockingEventStream(self._feed, None)

    def on_event(self, fn: Callable[[Event], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every client-level event, on the client's callback thread."""
        return self._callbacks().listen(None, fn, _any)

    def on_state_change(self, fn: Callable[[StateChange], Any]) -> Callable[[], None]:
        """Calls ``fn`` for every connection state change, on the client's callback thread."""
        return self._callbacks().listen(None, fn, lambda e: isinstance(e, StateChange))

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
        """See ``Client.start_conversation``."""
        options = {
            "user_id": user_id,
            "user_basic_info": user_basic_info,
            "metadata": metadata,
            "private_metadata": private_metadata,
            "user_metadata": user_metadata,
            "user_data": user_data,
            "start": start,
        }
        conversation_id: str = _wait(self._session.start_conversation(_CALLS, options))
        return BlockingConversation(self, conversation_id)

    def conversation(self, conversation_id: str) -> BlockingConversation:
        """See ``Client.conversation``."""
        return BlockingConversation(self, self._session.conversation(conversation_id))

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
        """See ``Client.list_conversations``."""
        options = list_options(user_id, filter, search, page, limit, api_keys)
        listing: ConversationList = _wait(self._session.list_conversations(_CALLS, options))
        return listing

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
        """See ``Client.upload_file``."""
        data, options = prepare(source, filename, content_type, storage, url, ttl_days)
        file: File = _wait(self._session.upload_file(_CALLS, None, data, options))
        return file

    def upload_files(
        self,
        sources: Sequence[Source],
        *,
        storage: bool = True,
        urls: Optional[Sequence[str]] = None,
        ttl_days: Optional[int] = None,
    ) -> List[File]:
        """See ``Client.upload_files``."""
        files: List[File] = _wait(self._session.upload_files(_CALLS, None, prepare_many(sources, storage, urls, ttl_days)))
        return files

    def presigned_url(self, file_key: str, expires_in: Union[int, datetime.timedelta, None] = None) -> str:
        """See ``Client.presigned_url``."""
        url: str = _wait(self._session.presigned_url(_CALLS, file_key, seconds(expires_in)))
        return url

    def delete_user_conversations(self, user_id: str, *, hard: bool = False) -> None:
        """See ``Client.delete_user_conversations``."""
        _wait(self._session.delete_user_conversations(_CALLS, user_id, bool(hard)))

    def send_raw(self, event_type: str, payload: JSON = None) -> None:
        """See ``Client.send_raw``."""
        _wait(self._session.request(_CALLS, event_type, payload))

    def request_raw(
        self, event_type: str, payload: JSON, reply_event_type: str, conversation_id: Optional[str] = None
    ) -> Event:
        """See ``Client.request_raw``."""
        reply: Event = _wait(self._session.request(_CALLS, event_type, payload, reply_event_type, conversation_id))
        return reply

    def reconnect(self) -> None:
        """Connects again and waits until connected (see ``Client.reconnect``)."""
        closed = self._session.state().state == "closed"
        _wait(self._session.reconnect(_CALLS))
        if closed:
            self._feed = self._session.feed()
            self._dispatcher = None

    def close(self) -> None:
        """Closes the connection and waits until closed: every stream and callback ends, and
        calls made afterwards fail at once with ``Closed``."""
        _wait(self._session.close(_CALLS))



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
    """The blocking twin of ``captivate.list_across``: each conversation comes back on the
    ``BlockingClient`` of its own key."""
    found: List[BlockingClient] = clients_of(clients, BlockingClient)
    options = list_options(user_id, filter, search, page, limit, api_keys)
    pairs: List[Tuple[int, str]]
    pairs, pagination = _wait(_native.Session.list_across(_CALLS, [x._session for x in found], options))
    return CrossKeyListing([BlockingConversation(found[i], cid) for i, cid in pairs], pagination)
