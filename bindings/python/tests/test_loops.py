"""The asyncio client on loops that cannot watch a file descriptor (Windows' default proactor
loop): the doorbell is then waited on by a thread, and the loop is woken with
``call_soon_threadsafe``. ``CAPTIVATE_TEST_LOOP=no-reader`` runs the whole suite that way."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading

import captivate
from conftest import Hub, NoReaderLoop


def watches_fds(loop: asyncio.AbstractEventLoop) -> bool:
    a, b = socket.socketpair()
    try:
        try:
            loop.add_reader(a.fileno(), lambda: None)
        except NotImplementedError:
            return False
        loop.remove_reader(a.fileno())
        return True
    finally:
        a.close()
        b.close()


def test_the_suite_runs_on_the_loops_it_was_asked_for() -> None:
    """Under ``CAPTIVATE_TEST_LOOP=no-reader`` every loop of the suite lacks ``add_reader``, so
    that run proves what it says; otherwise the loops are the usual ones."""

    async def probe() -> bool:
        return watches_fds(asyncio.get_running_loop())

    assert asyncio.run(probe()) == (os.environ.get("CAPTIVATE_TEST_LOOP") != "no-reader")


def test_a_conversation_on_a_loop_without_add_reader(hub: Hub) -> None:
    loop = NoReaderLoop()
    assert not watches_fds(loop)
    earlier = set(threading.enumerate())

    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000)
        try:
            conv = await client.start_conversation("loop-user")
            stream = conv.events()
            seen: "asyncio.Queue[str]" = asyncio.Queue()
            conv.on_message(lambda m: seen.put_nowait(" ".join(i.text for i in m.items if isinstance(i, captivate.TextItem))))
            await conv.send_message("over a loop without add_reader")
            # Events reach both a stream and a callback, and calls complete, with no add_reader.
            while True:
                e = await stream.next(timeout=10)
                if isinstance(e, captivate.Message) and any(
                    isinstance(i, captivate.TextItem) and "over a loop without add_reader" in i.text for i in e.items
                ):
                    break
            while "over a loop without add_reader" not in await asyncio.wait_for(seen.get(), 10):
                pass
            # Many calls at once: every one completes (one wake-up may serve many).
            results = await asyncio.gather(*(conv.get_metadata() for _ in range(50)))
            assert len(results) == 50
        finally:
            await client.close()

    try:
        loop.run_until_complete(main())
        mine = [t for t in threading.enumerate() if t.name == "captivate-doorbell" and t not in earlier]
        assert len(mine) == 1
    finally:
        loop.close()
    del loop
    gc.collect()
    # The loop is gone: its doorbell's thread ends with it.
    for t in mine:
        t.join(timeout=10)
        assert not t.is_alive(), "the doorbell's thread outlived its loop"
