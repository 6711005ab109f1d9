"""How the native layer meets asyncio: one doorbell per event loop, calls as futures, and the
feed of each client dispatched to its event streams and callbacks.

The library's threads never call into Python. When calls complete, or a feed has events for a
listener that waits, they note it and ring the loop's doorbell: one byte into a pipe the loop
watches (or, on a loop that cannot watch a pipe, such as Windows' proactor loop, that a thread
of ours waits on and passes to the loop with ``call_soon_threadsafe``), written only if the loop
has not been rung since it last looked. The loop then takes
everything that happened in one native call, on its own thread: the outcomes of the calls
(which settle their futures) and the feeds to dispatch (which wake the streams that wait and
run the callbacks). A stream that has events queued returns them without waiting at all, so a
busy stream costs no task, no future and no wake-up per event.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import weakref
from typing import Any, Callable, Dict, Optional

from . import _native


class Call(asyncio.Future):  # type: ignore[type-arg]
    """The outcome of a call already on its way. Cancelling it (or the task awaiting it) stops
    the call: a request not sent yet is never sent."""

    __slots__ = ("_loop_calls", "_token")

    _loop_calls: "LoopCalls"
    _token: int

    def cancel(self, msg: Any = None) -> bool:
        if not self.done():
            self._loop_calls.waiting.pop(self._token, None)
            self._loop_calls.native.cancel(self._token)
        return super().cancel(msg)


class LoopCalls:
    """The calls in flight and the attached feeds of one event loop, with its doorbell."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_ref = weakref.ref(loop)
        self.native = _native.Completions()
        self.fd = self.native.fileno()
        os.set_blocking(self.fd, False)
        os.set_blocking(self.native.writer_fileno(), False)
        self.waiting: Dict[int, Call] = {}
        self.feeds: "weakref.WeakValueDictionary[int, Feed]" = weakref.WeakValueDictionary()
        self.waker: Optional[_Waker] = None
        try:
            loop.add_reader(self.fd, self._drain)
        except NotImplementedError:
            # A loop that cannot watch a pipe (Windows' proactor loop, the default there): a
            # thread waits on the doorbell instead and hands the drain to the loop.
            os.set_blocking(self.fd, True)
            self.waker = _Waker(self.fd, self.native.writer_fileno(), self.loop_ref, self._drain)
        weakref.finalize(loop, _close, self.native, self.waker)

    def call(self, loop: asyncio.AbstractEventLoop, token: int) -> Call:
        """The future of a call just started (its token)."""
        fut = Call(loop=loop)
        fut._loop_calls = self
        fut._token = token
        self.waiting[token] = fut
        return fut

    def _drain(self) -> None:
        if self.waker is None:
            try:
                os.read(self.fd, 4096)
            except BlockingIOError:
                pass
        done, feeds = self.native.take()
        waiting = self.waiting
        for token, error, value in done:
            fut = waiting.pop(token, None)
            if fut is None or fut.done():
                continue
            if error is None:
                fut.set_result(value)
            else:
                fut.set_exception(error)
        for feed_id in feeds:
            feed = self.feeds.get(feed_id)
            if feed is not None:
                feed.dispatch()


class _Waker:
    """The doorbell's watcher for a loop without ``add_reader``: a daemon thread blocks on the
    pipe (without the GIL) and, for each ring, schedules the drain on the loop with
    ``call_soon_threadsafe``. The native side rings again only after the loop has taken what was
    noted, so a burst still costs one wake-up. It ends with the loop (or when the loop is
    closed), woken by one byte of its own."""

    def __init__(
        self,
        fd: int,
        writer_fd: int,
        loop_ref: "weakref.ReferenceType[asyncio.AbstractEventLoop]",
        drain: Callable[[], None],
    ) -> None:
        self.fd = fd
        self.writer_fd = writer_fd
        self.loop_ref = loop_ref
        self.drain = drain
        self.stopped = False
        threading.Thread(target=self._run, name="captivate-doorbell", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                rung = os.read(self.fd, 4096)
            except OSError:
                return
            if not rung or self.stopped:
                return
            loop = self.loop_ref()
            if loop is None:
                return
            try:
                loop.call_soon_threadsafe(self.drain)
            except RuntimeError:  # the loop was closed
                return
            del loop

    def stop(self) -> None:
        """Ends the thread (it may be blocked on the pipe: one byte wakes it)."""
        self.stopped = True
        try:
            os.write(self.writer_fd, b"\0")
        except OSError:
            pass


def _close(native: _native.Completions, waker: Optional[_Waker]) -> None:
    """A loop is gone: its calls stop, and its doorbell's watcher, if any, ends."""
    native.close()
    if waker is not None:
        waker.stop()


_LOOPS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopCalls]" = weakref.WeakKeyDictionary()
_LOOPS_LOCK = threading.Lock()
_last: Optional[LoopCalls] = None


def current() -> "tuple[asyncio.AbstractEventLoop, LoopCalls]":
    """The running loop and its calls."""
    global _last
    loop = asyncio.get_running_loop()
    c = _last
    if c is not None and c.loop_ref() is loop:
        return loop, c
    with _LOOPS_LOCK:
        c = _LOOPS.get(loop)
        if c is None:
            c = _LOOPS[loop] = LoopCalls(loop)
    _last = c
    return loop, c


def report(loop: asyncio.AbstractEventLoop, where: str, exc: BaseException) -> None:
    """An exception raised by a callback, to the loop's exception handler."""
    loop.call_exception_handler({"message": f"captivate: a {where} callback raised", "exception": exc})


class Feed:
    """A client's feed of events on the loop it is attached to (the loop of its latest
    listener): wakes the streams that wait and runs the callbacks."""

    __slots__ = ("native", "waiters", "callbacks", "attached", "__weakref__")

    def __init__(self, native: _native.Feed) -> None:
        self.native = native
        self.waiters: Dict[int, "asyncio.Future[None]"] = {}
        self.callbacks: Dict[int, Listener] = {}
        self.attached: Optional[LoopCalls] = None

    def attach(self) -> "tuple[asyncio.AbstractEventLoop, LoopCalls]":
        loop, c = current()
        if self.attached is not c:
            c.feeds[self.native.id] = self
            self.attached = c
            self.native.attach(c.native)
        return loop, c

    def dispatch(self) -> None:
        """Wakes the listeners that have events or reached the end (on the attached loop)."""
        loop = self.attached.loop_ref() if self.attached is not None else None
        for key in self.native.pump_woken():
            fut = self.waiters.pop(key, None)
            if fut is not None:
                if fut.done():
                    pass
                elif fut.get_loop() is loop:
                    fut.set_result(None)
                else:  # a stream waiting on another loop
                    fut.get_loop().call_soon_threadsafe(_wake, fut)
                continue
            listener = self.callbacks.get(key)
            if listener is not None:
                listener.run()


def _wake(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


class EventStream:
    """An async iterator of events (``async for event in stream``). It lives through drops and
    reconnects, and ends after the client is closed (the ``closed`` state change is its last
    event), also when opened after the close. The first stream of a conversation (or of the
    client) first gets what arrived for it before any stream listened. A stream that falls
    behind keeps the client's ``max_backlog`` events it has not taken at most: past that the
    oldest go, and its next event is a ``Lagged`` saying how many, before the rest."""

    def __init__(self, feed: Feed, conversation_id: Optional[str]) -> None:
        self._feed = feed
        # Attached to the loop of whoever waits on it, when they wait.
        self._key = feed.native.listen(conversation_id)

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> _native.Event:
        native = self._feed.native
        key = self._key
        e = native.next(key)
        while e is None:
            if native.ended(key):
                raise StopAsyncIteration
            await self._waiter()
            e = native.next(key)
        return e

    async def next(self, timeout: Optional[float] = None) -> Optional[_native.Event]:
        """The next event; None once the stream has ended or after ``timeout`` seconds. Giving up
        on it (a timeout, or cancelling the awaiting task) loses no event: the next call gets
        it."""
        native = self._feed.native
        key = self._key
        e = native.next(key)
        if e is not None:
            return e
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise TypeError("timeout must be a number of seconds")
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while e is None:
            if native.ended(key):
                return None
            if deadline is None:
                await self._waiter()
            else:
                left = deadline - loop.time()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self._waiter(), left)
                except asyncio.TimeoutError:
                    pass
            e = native.next(key)
        return e

    def _waiter(self) -> "asyncio.Future[None]":
        loop, _ = self._feed.attach()
        fut = self._feed.waiters.get(self._key)
        if fut is None or fut.done():
            fut = self._feed.waiters[self._key] = loop.create_future()
        return fut

    def close(self) -> None:
        """Stops listening; what the stream had not taken is dropped."""
        self._feed.waiters.pop(self._key, None)
        self._feed.native.unlisten(self._key)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter exit the native module may be gone
            pass


class Listener:
    """A callback fed by the feed, on the loop where it was registered. Plain functions run as
    their events are dispatched; a coroutine function's coroutine runs as a task, and the
    listener's next events wait for it, so callbacks see events one at a time, in order. An
    exception goes to the loop's exception handler; listening continues."""

    def __init__(
        self, feed: Feed, conversation_id: Optional[str], fn: Callable[[Any], Any], want: Callable[[Any], bool], where: str
    ) -> None:
        if not callable(fn):
            raise TypeError("the callback must be callable")
        self.feed = feed
        self.loop, _ = feed.attach()
        self.fn = fn
        self.want = want
        self.where = where
        self.task: Optional["asyncio.Task[None]"] = None
        self.stopped = False
        self.key = feed.native.listen(conversation_id, True)
        feed.callbacks[self.key] = self

    def run(self) -> None:
        if self.task is not None:
            return
        native = self.feed.native
        while not self.stopped:
            e = native.next(self.key)
            if e is None:
                if native.ended(self.key):
                    self._end()
                return
            if not self.want(e):
                continue
            try:
                r = self.fn(e)
            except Exception as exc:
                report(self.loop, self.where, exc)
                continue
            if r is not None and inspect.isawaitable(r):
                self.task = self.loop.create_task(self._finish(r))
                return

    async def _finish(self, awaitable: Any) -> None:
        try:
            await awaitable
        except Exception as exc:
            report(self.loop, self.where, exc)
        self.task = None
        self.run()

    def _end(self) -> None:
        self.stopped = True
        self.feed.callbacks.pop(self.key, None)
        self.feed.native.unlisten(self.key)

    def stop(self) -> None:
        """Stops the listener (from any thread): no callback starts after this returns."""
        self.stopped = True
        self.feed.native.unlisten(self.key)
        try:
            self.loop.call_soon_threadsafe(self._stopped)
        except RuntimeError:  # the loop is closed
            pass

    def _stopped(self) -> None:
        self.feed.callbacks.pop(self.key, None)
        task = self.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
