"""Durations in seconds under Python names, as asyncio, websockets and httpx take them; the
schema's millisecond names still work, and one option cannot be given both ways."""

from __future__ import annotations

import asyncio
import time

import pytest

import captivate
from conftest import Hub


def test_a_request_timeout_in_seconds(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url, request_timeout=0.3, reconnect={"initial_delay": 0.05})
        try:
            conv = await client.start_conversation("seconds-user", start="user-first")
            hub.faults(never_answer=["metadata_request"])
            started = time.monotonic()
            with pytest.raises(captivate.Timeout) as caught:
                await conv.get_metadata()
            took = time.monotonic() - started
            assert "300 ms" in str(caught.value), str(caught.value)
            assert 0.25 <= took < 5, took
        finally:
            hub.faults()
            await client.close()

    asyncio.run(main())


def test_the_schema_names_in_milliseconds_still_work(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=300)
        try:
            conv = await client.start_conversation("ms-user", start="user-first")
            hub.faults(never_answer=["metadata_request"])
            with pytest.raises(captivate.Timeout, match="300 ms"):
                await conv.get_metadata()
        finally:
            hub.faults()
            await client.close()

    asyncio.run(main())


def test_one_option_both_ways_is_refused(hub: Hub) -> None:
    async def main() -> None:
        with pytest.raises(captivate.InvalidArgument, match="request_timeout and request_timeout_ms"):
            await captivate.connect(hub.key, url=hub.url, request_timeout=1.0, request_timeout_ms=1000)
        with pytest.raises(captivate.InvalidArgument, match="initial_delay and initial_delay_ms"):
            await captivate.connect(hub.key, url=hub.url, reconnect={"initial_delay": 0.1, "initial_delay_ms": 100})
        with pytest.raises(captivate.InvalidArgument):
            await captivate.connect(hub.key, url=hub.url, request_timeout="soon")  # type: ignore[arg-type]

    asyncio.run(main())


def test_the_blocking_client_takes_seconds_too(hub: Hub) -> None:
    client = captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout=0.3)
    try:
        conv = client.start_conversation("blocking-seconds", start="user-first")
        hub.faults(never_answer=["metadata_request"])
        with pytest.raises(captivate.Timeout, match="300 ms"):
            conv.get_metadata()
    finally:
        hub.faults()
        client.close()
