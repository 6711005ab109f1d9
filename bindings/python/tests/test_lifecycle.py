"""Close and reconnect, the same for every front end: calls after ``close`` fail at once with
``Closed`` (blocking or not), every stream ends at the close (also one opened after it), and
``reconnect`` returns once the client is connected again."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, List

import pytest

import captivate
from conftest import Hub, in_thread


def test_the_blocking_client_fails_at_once_after_close(hub: Hub) -> None:
    def work() -> None:
        client = captivate.BlockingClient.connect(hub.key, url=hub.url)
        conv = client.start_conversation("after", start="user-first")
        events = conv.events()
        client.close()
        assert client.state.state == "closed"
        with pytest.raises(captivate.Closed):
            conv.send_message("too late")
        with pytest.raises(captivate.Closed):
            client.start_conversation("too late")
        with pytest.raises(captivate.Closed):
            conv.get_transcript()
        # The stream opened before the close ends after its `closed` state change...
        last = [e for e in events][-1]
        assert isinstance(last, captivate.StateChange) and last.current.state == "closed"
        # ...and streams opened after it end too.
        assert conv.events().next() is None
        after = list(client.events())  # what was kept for the client, then the end
        assert all(isinstance(e, captivate.StateChange) for e in after), after
        client.close()  # closing again is harmless

    in_thread(work)


def test_streams_opened_after_close_end(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url)
        conv = await client.start_conversation("late-stream", start="user-first")
        await client.close()
        with pytest.raises(captivate.Closed):
            await conv.send_message("x")
        seen: List[captivate.Event] = []
        for stream in (conv.events(), client.events(), client.raw_events()):
            async for e in stream:
                seen.append(e)
        assert all(isinstance(e, captivate.StateChange) for e in seen), seen
        # A listener registered after the close ends too, leaving nothing running.
        stopped = conv.on_message(lambda m: None)
        await asyncio.sleep(0)
        assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        stopped()

    asyncio.run(main())


async def drain(stream: captivate.EventStream) -> List[captivate.Event]:
    return [e async for e in stream]


def test_reconnect_returns_once_connected(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(
            hub.key, url=hub.url, connect_timeout_ms=2000, reconnect={"initial_delay_ms": 20}
        )
        conv = await client.start_conversation("again", start="user-first")
        before = conv.events()
        await client.close()
        await client.reconnect()
        assert client.is_connected
        # The old stream ended with the close; a new one hears the new connection.
        old = await asyncio.wait_for(drain(before), 10)
        assert isinstance(old[-1], captivate.StateChange) and old[-1].current.state == "closed"
        after = conv.events()
        await conv.send_message("back")
        while True:
            e = await after.next(timeout=10)
            assert e is not None, "no echo after the reconnect"
            if isinstance(e, captivate.BotMessage) and e.text == "You said: back":
                break
        await client.close()
        # Reconnecting to a hub that is gone fails with the reason.
        hub.process.terminate()
        hub.process.wait(timeout=10)
        with pytest.raises((captivate.ConnectError, captivate.Timeout, captivate.Failed)):
            await client.reconnect()

    asyncio.run(main())


def test_the_blocking_client_reconnects_and_waits(hub: Hub) -> None:
    def work() -> None:
        client = captivate.BlockingClient.connect(hub.key, url=hub.url)
        conv = client.start_conversation("blocking-again", start="user-first")
        client.close()
        client.reconnect()
        assert client.is_connected
        events = conv.events()
        conv.send_message("back")
        for e in events:
            if isinstance(e, captivate.BotMessage) and e.text == "You said: back":
                break
        else:
            raise AssertionError("the stream ended without the echo")
        got: List[Any] = []
        done = threading.Event()

        def on_message(m: captivate.Message) -> None:
            got.append(m.text)
            done.set()

        conv.on_message(on_message)
        conv.send_message("callback")
        assert done.wait(10) and got == ["You said: callback"]
        client.close()

    in_thread(work)
