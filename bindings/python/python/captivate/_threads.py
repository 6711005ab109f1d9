"""How the blocking client waits: its calls wait on the caller's thread for their outcome with
the GIL released (Ctrl-C interrupts the wait and stops the call), its event streams are
iterators that wait likewise, and its callbacks run on a thread of their own. There is no event
loop behind it. ``BlockingSurface`` is what the blocking client adds to the operations of
``Client`` (``_blocking.py`` makes the client from both)."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar

from . import _native
from ._client import ClientBase
from ._native import Event

_CALLS = _native.Completions(False)
"""The blocking calls in flight (no doorbell: each is waited for by its caller)."""


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


S = TypeVar("S", bound="BlockingSurface")


class BlockingSurface(ClientBase):
    """A client whose calls wait for their outcome: the hooks the operations of ``Client`` run
    on in the blocking client, its ``with`` block, and its callback thread."""

    __slots__ = ("_feed", "_dispatcher")

    _conversation_class: Callable[[Any, str], Any]
    """The class of its conversations (``BlockingConversation``)."""

    def __init__(self, session: _native.Session) -> None:
        super().__init__(session)
        self._feed = session.feed()
        self._dispatcher: Optional[_Dispatcher] = None

    if TYPE_CHECKING:

        def close(self) -> None:
            """Closes the connection and waits until closed."""

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @staticmethod
    def _run(start: Callable[..., int], *args: Any) -> Any:
        """Starts a native call (``start(completions, *args)``) and waits for its outcome."""
        return _CALLS.wait(start(_CALLS, *args))

    @staticmethod
    def _run_then(then: Callable[[Any], Any], start: Callable[..., int], *args: Any) -> Any:
        """As ``_run``, the outcome made into what the method gives by ``then``."""
        return then(_CALLS.wait(start(_CALLS, *args)))

    def _conversation_of(self, conversation_id: str) -> Any:
        return self._conversation_class(self, conversation_id)

    def _stream(self, conversation_id: Optional[str]) -> BlockingEventStream:
        return BlockingEventStream(self._feed, conversation_id)

    def _raw_stream(self) -> BlockingEventStream:
        return BlockingEventStream(self._session.raw_feed(), None)

    def _callbacks(self) -> _Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = _Dispatcher(self._feed)
        return self._dispatcher

    def _listen(
        self, conversation_id: Optional[str], fn: Callable[[Any], Any], want: Callable[[Any], bool], where: str
    ) -> Callable[[], None]:
        return self._callbacks().listen(conversation_id, fn, want)

    def _feed_reset(self) -> None:
        # After a close, the feed ended: a new one, and a new callback thread when needed.
        self._feed = self._session.feed()
        self._dispatcher = None

    def _after_close(self) -> None:
        pass
